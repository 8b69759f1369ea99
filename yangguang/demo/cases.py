"""Demo certificate cases: in each county of the demo, a few open cases at different
steps (a renewal received, a reissue accepted, a reassessment under review, a
cancellation received) and a renewal issued, opened and moved through
``certificates.services`` only, so every rule and the audit apply as for staff.

The steps are dated in the past weeks, so their working-day deadlines fall before or
near today; a step whose deadline the holiday calendar cannot compute yet is left
untaken (the case stays where it is). Persons that already have a case are skipped, so
loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction

from yangguang.certificates import services
from yangguang.certificates.models import CertificateCase
from yangguang.core.errors import ValidationFailed
from yangguang.registry.models import Category, Certificate, CertificateStatus, Person

Step = tuple[str, int, dict[str, Any]]  # (action, days ago, fields)

#: What each demo case is: its application and its steps.
SCRIPTS: tuple[tuple[dict[str, Any], int, tuple[Step, ...]], ...] = (
    ({"kind": "renewal"}, 3, ()),
    ({"kind": "reissue"}, 12, (("accept", 11, {}),)),
    ({"kind": "renewal"}, 30, (("accept", 29, {}), ("issue", 25, {}))),
    ({"kind": "reassessment"}, 40, (
        ("accept", 39, {"institution": "县人民医院残疾评定门诊"}),
        ("assess", 30, {"institution": "县人民医院残疾评定门诊", "assessor": "王医生",
                        "assessed_on": 30, "category": None, "level": 1}),
        ("submit", 8, {}),
    )),
    ({"kind": "cancellation", "cancellation_reason": "moved_away"}, 2, ()),
)


def _candidates(as_of: dt.date) -> dict[str, list[Person]]:
    """Per county, living adults holding a valid certificate of a category that needs
    no guardian, renewable now (for the renewal), in id order."""
    held = (Certificate.objects.filter(status=CertificateStatus.VALID)
            .exclude(category__in=(Category.INTELLECTUAL, Category.MENTAL))
            .values("person_id"))
    persons = (Person.objects.filter(pk__in=held, deceased_date__isnull=True,
                                     birth_date__lte=as_of.replace(year=as_of.year - 18))
               .exclude(pk__in=CertificateCase.objects.values("person_id"))
               .select_related(None).order_by("pk"))
    by_county: dict[str, list[Person]] = {}
    for person in persons.iterator(chunk_size=2000):
        found = by_county.setdefault(person.hukou_region_id[:6], [])
        if len(found) < 3 * len(SCRIPTS):
            found.append(person)
    return by_county


def _values(fields: dict[str, Any], person: Person, as_of: dt.date) -> dict[str, Any]:
    values = dict(fields)
    if "assessed_on" in values:
        values["assessed_on"] = as_of - dt.timedelta(days=values["assessed_on"])
    if "category" in values:
        values["category"] = person.certificates.exclude(
            status=CertificateStatus.CANCELLED).values_list("category", flat=True).first()
    return values


def _run(person: Person, application: dict[str, Any], applied: int, steps: tuple[Step, ...],
         actor: Any, as_of: dt.date) -> bool:
    ago: Callable[[int], dt.date] = lambda days: as_of - dt.timedelta(days=days)  # noqa: E731
    try:
        with transaction.atomic():
            case = services.open_case(person, application | {"applied_on": ago(applied)},
                                      actor=actor, today=as_of)
    except ValidationFailed:
        return False  # (this person may not apply for it: the next one is tried)
    for action, days, fields in steps:
        try:
            with transaction.atomic():
                case = services.perform(case, action,
                                        _values(fields, person, as_of) | {"day": ago(days)},
                                        actor=actor, today=as_of)
        except ValidationFailed:
            break  # e.g. a deadline in a year the holiday calendar does not carry yet
    return True


def load_cases(actor: Any, *, as_of: dt.date) -> int:
    """Open the demo cases in every county that has none yet; returns how many."""
    opened = 0
    done = {code[:6] for code in CertificateCase.objects.values_list("hukou_region_id", flat=True)}
    for county, persons in _candidates(as_of).items():
        if county in done:
            continue
        queue = iter(persons)
        for application, applied, steps in SCRIPTS:
            for person in queue:
                if _run(person, application, applied, steps, actor, as_of):
                    opened += 1
                    break
    return opened
