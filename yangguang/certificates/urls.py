from django.urls import path

from yangguang.certificates import views

app_name = "certificates"
urlpatterns = [
    path("<int:pk>/ecert/", views.ecert, name="ecert"),
    path("<int:pk>/ecert.pdf", views.ecert_pdf, name="ecert_pdf"),
]
