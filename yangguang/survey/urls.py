from django.urls import path

from yangguang.survey import views

app_name = "survey"
urlpatterns = [
    path("", views.completion, name="completion"),
    path("export/", views.export, name="export"),
    path("person/<int:pk>/", views.person_surveys, name="person"),
    path("person/<int:pk>/<int:year>/", views.survey_form, name="form"),
]
