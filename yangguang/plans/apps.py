from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yangguang.core.contributions import Contributions, MenuEntry


class PlansConfig(AppConfig):
    name = "yangguang.plans"
    label = "plans"
    verbose_name = _("规划监测")

    def contributions(self) -> Contributions:
        """The plans' page in the menu's 规划监测 group (``core.contributions``)."""
        from yangguang.accounts.permissions import Capability

        return Contributions(
            menu=[MenuEntry("plans:list", _("规划与指标"), "plans", Capability.VIEW_PLANS)],
        )

    def audit_objects(self) -> dict[str, Any]:
        """How the audit log labels the plans' events (``audit.describe``)."""
        from yangguang.audit.describe import ObjectKind
        from yangguang.plans.models import Plan, TaskProgress

        return {
            "plan": ObjectKind(Plan._meta.verbose_name, Plan,
                               keys={"file": _("规划文件"), "sha256": _("文件摘要"),
                                     "indicators": _("指标数"), "tasks": _("任务数")}),
            "task_progress": ObjectKind(TaskProgress._meta.verbose_name, TaskProgress,
                                        keys={"plan": _("规划"), "task": _("规划任务")}),
        }
