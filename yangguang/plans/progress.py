"""The rule of a task progress report: one function every path (the form, and any
import or API to come) calls before ``services.report_progress`` writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, scope_regions
from yangguang.core import text
from yangguang.core.errors import Problem
from yangguang.plans.models import Plan, PlanTask, ProgressStatus, TaskLevel, UnitRole
from yangguang.regions.models import Region

TEXT_MAX = 2000
UNIT_MAX = 100


@dataclass(frozen=True)
class ProgressData:
    region: str  # a 6- or 12-digit code
    year: int | None
    unit: str
    status: str
    summary: str
    problems: str = ""


def reporting_units(task: PlanTask) -> list[str]:
    """The units that report on ``task``: its lead units, or its responsible units where
    the plan does not tell the lead from the others; empty when the plan names none."""
    units = list(task.units.all())
    lead = [u.name for u in units if u.role == UnitRole.LEAD]
    return lead or [u.name for u in units if u.role == UnitRole.RESPONSIBLE]


def plan_regions(user: Any, plan: Plan) -> list[Region]:
    """The regions ``user`` may report for on ``plan`` (a task's progress, an indicator's
    value entered by hand): the plan's region if it lies in their scope, and the regions
    of their scope inside the plan's region."""
    plan_region = plan.region
    regions = [plan_region] if can(user, Capability.REPORT_PROGRESS, plan_region) else []
    regions += [r for r in scope_regions(user, Capability.REPORT_PROGRESS)
                if r.path.startswith(plan_region.path) and r.pk != plan_region.pk]
    return regions


def reporting_regions(user: Any, task: PlanTask) -> list[Region]:
    """The regions ``user`` may report for on ``task`` (``plan_regions``)."""
    return plan_regions(user, task.plan)


def plan_years(plan: Plan, today: dt.date | None = None) -> list[int]:
    """The years of ``plan`` one may report for: its period up to this year."""
    last = min(plan.end_year, (today or dt.date.today()).year)
    return list(range(plan.start_year, last + 1))


def reporting_years(task: PlanTask, today: dt.date | None = None) -> list[int]:
    return plan_years(task.plan, today)


def check(user: Any, task: PlanTask, data: ProgressData) -> tuple[list[Problem], Region | None]:
    """Every problem of ``data`` as a report on ``task`` by ``user`` (empty when good),
    and the region it is for."""
    problems: list[Problem] = []
    if task.level == TaskLevel.SECTION:
        problems.append(Problem("progress_section", "task", _("进展按任务报告，不按部分报告")))
    allowed = {r.code: r for r in reporting_regions(user, task)}
    code = (data.region or "").strip().ljust(12, "0")
    region = allowed.get(code)
    if region is None:
        problems.append(Problem("progress_region", "region",
                                _("您不能为这个地区报告本规划任务的进展")))
    if data.year not in reporting_years(task):
        problems.append(Problem("progress_year", "year", _("报告年度应在规划期内，且不晚于今年")))
    units = reporting_units(task)
    unit = (data.unit or "").strip()
    if not unit:
        problems.append(Problem("progress_unit_missing", "unit", _("请填写报告单位")))
    elif units and unit not in units:
        problems.append(Problem("progress_unit", "unit", _("报告单位应为本任务的牵头单位之一：{units}"),
                                {"units": "、".join(units)}))
    elif len(unit) > UNIT_MAX or not text.is_clean(unit):
        problems.append(Problem("progress_unit_text", "unit", _("报告单位不能超过{n}个字，且不能含控制字符"),
                                {"n": UNIT_MAX}))
    if data.status not in ProgressStatus.values:
        problems.append(Problem("progress_status", "status", _("请选择进展状态")))
    for name, value, required in (("summary", data.summary, True), ("problems", data.problems, False)):
        if required and not (value or "").strip():
            problems.append(Problem("progress_summary_missing", name, _("请填写进展情况")))
        elif len(value or "") > TEXT_MAX or not text.is_clean(value or "", multiline=True):
            problems.append(Problem("progress_text", name, _("不能超过{n}个字，且不能含控制字符"), {"n": TEXT_MAX}))
    return problems, region
