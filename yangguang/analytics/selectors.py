"""Scoped reads of stored results for the dashboard."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, scope_prefixes, scope_regions
from yangguang.analytics.models import HandValue, IndicatorResult, Status
from yangguang.plans.models import Plan
from yangguang.regions.models import Region, RegionLevel

#: Worst first: the regions at risk lead.
RISK_ORDER = [Status.NOT_ACHIEVED, Status.AT_RISK, Status.NO_DATA, Status.ON_TRACK, Status.ACHIEVED]
_CODE = re.compile(r"[0-9]{6}|[0-9]{12}")


def visible_code(user: Any, code: str) -> bool:
    """Whether a result's region (6- or 12-digit code) lies in the user's scope."""
    return any(code.startswith(p) for p in scope_prefixes(user, Capability.VIEW_PLANS))


def result_code(region: Region) -> str:
    """How results name a region: 6 digits for a county and above, 12 for a township."""
    return region.code if region.level >= RegionLevel.TOWNSHIP else region.code[:6]


def plan_regions(plan: Plan) -> QuerySet[Region]:
    """The current regions the plan's results are computed for: its own and every one
    below it down to township."""
    return Region.objects.filter(path__startswith=plan.region.path, level__lte=RegionLevel.TOWNSHIP,
                                 valid_until__isnull=True)


def root_regions(user: Any, plan: Plan) -> list[Region]:
    """Where the user's view of ``plan`` starts: the plan's region when it lies in their
    scope, otherwise the regions of their scope inside it (a county's monitor of the
    province's plan starts at the county)."""
    if can(user, Capability.VIEW_PLANS, plan.region):
        return [plan.region]
    return [r for r in scope_regions(user, Capability.VIEW_PLANS)
            if r.path.startswith(plan.region.path) and r.level <= RegionLevel.TOWNSHIP]


def region_for(user: Any, plan: Plan, code: str) -> Region:
    """The region of ``plan`` named by ``code`` (6 digits for a county and above, 12 for
    a township, as the results name them) if it lies in the user's scope; 404 otherwise,
    as for a region that does not exist."""
    if not _CODE.fullmatch(code or ""):
        raise Http404
    region = plan_regions(plan).filter(code=code.ljust(12, "0")).first()
    if region is None or result_code(region) != code or not can(user, Capability.VIEW_PLANS, region):
        raise Http404
    return region


def trail(user: Any, region: Region) -> list[Region]:
    """The regions from the top of the user's scope down to ``region`` (inclusive), for
    the breadcrumbs of the drill-down: the ancestors the user may not see are left out."""
    ancestors = []
    current: Region | None = region
    while current is not None:
        ancestors.append(current)
        current = current.parent
    return [r for r in reversed(ancestors) if can(user, Capability.VIEW_PLANS, r)]


def as_of_dates(plan: Plan) -> list[Any]:
    """The as-of dates the plan has results for, the latest first."""
    return list(IndicatorResult.objects.filter(indicator__plan=plan).order_by("-as_of")
                .values_list("as_of", flat=True).distinct())


def region_results(plan: Plan, region: Region, as_of: Any, *, status: str = "", kind: str = ""
                   ) -> list[IndicatorResult]:
    """The plan's stored results for ``region`` (checked by ``region_for``) on ``as_of``,
    in row order; only those of ``status`` and of rows of ``kind`` when given."""
    rows = IndicatorResult.objects.filter(indicator__plan=plan, region_code=result_code(region), as_of=as_of)
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(indicator__kind=kind)
    return list(rows.select_related("indicator").order_by("indicator__row"))


def below_levels(plan: Plan, region: Region) -> list[int]:
    """The region levels below ``region`` the plan has results for (down to township)."""
    return list(range(region.level + 1, RegionLevel.TOWNSHIP + 1))


@dataclass
class RegionSummary:
    region: Region
    code: str
    counts: dict[str, int] = field(default_factory=dict)  # results by status

    @property
    def risk(self) -> int:
        """Rows not achieved or at risk."""
        return self.counts.get(Status.NOT_ACHIEVED, 0) + self.counts.get(Status.AT_RISK, 0)

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)


def regions_below(plan: Plan, region: Region, level: int, as_of: Any, *, status: str = "", kind: str = ""
                  ) -> list[RegionSummary]:
    """The regions at ``level`` inside ``region`` (in the user's scope since ``region``
    is), each with its results on ``as_of`` counted by status (rows of ``kind`` when
    given), the regions with the most rows not achieved or at risk first; with
    ``status``, only the regions having a row of that status."""
    regions = list(plan_regions(plan).filter(path__startswith=region.path, level=level).order_by("code"))
    summaries = {result_code(r): RegionSummary(r, result_code(r)) for r in regions}
    rows = IndicatorResult.objects.filter(indicator__plan=plan, as_of=as_of, region_code__in=list(summaries))
    if kind:
        rows = rows.filter(indicator__kind=kind)
    for code, state, n in rows.values_list("region_code", "status").annotate(n=Count("id")).order_by():
        summaries[code].counts[state] = n
    found = [s for s in summaries.values() if not status or s.count(status)]
    return sorted(found, key=lambda s: (-s.risk, -s.count(Status.NOT_ACHIEVED), -s.count(Status.NO_DATA), s.code))


def trend(plan: Plan, region: Region) -> dict[int, dict[int, IndicatorResult]]:
    """Each row's results for ``region`` by year of the plan period: in each year, the
    result of the latest as-of date in that year (row id → year → result)."""
    found: dict[int, dict[int, IndicatorResult]] = {}
    rows = (IndicatorResult.objects.filter(indicator__plan=plan, region_code=result_code(region),
                                           as_of__year__gte=plan.start_year, as_of__year__lte=plan.end_year)
            .order_by("as_of"))
    for r in rows:
        found.setdefault(r.indicator_id, {})[r.as_of.year] = r
    return found


def hand_values(user: Any, plan: Plan) -> list[HandValue]:
    """The plan's values entered by hand for the regions in the user's scope, latest year first."""
    rows = (HandValue.objects.filter(indicator__plan=plan).select_related("indicator", "entered_by")
            .order_by("-year", "indicator__row", "region_code", "compared_with"))
    return [h for h in rows if visible_code(user, h.region_code)]


def hand_value_for(user: Any, plan: Plan, pk: int) -> HandValue:
    """One value entered by hand on ``plan`` in the user's scope (404 otherwise)."""
    hand = HandValue.objects.filter(indicator__plan=plan, pk=pk).select_related("indicator__plan").first()
    if hand is None or not visible_code(user, hand.region_code):
        raise Http404
    return hand


def entered_beside(rows: list[IndicatorResult], year: int) -> dict[int, HandValue]:
    """For each result, the value entered by hand for its row, region and year: the row's
    own value (a row reported by hand) or the comparison value (a relative target)."""
    keys = {(r.indicator_id, r.region_code) for r in rows}
    found = {(h.indicator_id, h.region_code): h for h in HandValue.objects.filter(
        indicator_id__in={k[0] for k in keys}, region_code__in={k[1] for k in keys}, year=year)}
    return {r.pk: found[(r.indicator_id, r.region_code)] for r in rows if (r.indicator_id, r.region_code) in found}
