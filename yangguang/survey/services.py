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
from yangguang.audit.services import Actor, Chain, Event, Pairs, record, record_many
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


def certified_persons(person_ids: list[int], year: int, using: str = "default") -> set[int]:
    """Which of ``person_ids`` are certified in ``year`` (``rules.certified_q``)."""
    return set(bulk.filter_in(Person.objects.using(using).filter(rules.certified_q(year)), "id",
                              person_ids).values_list("pk", flat=True))


#: The year and the answers, in the order canonical JSON sorts keys.
_EVENT_KEYS = tuple(sorted(("year", *ANSWERS)))


def _given(data: SurveyData) -> list[tuple[str, Any]]:
    """What a new survey's event says: the year and the answers given, in key order."""
    return [(key, value) for key in _EVENT_KEYS
            if (value := getattr(data, key)) is not None and value != ""]


def event_data(data: SurveyData, before: dict[str, Any] | None) -> dict[str, Any]:
    """What a survey's audit event says: the year, and the answers given (a new survey,
    ``_given``) or changed (``[before, after]``)."""
    if before is None:
        return {key: _json(value) for key, value in _given(data)}
    return {"year": data.year, "changes": {k: [_json(before[k]), _json(v)]
                                           for k, v in data.answers().items() if before[k] != v}}


_PAIRS = Pairs()


def new_event_json(data: SurveyData) -> bulk.JsonText:
    """``event_data(data, None)`` as the audit log's canonical JSON text, each distinct
    answer encoded once (``audit.services.Pairs``): for writing events in bulk."""
    return _PAIRS(_given(data))


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
                   chain: Chain | None = None, now: dt.datetime | None = None,
                   writer: bulk.Writer | None = None) -> list[int]:
    """Insert new surveys in bulk — (person id, their hukou region, data) each, already
    checked by ``rules.check`` against the person and known not to be stored — with
    their ``create`` events (into ``chain``, a bulk job's ``Segment``, or the main
    chain). With ``writer`` (and ``chain``: the import's), the surveys and events go
    by columns through the writer's thread, ids from its pool. The import and the demo
    write through here; returns the new ids."""
    if not items:
        return []
    now = now or timezone.now()
    if writer is not None and chain is not None:
        ids = writer.ids.take(AnnualSurvey, len(items))
        person_ids = [person_id for person_id, _region, _data in items]
        answers = [data for _person, _region, data in items]
        writer.insert_columns(AnnualSurvey, {
            "id": ids, "person_id": person_ids, "year": [data.year for data in answers],
            **{key: [getattr(data, key) for data in answers] for key in ANSWERS},
            "created_at": now, "updated_at": now})
        chain.write_columns(writer, AuditAction.CREATE, "survey", [str(pk) for pk in ids],
                            person_ids, [region for _person, region, _data in items],
                            [new_event_json(data) for data in answers], now)
        return ids
    ids = bulk.allocate_ids(AnnualSurvey, len(items))
    bulk.insert_rows(AnnualSurvey, _INSERTED, [
        (pk, person_id, data.year, *[getattr(data, k) for k in ANSWERS], now, now)
        for pk, (person_id, _region, data) in zip(ids, items, strict=True)])
    events = [Event(AuditAction.CREATE, "survey", str(pk), person_id, region,
                    new_event_json(data))
              for pk, (person_id, region, data) in zip(ids, items, strict=True)]
    if chain is None:
        record_many(actor, events, now=now)
    else:
        chain.write(events, now)
    return ids


def update_survey(pk: int, person_id: int, region: str, data: SurveyData,
                  before: dict[str, Any], *, chain: Chain, now: dt.datetime,
                  writer: bulk.Writer | None = None) -> None:
    """Change a stored survey (``pk``, whose answers were ``before``) to ``data``, with
    its ``update`` event into ``chain`` (the import's; through ``writer``, its)."""
    AnnualSurvey.objects.filter(pk=pk).update(**data.answers(), updated_at=now)
    chain.write([Event(AuditAction.UPDATE, "survey", str(pk), person_id, region,
                       event_data(data, before))], now, writer)
