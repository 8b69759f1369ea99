from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "yangguang.demo"
    label = "demo"
