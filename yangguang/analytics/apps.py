from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """The indicator engine: de-identified snapshots, the catalogue, stored results.

    Above ``plans`` in the layers (docs/architecture.md): it reads the plans' rows
    and targets and stores one result per row and region."""

    name = "yangguang.analytics"
    label = "analytics"
    verbose_name = _("指标计算")

    def audit_objects(self) -> dict[str, Any]:
        """How the audit log labels the analytics' events (``audit.describe``)."""
        from yangguang.audit.describe import ObjectKind

        return {
            "plan_report": ObjectKind(_("监测评估报告"), keys={
                "plan": _("规划"), "kind": _("报告类型"), "year": _("年度"), "as_of": _("截至日期"),
                "format": _("文件格式"), "file": _("文件")}),
            "plan_dashboard": ObjectKind(_("指标监测表"), keys={
                "plan": _("规划"), "region": _("区划代码"), "as_of": _("截至日期"), "rows": _("行数")}),
        }
