from django.urls import path

from yangguang.regions import lookup, views

app_name = "regions"
urlpatterns = [
    path("", views.index, name="index"),
    path("lookup/", lookup.lookup, name="lookup"),
    path("<str:code>/", views.detail, name="detail"),
]
