from django.urls import path

from yangguang.registry import statistics

app_name = "statistics"
urlpatterns = [
    path("", statistics.index, name="index"),
    path("<str:code>/", statistics.detail, name="detail"),
]
