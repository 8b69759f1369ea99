"""Persons with certificates, made through the registry's services (the demo factory)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from yangguang.core.crypto import decrypt_id
from yangguang.demo.generator import create_person
from yangguang.registry.models import Person
from yangguang.survey.vocabulary import HEADERS

COUNTY_A = "140922"  # 五台县, Shanxi
VILLAGE_A = "140922100001"
VILLAGE_A2 = "140922100002"
COUNTY_B = "610103"  # 碑林区, Shaanxi
VILLAGE_B = "610103001002"


@pytest.fixture
def make_person(db) -> Callable[..., Person]:
    """``make_person(village, birth=date, issued=date)``: a person with a certificate
    issued on ``issued`` (default: 1 March 2020)."""

    def make(village: str = VILLAGE_A, *, birth: dt.date = dt.date(1970, 5, 6),
             issued: dt.date = dt.date(2020, 3, 1)) -> Person:
        return create_person(hukou_region=village, birth_date=birth, issue_date=issued)

    return make


def id_of(person: Person) -> str:
    return decrypt_id(person.id_number_encrypted)


def row(person: Person, year: Any = 2024, reached: Any = "是", **answers: Any) -> list[Any]:
    """A template row for ``person``: blank answers unless given (by column key)."""
    from yangguang.survey.vocabulary import COLUMNS

    values = {"id_number": id_of(person), "year": year, "reached": reached, **answers}
    return [values.get(key, "") for key, _header, _required in COLUMNS]


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows([list(HEADERS), *rows])
    return path


PASSWORD = "Yg-survey-Tests-2025!"


@pytest.fixture
def staff(actor):
    """``staff("registrar", COUNTY_A)``: a signed-in client of a new user with that role."""
    from django.test import Client

    from yangguang.accounts import services as accounts

    count = [0]

    def make(role: str, region: str) -> Client:
        count[0] += 1
        user = accounts.create_user(f"s{role}{count[0]}", PASSWORD, [(role, region)], actor=actor)
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return make
