"""Needs taken from the annual survey: each need the survey found and the person did
not receive becomes an open ``Need`` (source ``survey``), through ``actions.open_need``
and so through the jurisdiction's eligibility rules.

- 康复需求 (not 无需求), 未获得康复服务 → child rehabilitation aid when the person is
  eligible for it, else basic rehabilitation;
- 辅具需求 (not 无需求), 未适配辅具 → assistive device fitting;
- 托养需求 寄宿制/日间/居家, 未获得托养服务 → residential / day / home care;
- 无障碍改造需求, 未完成 → home accessibility modification.

Idempotent: a need already taken from the same year's survey, or an unmet need of the
kind, is not opened again, so the daily job (``services.jobs``) and the demo may run
it as often as they like.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
from yangguang.services import actions, eligibility
from yangguang.services.models import Need, NeedSource, ServiceKind
from yangguang.services.states import UNMET
from yangguang.survey.models import AnnualSurvey

CARE = {"residential": ServiceKind.CARE_RESIDENTIAL, "day": ServiceKind.CARE_DAY,
        "home": ServiceKind.CARE_HOME}
_NO_NEED = ("", "none")


@dataclass
class SurveyNeeds:
    opened: int = 0
    already: int = 0  # taken before, or an unmet need of the kind was open
    refused: Counter[str] = field(default_factory=Counter)  # by problem code (not_eligible …)

    def as_dict(self) -> dict[str, Any]:
        return {"opened": self.opened, "already": self.already, **dict(self.refused)}


def kinds_of(survey: AnnualSurvey, day: dt.date) -> list[tuple[str, str]]:
    """(kind, the survey's code of what is needed, or "") of each need the survey records
    as not received: codes, never labels, so each reader sees its own language."""
    found: list[tuple[str, str]] = []
    if not survey.reached:
        return found
    if survey.rehabilitation_need not in _NO_NEED and survey.rehabilitation_received is not True:
        child = eligibility.decide(survey.person, ServiceKind.CHILD_REHABILITATION, day)
        kind = (ServiceKind.CHILD_REHABILITATION if child.rule is not None and child.eligible
                else ServiceKind.BASIC_REHABILITATION)
        found.append((kind, survey.rehabilitation_need))
    if survey.device_need not in _NO_NEED and survey.device_fitted is not True:
        found.append((ServiceKind.DEVICE_FITTING, survey.device_need))
    if survey.care_need in CARE and survey.care_received is not True:
        found.append((CARE[survey.care_need], ""))
    if survey.accessibility_need is True and survey.accessibility_done is not True:
        found.append((ServiceKind.HOME_MODIFICATION, ""))
    return found


def _with_needs(year: int) -> Q:
    return Q(year=year, reached=True) & (
        (~Q(rehabilitation_need__in=_NO_NEED) & ~Q(rehabilitation_received=True))
        | (~Q(device_need__in=_NO_NEED) & ~Q(device_fitted=True))
        | (Q(care_need__in=list(CARE)) & ~Q(care_received=True))
        | (Q(accessibility_need=True) & ~Q(accessibility_done=True)))


def open_needs_from_surveys(year: int, *, actor: Actor | Any, scope: actions.Scope = None
                            ) -> SurveyNeeds:
    """Open the needs the ``year``'s surveys found (within ``scope``), dated on the survey
    day; each refusal (a person not eligible, deceased since …) is counted by its code."""
    result = SurveyNeeds()
    taken = set(Need.objects.filter(source=NeedSource.SURVEY, survey_year=year)
                .values_list("person_id", "kind"))
    unmet = set(Need.objects.filter(state__in=UNMET).values_list("person_id", "kind"))
    surveys = (AnnualSurvey.objects.filter(_with_needs(year))
               .select_related("person").order_by("person_id"))
    if scope is not None:
        region = Q()
        for prefix in scope:
            region |= Q(person__hukou_region__code__startswith=prefix)
        surveys = surveys.filter(region)
    for survey in surveys.iterator(chunk_size=1000):
        day = survey.survey_date or dt.date(year, 12, 31)
        for kind, detail in kinds_of(survey, day):
            key = (survey.person_id, str(kind))
            if key in taken or key in unmet:
                result.already += 1
                continue
            try:
                actions.open_need(survey.person, kind, opened_on=day, actor=actor, scope=scope,
                                  source=NeedSource.SURVEY, survey_year=year,
                                  survey_detail=detail)
            except ValidationFailed as exc:
                result.refused[exc.problems[0].code] += 1
                continue
            taken.add(key)
            result.opened += 1
    return result
