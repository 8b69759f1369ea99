from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "yangguang.regions"
    label = "regions"
