"""Scoped reads of stored results for the dashboard."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_prefixes
from yangguang.analytics.models import HandValue, IndicatorResult, Status
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
