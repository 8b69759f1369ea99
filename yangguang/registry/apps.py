from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "yangguang.registry"
    label = "registry"
