from django.urls import path

from yangguang.matching import views

app_name = "matching"
urlpatterns = [
    path("", views.lists, name="lists"),
    path("runs/<int:pk>/", views.run, name="run"),
    path("runs/<int:pk>/discrepancies.xlsx", views.discrepancies_xlsx, name="discrepancies"),
    path("runs/<int:pk>/changes/", views.run_changes, name="changes"),
    path("reports/", views.report, name="report"),
    path("reports/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/", views.decide, name="decide"),
]
