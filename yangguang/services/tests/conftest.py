"""Persons, providers and staff for the service loop's tests, made through the demo
factory, ``actions``, ``registry.services`` and ``accounts.services`` (nothing stands in
for our code)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from yangguang.accounts import services as accounts
from yangguang.demo.generator import create_person
from yangguang.registry import services as registry
from yangguang.registry.models import Household, Person
from yangguang.services import actions
from yangguang.services.models import Provider, ProviderKind, ServiceKind

PASSWORD = "Yg-loop-Tests-2025!"
_households = itertools.count(1)
COUNTY_A = "140922"  # 五台县, Shanxi
TOWNSHIP_A = "140922100000"  # 台城镇
VILLAGE_A = "140922100001"
COUNTY_B = "610103"  # 碑林区, Shaanxi
VILLAGE_B = "610103001002"
QINGHAI_VILLAGE = "630102001001"  # 西宁市城东区


def years_ago(years: int, days: int = 30) -> dt.date:
    today = dt.date.today()
    return today.replace(year=today.year - years) - dt.timedelta(days=days)


@pytest.fixture
def person(actor) -> Callable[..., Person]:
    """``person(region=…, age=…, category="肢体", level="二级")``: a certified person
    (a valid certificate issued a year ago, unless ``issued_days_ago`` says otherwise)
    registered through the registry's services."""

    def make(region: str = VILLAGE_A, age: int = 40, category: str = "肢体",
             level: str = "二级", issued_days_ago: int = 365, household_status: str = "",
             **more: Any) -> Person:
        birth = years_ago(age, 40)
        extra: dict[str, Any] = {}
        if category == "多重":
            extra["多重残疾明细"] = more.pop("components")
        if household_status:
            extra |= {"household_number": f"SVC{next(_households):06d}",
                      "relation_to_head": "head"}
        made = create_person(actor=actor, 户籍地区划代码=region, 居住地区划代码=region,
                             出生日期=birth, 残疾类别=category, 残疾等级=level,
                             发证日期=(dt.date.today()
                                   - dt.timedelta(days=issued_days_ago)).isoformat(),
                             **extra, **more)
        if household_status:  # dibao, tekun … since the person's birth
            registry.set_household_status(Household.objects.get(number=extra["household_number"]),
                                          household_status, birth, None, actor=actor)
        return made

    return make


@pytest.fixture
def provider(actor) -> Callable[..., Provider]:
    """``provider(kinds=[…], region=…)``: an active provider saved through ``actions``."""
    count = [0]

    def make(kinds: list[str] | None = None, region: str = TOWNSHIP_A, capacity: int = 10,
             kind: str = ProviderKind.REHABILITATION, **more: Any) -> Provider:
        count[0] += 1
        data = actions.ProviderData(name=f"测试服务机构{count[0]}", kind=kind, region=region,
                                    kinds=kinds or [ServiceKind.BASIC_REHABILITATION],
                                    capacity=capacity, **more)
        return actions.save_provider(data, actor=actor, scope=None)[0]

    return make


@pytest.fixture
def staff(actor) -> Callable[..., Client]:
    """``staff("registrar", COUNTY_A)``: a signed-in client of a new user with that role
    (``client.user`` is the user)."""
    count = [0]

    def make(role: str, region: str, *more: tuple[str, str]) -> Client:
        count[0] += 1
        user = accounts.create_user(f"loop_{role}{count[0]}", PASSWORD, [(role, region), *more],
                                    actor=actor)
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return make
