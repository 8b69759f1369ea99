"""Callers of the API: staff of two counties in different provinces, with tokens.

Users, roles and tokens are made by ``accounts.services``, persons by the demo
factory (``demo.generator.create_person``), as everywhere else in the tests.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from yangguang.accounts import services as accounts
from yangguang.accounts.models import Role, User
from yangguang.demo.generator import create_person
from yangguang.registry.models import Person

PASSWORD = "Yg-api-Tests-2025!"
COUNTY_A = "630102"  # 西宁市城东区, Qinghai
COUNTY_B = "610103"  # 碑林区, Shaanxi
API = "/api/v1"


@dataclass
class Caller:
    """A user with a bearer token, sending JSON to the API."""

    user: User
    token: str
    client: Client

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(API + path, params or {}, headers=self._headers())

    def send(self, method: str, path: str, body: Any) -> Any:
        return getattr(self.client, method)(API + path, json.dumps(body, ensure_ascii=False),
                                            content_type="application/json",
                                            headers=self._headers())

    def post(self, path: str, body: Any) -> Any:
        return self.send("post", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self.send("patch", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.send("put", path, body)


@pytest.fixture
def make_caller(actor):
    def make(username: str, *roles: tuple[str, str]) -> Caller:
        user = accounts.create_user(username, PASSWORD, roles, actor=actor)
        key = accounts.create_token(user, "tests", actor=actor).key
        return Caller(user, key, Client())

    return make


@pytest.fixture
def registrar_a(make_caller) -> Caller:
    return make_caller("registrar_a", (Role.REGISTRAR, COUNTY_A))


@pytest.fixture
def reviewer_a(make_caller) -> Caller:
    return make_caller("reviewer_a", (Role.REVIEWER, COUNTY_A))


@pytest.fixture
def registrar_b(make_caller) -> Caller:
    return make_caller("registrar_b", (Role.REGISTRAR, COUNTY_B))


@pytest.fixture
def analyst_a(make_caller) -> Caller:
    return make_caller("analyst_a", (Role.ANALYST, COUNTY_A))


#: The fixtures' certificates were issued a year ago: a random issue date may lie past the
#: ten years' validity, and a certificate's status comes from its dates.
ISSUED = dt.date.today() - dt.timedelta(days=365)


@pytest.fixture
def person_a(actor) -> Person:
    return create_person(actor=actor, hukou_region=COUNTY_A, household_number="A-0001",
                         relation_to_head="户主", issue_date=ISSUED)


@pytest.fixture
def person_b(actor) -> Person:
    return create_person(actor=actor, hukou_region=COUNTY_B, household_number="B-0001",
                         relation_to_head="户主", issue_date=ISSUED)


def example_url(path: str) -> str:
    """A URL for a route of ``yangguang.api.routes()``, its parameters filled in."""
    return path.replace("{person_id}", "1").replace("{certificate_id}", "1") \
        .replace("{household_id}", "1").replace("{code}", "630102") \
        .replace("{token}", "x").replace("{case_id}", "1").replace("{need_id}", "1") \
        .replace("{referral_id}", "1").replace("{provider_id}", "1") \
        .replace("{run_id}", "1").replace("{candidate_id}", "1").replace("{year}", "2025") \
        .replace("{application_id}", "1").replace("{payroll_id}", "1")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is an error in the API's one shape, with ``status`` and ``code``."""
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    document = response.json()
    assert set(document) == {"code", "message", "errors"}
    assert document["code"] == code
    assert isinstance(document["message"], str) and document["message"]
    for error in document["errors"]:
        assert set(error) == {"field", "code", "message"}
        assert error["message"]
    return document


def field_codes(response: Any) -> dict[str, str]:
    """``field → code`` of a 422 response's errors."""
    return {e["field"]: e["code"] for e in assert_error(response, 422, "validation_failed")["errors"]}
