from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yangguang.core.contributions import Contributions, HomeCount, MenuEntry


class AuditConfig(AppConfig):
    name = "yangguang.audit"
    label = "audit"

    def contributions(self) -> Contributions:
        """The audit log in the menu; its recent events on auditors' home pages."""
        from yangguang.accounts.permissions import Capability
        from yangguang.audit.models import AuditAction
        from yangguang.audit.selectors import recent_events_count

        return Contributions(
            menu=[MenuEntry("audit:events", _("审计日志"), "system", Capability.VIEW_AUDIT)],
            counts=[
                HomeCount(_("近7天的审计事件"), Capability.VIEW_AUDIT,
                          lambda user: recent_events_count(user, days=7), "audit:events"),
                HomeCount(_("近7天的登录失败"), Capability.VIEW_AUDIT,
                          lambda user: recent_events_count(user, days=7, action=AuditAction.LOGIN_FAILED),
                          "audit:events", f"action={AuditAction.LOGIN_FAILED}"),
            ],
        )

    def audit_objects(self) -> dict[str, Any]:
        """The audit log's own events: its exports."""
        from yangguang.audit.describe import ObjectKind

        return {"audit_event": ObjectKind(_("审计日志"))}
