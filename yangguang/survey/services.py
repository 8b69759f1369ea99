"""Every write of surveys: check (``rules.check``), save, audit.

The form, the API and the demo call ``record_survey``; the import checks with the
same ``rules.check`` and writes blocks through ``importing`` with the same events.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_prefixes
from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, Chain, Event, record, record_many
from yangguang.core import bulk
from yangguang.core.errors import ValidationFailed
from yangguang.registry.models import Person
from yangguang.registry.rules import Scope, check_region_scope_of
from yangguang.survey import rules
from yangguang.survey.models import ANSWERS, AnnualSurvey
from yangguang.survey.rules import SurveyData

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


def write_scope(user: Any) -> Scope:
    """Where ``user`` may record surveys: where they may edit persons."""
    return tuple(scope_prefixes(user, Capability.EDIT_PERSON))


def certified_persons(person_ids: list[int], year: int) -> set[int]:
    """Which of ``person_ids`` are certified in ``year`` (``rules.certified_q``)."""
    return set(bulk.filter_in(Person.objects.filter(rules.certified_q(year)), "id", person_ids)
               .values_list("pk", flat=True))


def event_data(data: SurveyData, before: dict[str, Any] | None) -> dict[str, Any]:
    """What a survey's audit event says: the year, and the answers given (a new survey)
    or changed (``[before, after]``)."""
    after = data.answers()
    if before is None:
        return {"year": data.year, **{k: _json(v) for k, v in after.items()
                                      if v is not None and v != ""}}
    return {"year": data.year, "changes": {k: [_json(before[k]), _json(v)]
                                           for k, v in after.items() if before[k] != v}}


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


@transaction.atomic
def record_survey(person: Person, data: SurveyData, *, actor: Actor | Any, scope: Scope,
                  new_only: bool = False, today: dt.date | None = None
                  ) -> tuple[AnnualSurvey, str]:
    """Record the person's survey of ``data.year`` (a new one, or the year's survey
    changed), within ``scope``; returns it and ``created``, ``updated`` or
    ``unchanged`` (nothing written, nothing audited). ``new_only``: refuse a year
    already recorded (``survey_exists``), as the API's create does."""
    check_region_scope_of(person.hukou_region_id, scope)
    rules.check(data, birth_date=person.birth_date,
                certified=bool(certified_persons([person.pk], data.year)),
                today=today or timezone.localdate())
    stored = AnnualSurvey.objects.select_for_update().filter(person=person, year=data.year).first()
    if stored is not None and new_only:
        raise ValidationFailed([rules.problem("survey_exists", "year", year=data.year)])
    answers = data.answers()
    if stored is None:
        survey = AnnualSurvey.objects.create(person=person, year=data.year, **answers)
        action, outcome, before = AuditAction.CREATE, CREATED, None
    else:
        before = {k: getattr(stored, k) for k in answers}
        if before == answers:
            return stored, UNCHANGED
        for key, value in answers.items():
            setattr(stored, key, value)
        stored.save()
        survey, action, outcome = stored, AuditAction.UPDATE, UPDATED
    record(actor, action, "survey", survey.pk, person_id=person.pk,
           region_code=person.hukou_region_id, data=event_data(data, before))
    return survey, outcome


#: The columns a new survey is inserted with (``create_surveys``).
_INSERTED = ("id", "person_id", "year", *ANSWERS, "created_at", "updated_at")


def create_surveys(items: list[tuple[int, str, SurveyData]], *, actor: Actor | Any,
                   chain: Chain | None = None, now: dt.datetime | None = None) -> list[int]:
    """Insert new surveys in bulk — (person id, their hukou region, data) each, already
    checked by ``rules.check`` against the person and known not to be stored — with
    their ``create`` events (into ``chain``, a bulk job's ``Segment``, or the main
    chain). The import and the demo write through here; returns the new ids."""
    if not items:
        return []
    now = now or timezone.now()
    ids = bulk.allocate_ids(AnnualSurvey, len(items))
    bulk.insert_rows(AnnualSurvey, _INSERTED, [
        (pk, person_id, data.year, *[getattr(data, k) for k in ANSWERS], now, now)
        for pk, (person_id, _region, data) in zip(ids, items, strict=True)])
    events = [Event(AuditAction.CREATE, "survey", str(pk), person_id, region,
                    event_data(data, None))
              for pk, (person_id, region, data) in zip(ids, items, strict=True)]
    if chain is None:
        record_many(actor, events, now=now)
    else:
        chain.write(events, now)
    return ids


def update_survey(pk: int, person_id: int, region: str, data: SurveyData,
                  before: dict[str, Any], *, chain: Chain, now: dt.datetime) -> None:
    """Change a stored survey (``pk``, whose answers were ``before``) to ``data``, with
    its ``update`` event into ``chain`` (the import's)."""
    AnnualSurvey.objects.filter(pk=pk).update(**data.answers(), updated_at=now)
    chain.write([Event(AuditAction.UPDATE, "survey", str(pk), person_id, region,
                       event_data(data, before))], now)
