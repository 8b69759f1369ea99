from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yangguang.core.contributions import Contributions, HomeCount, MenuEntry


class MatchingConfig(AppConfig):
    name = "yangguang.matching"
    label = "matching"
    verbose_name = _("数据比对")

    def contributions(self) -> Contributions:
        """The menu entries and home-page counts of data comparison."""
        from yangguang.accounts.permissions import Capability
        from yangguang.matching import reports, selectors

        return Contributions(
            menu=[
                MenuEntry("matching:lists", _("部门名单"), "matching", Capability.MATCH_LISTS),
                MenuEntry("matching:report", _("比对差异报告"), "matching", Capability.MATCH_LISTS),
                MenuEntry("matching:review", _("比对复核"), "matching", Capability.REVIEW_MATCHES),
            ],
            counts=[
                HomeCount(_("待复核的比对结果"), Capability.REVIEW_MATCHES,
                          selectors.pending_review_count, "matching:review"),
                HomeCount(_("比对发现的差异"), Capability.MATCH_LISTS,
                          reports.finding_count, "matching:report"),
                HomeCount(_("已故仍在发放补贴的人员"), Capability.MATCH_LISTS,
                          reports.deceased_paid_count, "matching:report"),
            ],
        )

    def ready(self) -> None:
        from yangguang.imports import spec
        from yangguang.matching.kinds import KINDS

        for kind in KINDS:
            spec.register(kind)

    def audit_objects(self) -> dict[str, Any]:
        from yangguang.audit.describe import ObjectKind
        from yangguang.matching.models import Candidate, DepartmentList, MatchRun

        return {
            # Not the model: its data keys (rows, kind …) are the import's counts, and
            # ``rows`` would name the list's reverse relation.
            "department_list": ObjectKind(DepartmentList._meta.verbose_name, keys={
                "kind": _("名单类型"), "source": _("文件"), "rows": _("行数"), "created": _("新增"),
                "updated": _("更新"), "unchanged": _("未变"), "rejected": _("拒绝")}),
            "match_run": ObjectKind(MatchRun._meta.verbose_name, MatchRun),
            "match_candidate": ObjectKind(Candidate._meta.verbose_name, Candidate),
            "match_report": ObjectKind(_("比对差异报告"), keys={
                "rows": _("行数"), "file": _("文件"), "runs": _("比对")}),
        }
