from django.urls import path

from yangguang.regions import lookup

app_name = "regions"
urlpatterns = [
    path("lookup/", lookup.lookup, name="lookup"),
]
