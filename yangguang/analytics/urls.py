from django.urls import path

from yangguang.analytics import views

app_name = "analytics"
urlpatterns = [
    path("plans/<slug:key>/", views.dashboard, name="dashboard"),
    path("plans/<slug:key>/export.xlsx", views.dashboard_xlsx, name="dashboard_xlsx"),
]
