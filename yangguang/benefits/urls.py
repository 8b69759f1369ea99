from django.urls import path

from yangguang.benefits import views

app_name = "benefits"
urlpatterns = [
    path("programmes/", views.programmes, name="programmes"),
    path("screening/", views.screening, name="screening"),
]
