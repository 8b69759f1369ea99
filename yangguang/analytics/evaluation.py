"""Monitoring and evaluation reports of a plan: 年度监测 (annual monitoring for a year),
中期评估 (mid-term evaluation, as of the end of the period's middle year: 2023 for
2021–2025) and 总结评估 (final evaluation, as of the period's end), as the plans ask
(「年度监测、中期评估、总结评估」).

A report is built from the stored results (``IndicatorResult``) of its as-of date; when
none are stored for that date they are computed first, on DuckDB, and stored as
``indicators compute`` stores them. It holds the plan, the as-of date, the indicator
table of the plan's region (row number and wording as printed, baseline, target, value,
numerator and denominator, status, and the values entered by hand with their source),
every region's count of rows at risk, the task tree with its lead units and latest
progress, and what has no data. It is aggregate: no person's name or ID number, no
user name. Given a user, it covers the regions of their scope only.

``build`` makes the report; ``write_docx`` and ``write_xlsx`` write it in the active
language; the ``plan_report`` job (``analytics.jobs``), the reports page and
``yangguang indicators report`` use them.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_prefixes
from yangguang.analytics import engine, services, snapshot
from yangguang.analytics.models import HandValue, IndicatorResult, Status
from yangguang.analytics.selectors import result_code
from yangguang.audit.services import Actor
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.plans import selectors as plan_selectors
from yangguang.plans.files import unit_name
from yangguang.plans.models import Operator, Plan, TaskLevel, TaskProgress
from yangguang.regions.models import Region

#: The kinds of report, their msgids (``gettext_noop``: a job's log keeps the msgid).
KINDS = {
    "annual": gettext_noop("年度监测"),
    "midterm": gettext_noop("中期评估"),
    "final": gettext_noop("总结评估"),
}
FORMATS = (".docx", ".xlsx")
AT_RISK = (Status.AT_RISK, Status.NOT_ACHIEVED)


def kind_label(kind: str) -> str:
    return gettext(KINDS[kind])


def midterm_year(plan: Plan) -> int:
    """The year whose end the mid-term evaluation looks at: 2023 for 2021–2025."""
    return plan.start_year + (plan.end_year - plan.start_year) // 2


def as_of_date(plan: Plan, kind: str, year: int | None, *, today: dt.date | None = None) -> tuple[int, dt.date]:
    """The report's year and as-of date: the end of ``year`` (annual), of the middle year
    (midterm) or of the period (final), or today for the year under way. Raises
    ``ValidationFailed`` with Chinese messages for a kind it does not know, a year
    outside the period or not begun, and a final evaluation before the period ends."""
    today = today or timezone.localdate()
    if kind not in KINDS:
        raise ValidationFailed([Problem("report_kind", "kind", gettext_lazy(
            "报告类型应为 annual（年度监测）、midterm（中期评估）或 final（总结评估）"))])
    fixed = {"midterm": midterm_year(plan), "final": plan.end_year}.get(kind)
    if kind == "annual" and year is None:
        raise ValidationFailed([Problem("report_year_missing", "year", gettext_lazy("年度监测报告请选择年度"))])
    if fixed is not None and year is not None and year != fixed:
        raise ValidationFailed([Problem("report_year_kind", "year", gettext_lazy(
            "{kind}截至{fixed}年底，不另选年度"), {"kind": kind_label(kind), "fixed": fixed})])
    year = fixed if fixed is not None else year
    if not plan.start_year <= year <= plan.end_year:
        raise ValidationFailed([Problem("report_year", "year", gettext_lazy(
            "{year}年不在规划期（{start}—{end}年）内"), {"year": year, "start": plan.start_year,
                                                   "end": plan.end_year})])
    if kind == "final" and today < dt.date(year, 12, 31):
        raise ValidationFailed([Problem("report_not_ended", "kind", gettext_lazy(
            "规划期到{year}年底结束，之后才能做总结评估"), {"year": year})])
    if year > today.year:
        raise ValidationFailed([Problem("report_year_future", "year", gettext_lazy(
            "{year}年还没有开始，不能做这一年的报告"), {"year": year})])
    return year, min(dt.date(year, 12, 31), today)


def ensure_results(plan: Plan, as_of: dt.date, *, actor: Actor) -> bool:
    """Compute and store the plan's results for ``as_of`` (DuckDB, a fresh snapshot)
    unless some are stored already; True when they were computed now."""
    if IndicatorResult.objects.filter(indicator__plan=plan, as_of=as_of).exists():
        return False
    with tempfile.TemporaryDirectory() as directory:
        snapshot.write(as_of, Path(directory))
        rows = engine.compute(plan, as_of, Path(directory), "duckdb")
    services.store_results(plan, as_of, rows, "duckdb", actor=actor)
    return True


@dataclass
class IndicatorLine:
    row: int
    number: str
    category: str
    wording: str
    unit: str
    baseline: str
    target: str
    kind: str
    accumulation: str
    region_code: str
    region_name: str
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    compared_with: Decimal | None
    status: str
    by_hand: bool
    relative: bool
    hand: HandValue | None = None  # the row's value or comparison value entered by hand

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)


@dataclass
class RegionLine:
    code: str
    name: str
    counts: Counter[str]
    rows_at_risk: list[int]

    @property
    def at_risk(self) -> int:
        return sum(self.counts[s] for s in AT_RISK)


@dataclass
class TaskLine:
    depth: int
    level: str
    number: str
    title: str
    lead: list[str]
    participating: list[str]
    responsible: list[str]
    progress: TaskProgress | None


@dataclass
class Report:
    plan: Plan
    kind: str
    year: int
    as_of: dt.date
    computed_at: dt.datetime | None
    engine: str
    versions: list[str]
    scope: list[str]  # the names of the regions the report covers
    indicators: list[IndicatorLine] = field(default_factory=list)
    regions: list[RegionLine] = field(default_factory=list)
    tasks: list[TaskLine] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def title(self) -> str:
        if self.kind == "annual":
            return _("{plan}{year}年度监测报告").format(plan=self.plan.title, year=self.year)
        return _("{plan}{kind}报告").format(plan=self.plan.title, kind=self.kind_label)

    @property
    def status_counts(self) -> Counter[str]:
        return Counter(line.status for line in self.indicators)

    @property
    def tasks_reported(self) -> int:
        return sum(1 for t in self.tasks if t.level != TaskLevel.SECTION and t.progress is not None)

    @property
    def task_count(self) -> int:
        return sum(1 for t in self.tasks if t.level != TaskLevel.SECTION)


def _visible(user: Any) -> Callable[[str], bool]:
    if user is None:
        return lambda code: True
    prefixes = scope_prefixes(user, Capability.VIEW_PLANS)
    return lambda code: any(code.startswith(p) for p in prefixes)


def _region_names(plan: Plan, codes: set[str]) -> dict[str, str]:
    names = dict(Region.objects.filter(code__in=[c.ljust(12, "0") for c in codes]).values_list("code", "name"))
    found = {code: names.get(code.ljust(12, "0"), code) for code in codes}
    found[result_code(plan.region)] = plan.jurisdiction
    return found


def build(plan: Plan, kind: str, year: int | None, *, user: Any = None, actor: Actor,
          today: dt.date | None = None) -> Report:
    """The report of ``plan`` of ``kind`` (for ``year`` when annual), from the stored
    results of its as-of date (computed first when none are stored), for the regions in
    ``user``'s scope (all of the plan's when ``user`` is None)."""
    year, as_of = as_of_date(plan, kind, year, today=today)
    ensure_results(plan, as_of, actor=actor)
    visible = _visible(user)
    results = [r for r in IndicatorResult.objects.filter(indicator__plan=plan, as_of=as_of)
               .select_related("indicator").order_by("indicator__row", "region_code") if visible(r.region_code)]
    codes = {r.region_code for r in results}
    names = _region_names(plan, codes)
    hand = {(h.indicator_id, h.region_code): h for h in HandValue.objects.filter(indicator__plan=plan, year=year)}
    latest = max((r.computed_at for r in results), default=None)
    report = Report(plan, kind, year, as_of, latest, ", ".join(sorted({r.engine for r in results})),
                    sorted({f"{r.indicator.catalogue_key} {r.version}" for r in results if r.version}), [])
    top = min((len(c) for c in codes), default=0)
    report.scope = [names[c] for c in sorted(codes) if len(c) == top]
    rows = {ind.pk: ind for ind in plan_selectors.indicators(plan)}
    for r in results:
        if len(r.region_code) != top:
            continue
        ind = rows[r.indicator_id]
        report.indicators.append(IndicatorLine(
            ind.row, ind.number or str(ind.row), ind.category, ind.wording, unit_name(ind.unit), ind.baseline_text,
            ind.target_text, str(ind.get_kind_display()), str(ind.get_accumulation_display()), r.region_code,
            names[r.region_code], r.value, r.numerator, r.denominator, r.compared_with, r.status,
            ind.by_hand, ind.target_op == Operator.RELATIVE, hand.get((ind.pk, r.region_code))))
    at_risk_rows: dict[str, list[int]] = {}
    counts: dict[str, Counter[str]] = {}
    for r in results:
        counts.setdefault(r.region_code, Counter())[r.status] += 1
        if r.status in AT_RISK:
            at_risk_rows.setdefault(r.region_code, []).append(r.indicator.row)
    report.regions = sorted(
        (RegionLine(code, names[code], counts[code], at_risk_rows.get(code, [])) for code in codes),
        key=lambda line: (-line.at_risk, -line.counts[Status.NO_DATA], len(line.code), line.code))
    report.tasks = _tasks(plan, year, user)
    report.missing = _missing(report, results)
    return report


def _tasks(plan: Plan, year: int, user: Any) -> list[TaskLine]:
    reports = TaskProgress.objects.filter(task__plan=plan, year__lte=year)
    if user is not None:
        reports = reports.filter(plan_selectors.progress_visible(user))
    latest: dict[int, TaskProgress] = {}
    for report in reports.select_related("region").order_by("task_id", "-year", "-reported_at", "-id"):
        latest.setdefault(report.task_id, report)
    lines = []
    for section in plan_selectors.task_tree(plan, latest):
        for node in [section.node, *section.rows]:
            lines.append(TaskLine(node.depth, node.task.level, node.task.number, node.task.title, node.lead,
                                  node.participating, node.responsible, node.latest))
    return lines


def _missing(report: Report, results: list[IndicatorResult]) -> list[str]:
    """What has no data, in words: rows without a value in the report's main region (and
    why), how many regions lack each row, and the tasks without a progress report."""
    out = []
    for line in report.indicators:
        if line.status != Status.NO_DATA:
            continue
        if line.by_hand:
            reason = _("人工填报指标，{year}年没有填报数值").format(year=report.year)
        elif line.relative and line.compared_with is None:
            reason = _("相对目标，{year}年没有填报比较值（如地区生产总值增速）").format(year=report.year)
        elif line.value is not None:
            reason = _("文字目标，需人工评价")
        else:
            reason = _("没有符合条件的对象，或年度调查没有覆盖")
        out.append(_("第{row}项「{wording}」（{region}）：{reason}").format(
            row=line.number, wording=line.wording, region=line.region_name, reason=reason))
    lacking = Counter(r.indicator.row for r in results if r.status == Status.NO_DATA)
    regions = len({r.region_code for r in results})
    for row, count in sorted(lacking.items()):
        out.append(_("第{row}项：{count}个地区（共{total}个）没有数据").format(row=row, count=count, total=regions))
    silent = [t for t in report.tasks if t.level != TaskLevel.SECTION and t.progress is None]
    if silent:
        out.append(_("{count}项任务（共{total}项）截至{year}年没有进展报告").format(
            count=len(silent), total=report.task_count, year=report.year))
    if not results:
        out.append(_("没有计算结果"))
    return out


def number(value: Decimal | None) -> int | float | None:
    """A stored decimal as a number for a spreadsheet (None stays empty)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(round(value, 4))


def text(value: Decimal | None) -> str:
    """A stored decimal as text: whole numbers without decimals, others to two places."""
    if value is None:
        return "—"
    return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"
