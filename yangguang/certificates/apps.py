from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "yangguang.certificates"
    label = "certificates"
