"""Persons for the benefit rules, made by the demo factory and the registry's services."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from yangguang.audit.services import Actor
from yangguang.benefits import services as benefits
from yangguang.demo.generator import create_person
from yangguang.registry import services as registry
from yangguang.registry.models import Household, Person
from yangguang.survey.rules import SurveyData
from yangguang.survey.services import record_survey

ACTOR = Actor("test")
XINING = "630102"  # 西宁市城东区, Qinghai
WUTAI = "140922"  # 五台县, Shanxi
LINXIA = "622921"  # 临夏县, Gansu
BEILIN = "610103"  # 碑林区, Shaanxi
QINGZHOU = "370781"  # 青州市, Shandong
_households = itertools.count(1)


def make_person(*, region: str = XINING, category: str = "肢体", level: str = "二级",
                issued: dt.date = dt.date(2020, 1, 1), birth: dt.date = dt.date(1970, 5, 6),
                household: str | None = None, statuses: tuple[tuple[str, dt.date, dt.date | None], ...] = (),
                facts: tuple[tuple[str, dt.date, dt.date | None, Any], ...] = (),
                died: dt.date | None = None, survey: dict[str, Any] | None = None,
                components: str = "") -> Person:
    """A person with a certificate issued on ``issued``; the household's economic
    statuses (status, start, end), person facts (kind, start, end, monthly amount) and
    an annual survey (``SurveyData``'s fields); a 多重 certificate's ``components`` as the
    template writes them (智力三级；肢体四级)."""
    number = household or f"BEN{next(_households):06d}"
    person = create_person(actor=ACTOR, hukou_region=region, category=category, level=level,
                           issue_date=issued, birth_date=birth, household_number=number,
                           relation_to_head="head", **({"components": components} if components else {}))
    if statuses:
        home = Household.objects.get(number=number)
        for status, start, end in statuses:
            registry.set_household_status(home, status, start, end, actor=ACTOR)
    for kind, start, end, amount in facts:
        benefits.record_fact(person, kind=kind, start_date=start, end_date=end,
                             monthly_amount=Decimal(str(amount)) if amount is not None else None,
                             source="民政部门比对", actor=ACTOR, scope=None)
    if survey is not None:
        record_survey(person, SurveyData(**survey), actor=ACTOR, scope=None)
    if died is not None:
        registry.record_death(person, died, actor=ACTOR)
        person.refresh_from_db()
    return person


#: The steps from 申请 to 发放.
FLOW = ("review", "check_level", "decide", "publish", "grant")


def take_steps(app: Any, actions: Any = FLOW, day: dt.date = dt.date(2025, 6, 2), note: str = "同意",
               scope: Any = None) -> Any:
    """Take ``actions`` on ``app`` on ``day``, the grant on the day after the publication
    ends (``services.take_step`` refuses it before)."""
    for action in actions:
        when = app.deadline + dt.timedelta(days=1) if action == "grant" else day
        app = benefits.take_step(app, action, day=when, actor=ACTOR, scope=scope, note=note)
    return app


@pytest.fixture
def person() -> Callable[..., Person]:
    return make_person
