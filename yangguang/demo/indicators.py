"""Demo: each plan's indicators as of the end of every year of its period up to the demo
date (one snapshot per date, ``analytics.services.compute_plans``), so the dashboard
shows a trend by year. Dates already computed for a plan are left alone: loading twice
computes nothing the second time."""

from __future__ import annotations

import datetime as dt

from yangguang.analytics import services
from yangguang.analytics.models import IndicatorResult
from yangguang.audit.services import Actor
from yangguang.plans.models import Plan


def year_ends(plan: Plan, as_of: dt.date) -> list[dt.date]:
    """The last day of each year of ``plan`` that has begun by ``as_of`` (``as_of`` itself
    in its own year)."""
    return [min(dt.date(year, 12, 31), as_of) for year in range(plan.start_year, plan.end_year + 1)
            if dt.date(year, 1, 1) <= as_of]


def load_indicators(actor: Actor, *, as_of: dt.date) -> int:
    """Compute and store the results the plans lack for their year ends; how many."""
    plans = list(Plan.objects.select_related("region").order_by("key"))
    done = set(IndicatorResult.objects.values_list("indicator__plan_id", "as_of").distinct())
    by_date: dict[dt.date, list[Plan]] = {}
    for plan in plans:
        for day in year_ends(plan, as_of):
            if (plan.pk, day) not in done:
                by_date.setdefault(day, []).append(plan)
    stored = 0
    for day, todo in sorted(by_date.items()):
        found = services.compute_plans(todo, day, actor=actor)
        stored += sum(len(rows) for rows in found.values())
    return stored
