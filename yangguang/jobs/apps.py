from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from yangguang.core.contributions import Contributions, HomeCount, MenuEntry


class JobsConfig(AppConfig):
    name = "yangguang.jobs"
    label = "jobs"

    def ready(self) -> None:
        # Each app's ``jobs`` module registers its job kinds (``jobs.kinds``).
        autodiscover_modules("jobs")

    def contributions(self) -> Contributions:
        """The jobs page in the menu, and the failed jobs to look at on the home page."""
        from yangguang.accounts.permissions import Capability
        from yangguang.jobs.selectors import failed_count

        return Contributions(
            menu=[MenuEntry("jobs:list", _("后台任务"), "system", Capability.VIEW_JOBS)],
            counts=[HomeCount(_("近7天失败的后台任务"), Capability.VIEW_JOBS,
                              lambda user: failed_count(user, within=7), "jobs:list")],
        )
