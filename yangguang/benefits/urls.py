from django.urls import path

from yangguang.benefits import payroll_views, views

app_name = "benefits"
urlpatterns = [
    path("programmes/", views.programmes, name="programmes"),
    path("screening/", views.screening, name="screening"),
    path("applications/", views.applications, name="applications"),
    path("applications/new/", views.apply_at_residence, name="apply_at_residence"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("applications/<int:pk>/step/", views.application_step, name="application_step"),
    path("persons/<int:person_id>/apply/", views.apply, name="apply"),
    path("grants/", views.grants, name="grants"),
    path("payrolls/", payroll_views.payrolls, name="payrolls"),
    path("payrolls/run/", payroll_views.payroll_run, name="payroll_run"),
    path("payrolls/<int:pk>/", payroll_views.payroll_detail, name="payroll"),
    path("payrolls/<int:pk>/approve/", payroll_views.payroll_approve, name="payroll_approve"),
    path("payrolls/<int:pk>/download/<str:fmt>/", payroll_views.payroll_download,
         name="payroll_download"),
    path("screening/items/", views.screening_items, name="screening_items"),
    path("screening/items/<int:pk>/", views.screening_item, name="screening_item"),
    # Public (no sign-in): a county's 公示 list.
    path("publication/<str:code>/", views.publication, name="publication"),
]
