"""What a confirmed match does, per list kind, through the registry's and benefits'
services.

Each function takes the confirmed person and the list row's facts, acts (or finds
there is nothing to do) and returns an effect code (``EFFECTS``). Applying the same
match again returns ``unchanged``: re-running a list changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from yangguang.audit.services import Actor
from yangguang.benefits import services as benefits
from yangguang.benefits.models import FactKind, PersonFact
from yangguang.core.errors import ValidationFailed
from yangguang.registry import services as registry
from yangguang.registry.models import HouseholdStatus, Person

EFFECTS = {
    "applied": _("已处理"),
    "unchanged": _("无需处理（登记已一致）"),
    "recorded": _("已记录部门信息"),
    "refused": _("登记拒绝了处理"),
    "no_household": _("未登记家庭，无法记录家庭经济状况"),
    "death_date_differs": _("已登记死亡，但死亡日期不同"),
    "hukou_differs": _("户籍地与登记不一致"),
}


def stop_benefits_after_death(person: Person, death_date: dt.date, *, actor: Actor) -> str:
    """End the person's grants from the month after ``death_date`` through benefits'
    service (``benefits.services.end_grants``; the registry's ``record_death`` has
    already told benefits, so this finds nothing left to end unless the death was
    recorded without it): ``applied`` when a grant was ended, else ``unchanged``."""
    ended = benefits.end_grants(person, "death", death_date, actor=actor)
    return "applied" if ended else "unchanged"


#: The list kinds whose rows are benefits' person facts (``benefits.models.FactKind``).
FACT_KINDS = {"work-injury-care": FactKind.WORK_INJURY_CARE_FEE,
              "orphan-support": FactKind.ORPHAN_SUPPORT,
              "pension-insurance": FactKind.RESIDENT_PENSION}


def hand_to_benefits(person: Person, kind: str, facts: dict[str, Any], *, actor: Actor,
                     department: str) -> str:
    """A benefit that excludes a subsidy (work-injury care fee, orphan support) or the
    pension enrolment, recorded as benefits' person fact (``benefits.services.record_fact``),
    which its rules read; the same period again is ``unchanged``."""
    fact_kind = FACT_KINDS[kind]
    start = dt.date.fromisoformat(facts.get("start_date") or facts.get("enrolled_on") or "")
    end = dt.date.fromisoformat(facts["end_date"]) if facts.get("end_date") else None
    if PersonFact.objects.filter(person=person, kind=fact_kind, start_date=start, end_date=end).exists():
        return "unchanged"
    amount = facts.get("amount")
    benefits.record_fact(person, kind=fact_kind, start_date=start, end_date=end,
                         monthly_amount=Decimal(amount) if amount else None,
                         source=department, actor=actor, scope=None)
    return "applied"


def _death(person: Person, facts: dict[str, Any], kind: str, actor: Actor) -> str:
    day = dt.date.fromisoformat(facts["death_date"])
    if person.deceased_date is not None:
        return "unchanged" if person.deceased_date == day else "death_date_differs"
    registry.record_death(person, day, actor=actor)
    stop_benefits_after_death(person, day, actor=actor)
    return "applied"


def _status(status: str) -> Callable[[Person, dict[str, Any], str, Actor], str]:
    def apply(person: Person, facts: dict[str, Any], kind: str, actor: Actor) -> str:
        if person.household_id is None:
            return "no_household"
        start = dt.date.fromisoformat(facts["start_date"])
        end = dt.date.fromisoformat(facts["end_date"]) if facts.get("end_date") else None
        if HouseholdStatus.objects.filter(household_id=person.household_id, status=status,
                                          start_date=start, end_date=end).exists():
            return "unchanged"
        registry.set_household_status(person.household, status, start, end, actor=actor)
        return "applied"
    return apply


def _exclusion(person: Person, facts: dict[str, Any], kind: str, actor: Actor) -> str:
    return hand_to_benefits(person, kind, facts, actor=actor, department=facts.get("_department", ""))


def _pension(person: Person, facts: dict[str, Any], kind: str, actor: Actor) -> str:
    if not facts.get("enrolled_on"):
        return "recorded"
    return _exclusion(person, facts, kind, actor)


def _recorded(person: Person, facts: dict[str, Any], kind: str, actor: Actor) -> str:
    return "recorded"


def _hukou(person: Person, facts: dict[str, Any], kind: str, actor: Actor) -> str:
    return "unchanged" if person.hukou_region_id.startswith(facts["moved_to"]) else "hukou_differs"


_BY_KIND: dict[str, Callable[[Person, dict[str, Any], str, Actor], str]] = {
    "deaths": _death,
    "dibao": _status("dibao"),
    "near-dibao": _status("near_dibao"),
    "tekun": _status("tekun"),
    "monitored-households": _status("monitored"),
    "work-injury-care": _exclusion,
    "orphan-support": _exclusion,
    "pension-insurance": _pension,
    "medical-insurance": _recorded,
    "school-enrolment": _recorded,
    "hukou-moves": _hukou,
}


def apply(kind: str, person: Person, facts: dict[str, Any], *, actor: Actor, department: str = "") -> str:
    """Act on a confirmed match of a ``kind`` list row; the effect code. A refusal by
    the registry (a death date before birth …) is ``refused``, nothing written."""
    try:
        return _BY_KIND[kind](person, {**facts, "_department": department}, kind, actor)
    except (ValidationFailed, InvalidOperation, ValueError):
        return "refused"
