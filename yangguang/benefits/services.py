"""Writes of benefits: each validates, saves and records the audit event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from yangguang.audit.services import Actor, record
from yangguang.benefits.models import FactKind, PersonFact
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.registry.models import Person
from yangguang.registry.rules import Scope, check_region_scope_of

MESSAGES = {
    "fact_kind": _("未知的情况类别：{value}"),
    "fact_dates": _("结束日期不能早于开始日期{value}"),
    "fact_amount": _("月金额不能为负数"),
    "fact_source": _("请填写来源（如：民政部门比对、本人申报）"),
}


def _problem(code: str, field: str, **params: Any) -> Problem:
    return Problem(code=code, field=field, template=MESSAGES[code], params=params)


@transaction.atomic
def record_fact(person: Person, *, kind: str, start_date: dt.date, end_date: dt.date | None = None,
                monthly_amount: Decimal | None = None, source: str, actor: Actor | Any,
                scope: Scope) -> PersonFact:
    """Record that a fact (another benefit, pension enrolment, a wheelchair …) held for
    ``person`` from ``start_date`` (to ``end_date``)."""
    check_region_scope_of(person.hukou_region_id, scope)
    problems = []
    if kind not in FactKind.values:
        problems.append(_problem("fact_kind", "kind", value=kind))
    if end_date is not None and end_date < start_date:
        problems.append(_problem("fact_dates", "end_date", value=start_date.isoformat()))
    if monthly_amount is not None and monthly_amount < 0:
        problems.append(_problem("fact_amount", "monthly_amount"))
    if not source.strip():
        problems.append(_problem("fact_source", "source"))
    if problems:
        raise ValidationFailed(problems)
    fact = PersonFact.objects.create(person=person, kind=kind, start_date=start_date,
                                     end_date=end_date, monthly_amount=monthly_amount,
                                     source=source.strip())
    record(actor, "create", "person_fact", fact.pk, person_id=person.pk,
           region_code=person.hukou_region_id,
           data={"kind": kind, "start_date": start_date.isoformat(),
                 "end_date": end_date.isoformat() if end_date else None,
                 "monthly_amount": str(monthly_amount) if monthly_amount is not None else None,
                 "source": fact.source})
    return fact


def record_check(person: Person, on: dt.date, *, actor: Actor | Any, channel: str) -> None:
    """A decision was read for ``person`` (the command line, the API): audited as a view."""
    record(actor, "view", "benefit_decision", person.pk, person_id=person.pk,
           region_code=person.hukou_region_id, data={"on": on.isoformat(), "channel": channel})


def record_screening(programme: str, region: str, on: dt.date, ids: list[int], *,
                     actor: Actor | Any, region_code: str) -> None:
    """A screening list was read: a view of the persons listed, with the criteria."""
    record(actor, "view", "person", region_code=region_code,
           data={"via": "benefits_screening", "ids": ids,
                 "query": {"programme": programme, "region": region, "on": on.isoformat()}})
