"""Scoped reads of stored results for the dashboard."""

from __future__ import annotations

from typing import Any

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_prefixes
from yangguang.analytics.models import IndicatorResult, Status
from yangguang.plans.models import Plan

#: Worst first: the regions at risk lead.
RISK_ORDER = [Status.NOT_ACHIEVED, Status.AT_RISK, Status.NO_DATA, Status.ON_TRACK, Status.ACHIEVED]


def visible_code(user: Any, code: str) -> bool:
    """Whether a result's region (6- or 12-digit code) lies in the user's scope."""
    return any(code.startswith(p) for p in scope_prefixes(user, Capability.VIEW_PLANS))


def latest_as_of(plan: Plan) -> Any:
    return (IndicatorResult.objects.filter(indicator__plan=plan).order_by("-as_of")
            .values_list("as_of", flat=True).first())


def results(user: Any, plan: Plan, as_of: Any) -> list[IndicatorResult]:
    """The plan's stored results on ``as_of`` for the regions in the user's scope."""
    rows = (IndicatorResult.objects.filter(indicator__plan=plan, as_of=as_of).select_related("indicator")
            .order_by("indicator__row", "region_code"))
    return [r for r in rows if visible_code(user, r.region_code)]


def regions_at_risk(rows: list[IndicatorResult]) -> list[tuple[str, int]]:
    """Each region with its count of rows not achieved or at risk, most first."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.region_code] = counts.get(r.region_code, 0) + (r.status in (Status.AT_RISK, Status.NOT_ACHIEVED))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
