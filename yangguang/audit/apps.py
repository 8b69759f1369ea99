from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "yangguang.audit"
    label = "audit"
