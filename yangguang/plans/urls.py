from django.urls import path

from yangguang.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<slug:key>/", views.plan_detail, name="detail"),
    path("<slug:key>/tasks/<int:task_id>/progress/", views.task_progress, name="progress"),
]
