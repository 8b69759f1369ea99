"""Writes of the analytics app: stored results (replaced per plan and as-of date) and
values entered by hand (checked by ``reporting.check``)."""

from __future__ import annotations

import datetime
import tempfile
import uuid
from pathlib import Path, PurePath
from typing import Any

from django.core.files import File
from django.db import transaction

from yangguang.analytics import engine as engines
from yangguang.analytics import reporting, snapshot
from yangguang.analytics.engine import Row
from yangguang.analytics.models import HandValue, IndicatorResult
from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core.errors import ValidationFailed
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


def compute_plans(plans: list[Plan], as_of: datetime.date, *, actor: Actor, engine: str = "duckdb",
                  snapshot_dir: Path | None = None) -> dict[str, list[Row]]:
    """Every row of each of ``plans`` as of ``as_of``, computed on one snapshot (the one
    in ``snapshot_dir``, or a new one written to a temporary folder) and stored, each
    plan's results replacing those of the same as-of date; the rows by plan key."""
    found: dict[str, list[Row]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = snapshot_dir or Path(tmp)
        if snapshot_dir is None:
            snapshot.write(as_of, directory)
        for plan in plans:
            found[plan.key] = engines.compute(plan, as_of, directory, engine)
    for plan in plans:
        store_results(plan, as_of, found[plan.key], engine, actor=actor)
    return found


def enter_hand_value(user: Any, plan: Plan, data: reporting.HandValueData, *, evidence: File | None = None,
                     actor: Actor) -> HandValue:
    """Record the value of a row reported by hand, or a relative row's comparison value,
    for a region and year (checked by ``reporting.check``; a second entry for the same
    row, region and year replaces the first; audited). Raises ``ValidationFailed`` with
    every problem; nothing is written then."""
    problems, found = reporting.check(user, plan, data)
    if problems:
        raise ValidationFailed(problems)
    with transaction.atomic():
        hand, created = HandValue.objects.update_or_create(
            indicator=found["indicator"], region_code=found["region_code"], year=data.year,
            compared_with=found["compared_with"],
            defaults={"value": found["value"], "source": data.source.strip(), "reported_on": data.reported_on,
                      "unit": data.unit.strip(), "entered_by": user if getattr(user, "pk", None) else None})
        if evidence is not None:
            if hand.evidence:
                hand.evidence.delete(save=False)
            suffix = PurePath(data.evidence_name).suffix.lower()
            hand.evidence.save(f"{uuid.uuid4().hex}{suffix}", evidence, save=False)
            hand.evidence_name = PurePath(data.evidence_name).name[:200]
            hand.save()
        record(actor, AuditAction.CREATE if created else AuditAction.UPDATE, "hand_value", hand.pk,
               region_code=found["region_code"],
               data={"plan": plan.key, "row": hand.indicator.row, "year": data.year, "value": str(hand.value),
                     "compared_with": hand.compared_with, "source": hand.source, "unit": hand.unit,
                     "reported_on": data.reported_on.isoformat(), "evidence": hand.evidence_name})
    return hand


def record_evidence_read(hand: HandValue, *, actor: Actor) -> None:
    """An evidence file was downloaded."""
    record(actor, AuditAction.VIEW, "hand_value_evidence", hand.pk, region_code=hand.region_code,
           data={"plan": hand.indicator.plan.key, "row": hand.indicator.row, "year": hand.year,
                 "file": hand.evidence_name})


def record_dashboard_export(actor: Actor, plan: Plan, *, region_code: str, as_of: Any, rows: int) -> None:
    """The dashboard's indicator table of a region left the platform as XLSX."""
    record(actor, AuditAction.EXPORT, "plan_dashboard", plan.key, region_code=region_code,
           data={"plan": plan.key, "region": region_code, "as_of": str(as_of), "rows": rows})


def record_report_export(actor: Actor, plan: Plan, *, kind: str, year: int | None, as_of: str | None, fmt: str,
                         job_id: Any = "", file: str = "") -> None:
    """A monitoring or evaluation report left the platform (a download, or a file the
    command line wrote)."""
    record(actor, AuditAction.EXPORT, "plan_report", job_id, region_code=plan.region_id,
           data={"plan": plan.key, "kind": kind, "year": year, "as_of": as_of, "format": fmt,
                 **({"file": file} if file else {})})
