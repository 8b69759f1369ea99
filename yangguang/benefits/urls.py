from django.urls import path

from yangguang.benefits import views

app_name = "benefits"
urlpatterns = [
    path("programmes/", views.programmes, name="programmes"),
    path("screening/", views.screening, name="screening"),
    path("applications/", views.applications, name="applications"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("applications/<int:pk>/step/", views.application_step, name="application_step"),
    path("persons/<int:person_id>/apply/", views.apply, name="apply"),
    path("grants/", views.grants, name="grants"),
]
