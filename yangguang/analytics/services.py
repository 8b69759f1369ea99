"""Writes of the analytics app: stored results (replaced per plan and as-of date)."""

from __future__ import annotations

import datetime

from django.db import transaction

from yangguang.analytics.engine import Row
from yangguang.analytics.models import IndicatorResult
from yangguang.audit.services import Actor, record
from yangguang.plans.models import Plan


@transaction.atomic
def store_results(plan: Plan, as_of: datetime.date, rows: list[Row], engine: str, *, actor: Actor) -> int:
    IndicatorResult.objects.filter(indicator__plan=plan, as_of=as_of).delete()
    IndicatorResult.objects.bulk_create([
        IndicatorResult(indicator=r.indicator, region_code=r.region_code, as_of=as_of, engine=engine,
                        version=r.version, value=r.value, numerator=r.numerator, denominator=r.denominator,
                        compared_with=r.compared_with, status=r.status, by_hand=r.by_hand)
        for r in rows])
    record(actor, "indicators_compute", "plan", plan.pk,
           data={"plan": plan.key, "as_of": as_of.isoformat(), "engine": engine, "results": len(rows)})
    return len(rows)
