"""/persons/{id}/surveys: list, create and detail, scoped and audited, with the rules
of the form and the import (codes or Chinese names, the same error codes)."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.api.tests.conftest import COUNTY_A
from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.demo.generator import create_person
from yangguang.survey.models import AnnualSurvey

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return create_person(hukou_region=COUNTY_A + "001001", issue_date=dt.date(2020, 3, 1),
                         birth_date=dt.date(1970, 1, 1))


def test_create_list_and_detail(registrar_a, person):
    path = f"/persons/{person.pk}/surveys"
    response = registrar_a.post(path, {"year": 2024, "reached": True, "support": "低保",
                                       "employment_status": "employed",
                                       "employment_form": "flexible",
                                       "survey_date": "2024-04-01"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["support"], body["employment_form"], body["year"]) == ("dibao", "flexible", 2024)
    created = AuditEvent.objects.get(object_type="survey", action=AuditAction.CREATE)
    assert (created.person_id, created.actor_name) == (person.pk, "registrar_a")

    again = registrar_a.post(path, {"year": 2024, "reached": True})
    assert again.status_code == 422
    assert [e["code"] for e in again.json()["errors"]] == ["survey_exists"]

    listed = registrar_a.get(path)
    assert [s["year"] for s in listed.json()] == [2024]
    one = registrar_a.get(f"{path}/2024")
    assert one.status_code == 200 and one.json()["id"] == body["id"]
    assert registrar_a.get(f"{path}/2023").status_code == 404
    views = AuditEvent.objects.filter(object_type="survey", action=AuditAction.VIEW)
    assert views.count() == 2


def test_the_rules_are_the_imports(registrar_a, person):
    response = registrar_a.post(f"/persons/{person.pk}/surveys",
                                {"year": 2024, "reached": False, "support": "富裕",
                                 "care_need": "day"})
    assert response.status_code == 422
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("support", "code_unknown")}
    response = registrar_a.post(f"/persons/{person.pk}/surveys",
                                {"year": 2024, "reached": False, "care_need": "day"})
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("not_reached_reason", "reason_required"), ("care_need", "answer_when_not_reached")]
    response = registrar_a.post(f"/persons/{person.pk}/surveys", {"year": 2019, "reached": True})
    assert [e["code"] for e in response.json()["errors"]] == ["not_certified"]
    assert not AnnualSurvey.objects.exists()


def test_scope(registrar_b, reviewer_a, make_caller, person):
    path = f"/persons/{person.pk}/surveys"
    assert registrar_b.get(path).status_code == 404
    assert registrar_b.post(path, {"year": 2024, "reached": True}).status_code == 404
    assert reviewer_a.get(path).status_code == 200
    assert reviewer_a.post(path, {"year": 2024, "reached": True}).status_code == 403
    analyst = make_caller("analyst_a", ("analyst", COUNTY_A))
    assert analyst.get(path).status_code == 403
    assert not AnnualSurvey.objects.exists()
