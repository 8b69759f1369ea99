"""Persons made by the demo factory, department lists written as CSV files."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from yangguang.core.crypto import decrypt_id
from yangguang.demo.generator import create_person
from yangguang.registry.models import Person

VILLAGE_A = "140922100001"  # 五台县
VILLAGE_B = "610103001002"  # 碑林区
ISSUED = (dt.date.today() - dt.timedelta(days=365)).isoformat()
DEATHS = ["姓名", "公民身份号码", "性别", "出生日期", "户籍地区划代码", "死亡日期"]


def id_of(person: Person) -> str:
    return decrypt_id(person.id_number_encrypted)


def write_csv(path: Path, headers: list[str], rows: list[list[Any]]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([headers, *rows])
    return path


@pytest.fixture
def person(db) -> Callable[..., Person]:
    """``person(姓名="张哲", 户籍地区划代码=VILLAGE_A, …)``: a registered person with a
    valid certificate issued a year ago."""
    def make(**overrides: Any) -> Person:
        overrides.setdefault("户籍地区划代码", VILLAGE_A)
        overrides.setdefault("发证日期", ISSUED)
        return create_person(**overrides)
    return make


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("matching", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> dict[str, int]:
    return json.loads(run_command("run", "--json", *args).strip().splitlines()[-1])
