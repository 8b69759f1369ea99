from django.urls import path

from yangguang.certificates import case_views, views

app_name = "certificates"
urlpatterns = [
    path("<int:pk>/ecert/", views.ecert, name="ecert"),
    path("<int:pk>/ecert.pdf", views.ecert_pdf, name="ecert_pdf"),
    path("cases/", case_views.case_list, name="cases"),
    path("cases/person/<int:person_pk>/", case_views.case_list, name="person_cases"),
    path("cases/person/<int:person_pk>/new/", case_views.case_new, name="case_new"),
    path("cases/new-at-residence/", case_views.case_new_at_residence,
         name="case_new_at_residence"),
    path("cases/<int:pk>/", case_views.case_detail, name="case"),
    path("cases/<int:pk>/<slug:action>/", case_views.case_step, name="case_step"),
    path("worklist/", case_views.worklist, name="worklist"),
]
