"""/persons/{id}/benefits and /benefit-programmes: decisions with reasons, and what is in
force where.

A decision is ``benefits.rules.decide``, the same as the person page and ``yangguang
benefits check`` (one object: ``person_id``, ``on``, ``programmes`` with each
programme's decision, amount and reasons); reading it is audited as a view of the
person. Where the person's household lies outside the caller's scope its economic
status is that region's data: no decisions, ``household_elsewhere`` true (as the page).
Policies name no person, so reading them is not audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from yangguang.accounts.permissions import Capability
from yangguang.api.access import actor, require
from yangguang.api.common import READ_ERRORS, region_filter
from yangguang.api.persons import person_for
from yangguang.benefits import rules, selectors, services

router = Router(tags=["benefits"])


class Decision(Schema):
    programme: str = Field(description="项目代码，如 care_allowance")
    name: str = Field(description="项目名称")
    eligible: bool
    amount: float | None = Field(description="金额（元）；不符合条件或金额未知（占位）时为 null")
    unit: str = Field(description="month / year / once / none（不发放现金）；未实行时为空")
    placeholder: bool = Field(description="符合条件但当地标准未知（占位，不按零计）")
    reasons: list[str] = Field(description="每个条件所依据的事实及其日期，及金额")


class PersonBenefits(Schema):
    person_id: int
    on: dt.date
    household_elsewhere: bool = Field(description="家庭登记在管辖范围外：不提供补贴资格")
    programmes: list[Decision]


class OnQuery(Schema):
    on: dt.date | None = Field(None, description="日期 YYYY-MM-DD，默认今天")


@router.get("/persons/{int:person_id}/benefits", response={200: PersonBenefits, **READ_ERRORS},
            summary="某人在某日各补贴项目的资格、金额和理由")
def person_benefits(request: HttpRequest, person_id: int, query: Query[OnQuery]) -> dict[str, Any]:
    person = person_for(request, person_id, Capability.VIEW_PERSON)
    on = query.on or timezone.localdate()
    services.record_check(person, on, actor=actor(request), channel="api")
    if not selectors.household_visible(request.user, person):
        return {"person_id": person.pk, "on": on, "household_elsewhere": True, "programmes": []}
    return {"person_id": person.pk, "on": on, "household_elsewhere": False,
            "programmes": [d.as_json() for d in rules.decide(person, on)]}


class Version(Schema):
    jurisdiction: str
    start: dt.date
    until: dt.date | None
    source: str
    confidence: str = Field(description="S 有来源 / S2 二手来源 / M 记忆 / M? 待核实")
    note: str
    file: str = Field(description="policies/ 下的政策文件")


class Amount(Schema):
    who: str
    amount: float | None
    text: str
    placeholder: bool
    note: str


class ProgrammeInForce(Schema):
    programme: str
    name: str
    in_force: bool
    jurisdiction: str | None = None
    since: dt.date | None = None
    unit: str | None = None
    conditions: list[str] = []
    amounts: list[Amount] = []
    versions: list[Version] = []


class PolicyQuery(Schema):
    region: str = Field(max_length=12, description="户籍地区划代码（6或12位）")
    on: dt.date | None = Field(None, description="日期 YYYY-MM-DD，默认今天")


@router.get("/benefit-programmes", response={200: list[ProgrammeInForce], **READ_ERRORS},
            summary="某地户籍在某日施行的各补贴项目：条件、金额、来源、施行日期")
def benefit_programmes(request: HttpRequest, query: Query[PolicyQuery]) -> list[dict[str, Any]]:
    require(request, Capability.VIEW_PERSON)
    region = region_filter(query.region, "region")
    out = []
    for row in selectors.in_force(region.code, query.on or timezone.localdate()):
        programme, rule = row["programme"], row["rule"]
        item: dict[str, Any] = {"programme": programme.key, "name": programme.name,
                                "in_force": rule is not None}
        if rule is not None:
            item |= {"jurisdiction": row["jurisdiction"], "since": rule.since, "unit": rule.unit,
                     "conditions": [str(c) for c in row["conditions"]],
                     "amounts": [a | {"who": str(a["who"]), "text": str(a["text"]),
                                      "amount": float(a["amount"]) if a["amount"] is not None else None}
                                 for a in row["amounts"]],
                     "versions": row["versions"]}
        out.append(item)
    return out
