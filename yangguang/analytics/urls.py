from django.urls import path

from yangguang.analytics import report_views, views

app_name = "analytics"
urlpatterns = [
    path("plans/<slug:key>/", views.dashboard, name="dashboard"),
    path("plans/<slug:key>/regions/<str:region>/", views.dashboard, name="dashboard_region"),
    path("plans/<slug:key>/regions/<str:region>/export.xlsx", views.dashboard_xlsx, name="dashboard_xlsx"),
    path("plans/<slug:key>/hand-values/", views.hand_values, name="hand_values"),
    path("plans/<slug:key>/hand-values/<int:hand_id>/evidence", views.hand_value_evidence,
         name="hand_value_evidence"),
    path("plans/<slug:key>/reports/", report_views.reports, name="reports"),
    path("plans/<slug:key>/reports/<uuid:job_id>.<slug:fmt>", report_views.report_file, name="report_file"),
]
