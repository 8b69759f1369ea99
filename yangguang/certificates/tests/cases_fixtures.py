"""Persons for the case tests, made by the demo factory and the registry's services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from yangguang.demo.generator import create_person, person_row
from yangguang.registry import rules, services, vocabulary
from yangguang.registry.models import Person

ADULT = dt.date(1980, 5, 4)


def certified(actor: Any, region: str, **overrides: Any) -> Person:
    """An adult with a physical disability certificate issued a year ago (unless told)."""
    overrides.setdefault("发证日期", dt.date.today() - dt.timedelta(days=365))
    return create_person(actor=actor, 户籍地区划代码=region, 出生日期=ADULT, 残疾类别=4,
                         残疾等级=overrides.pop("level", 3), **overrides)


def uncertified(actor: Any, region: str, **overrides: Any) -> Person:
    """An adult registered without a certificate."""
    row = person_row(户籍地区划代码=region, 出生日期=overrides.pop("birth_date", ADULT),
                     **overrides)
    data = rules.parse_row({vocabulary.HEADER_TO_KEY.get(h, h): v for h, v in row.items()},
                           certificate=False)
    return services.register_person(data, actor=actor, scope=None)
