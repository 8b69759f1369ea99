from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "yangguang.jobs"
    label = "jobs"

    def ready(self) -> None:
        # Each app's ``jobs`` module registers its job kinds (``jobs.kinds``).
        autodiscover_modules("jobs")
