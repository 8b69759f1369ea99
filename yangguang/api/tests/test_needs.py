"""/needs, /referrals, /providers and /service-coverage: the loop through the API, on the
same actions as the pages (eligibility, transitions, scope, audit)."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.api.tests.conftest import COUNTY_A, ISSUED, assert_error
from yangguang.audit.models import AuditEvent
from yangguang.demo.generator import create_person
from yangguang.regions.models import Region
from yangguang.registry.models import Household
from yangguang.registry.services import set_household_status

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
PROVIDER = {"name": "城东区康复中心", "kind": "rehabilitation", "region": COUNTY_A,
            "kinds": ["basic_rehabilitation", "child_rehabilitation"], "capacity": 30}


def test_need_referred_served_met_and_reopened(registrar_a, person_a):
    created = registrar_a.post("/providers", PROVIDER)
    assert created.status_code == 201, created.content.decode()
    provider_id = created.json()["id"]
    response = registrar_a.post("/needs", {"person_id": person_a.pk, "kind": "basic_rehabilitation",
                                           "opened_on": (TODAY - dt.timedelta(days=5)).isoformat()})
    assert response.status_code == 201, response.content.decode()
    need = response.json()
    assert need["state"] == "open" and need["actions"] == ["refer", "withdraw"]
    need = registrar_a.post(f"/needs/{need['id']}/referrals", {"provider_id": provider_id}).json()
    assert need["state"] == "referred"
    referral_id = need["referrals"][0]["id"]
    response = registrar_a.post(f"/referrals/{referral_id}/services", {
        "started_on": TODAY.isoformat(), "ended_on": TODAY.isoformat(), "staff": "李康复",
        "cost": "150.00", "payer": "medical_insurance", "outcome": "met"})
    assert response.status_code == 201, response.content.decode()
    need = response.json()
    assert need["state"] == "met" and need["services"][0]["cost"] == "150.00"
    response = registrar_a.post(f"/needs/{need['id']}/reopen", {"reason": "复发"})
    assert response.json()["state"] == "open"
    assert response.json()["history"][-1]["reason"] == "复发"
    listed = registrar_a.get("/needs", {"state": "open"}).json()
    assert [n["id"] for n in listed["results"]] == [need["id"]]
    event = AuditEvent.objects.filter(object_type="need", action="view").last()
    assert event.data["ids"] == [need["id"]]


def test_refusals_have_the_codes_of_the_pages(registrar_a, person_a, actor):
    response = registrar_a.post("/needs", {"person_id": person_a.pk, "kind": "home_visit"})
    need_id = response.json()["id"]
    assert_error(registrar_a.post(f"/needs/{need_id}/reopen", {"reason": "x"}), 422,
                 "validation_failed")
    document = registrar_a.post(f"/needs/{need_id}/reopen", {"reason": "x"}).json()
    assert document["errors"][0]["code"] == "transition_refused"
    older = create_person(actor=actor, hukou_region=COUNTY_A, issue_date=ISSUED,
                          birth_date=TODAY.replace(year=TODAY.year - 10),
                          household_number="APINEEDS01", relation_to_head="head")
    set_household_status(Household.objects.get(number="APINEEDS01"), "dibao",
                         dt.date(2015, 1, 1), actor=actor)
    document = registrar_a.post("/needs", {"person_id": older.pk,
                                           "kind": "child_rehabilitation"}).json()
    # Qinghai covers children up to 17: a ten-year-old of a dibao family there is eligible.
    assert document.get("state") == "open", document
    adult = create_person(actor=actor, hukou_region=COUNTY_A, issue_date=ISSUED,
                          birth_date=TODAY.replace(year=TODAY.year - 30))
    document = registrar_a.post("/needs", {"person_id": adult.pk,
                                           "kind": "child_rehabilitation"}).json()
    assert document["errors"][0]["code"] == "not_eligible"
    assert "0至17周岁" in document["errors"][0]["message"]


def test_scope_and_capabilities(registrar_a, registrar_b, reviewer_a, analyst_a, person_a):
    need_id = registrar_a.post("/needs", {"person_id": person_a.pk, "kind": "legal_aid"}).json()["id"]
    assert_error(registrar_b.get(f"/needs/{need_id}"), 404, "not_found")
    assert_error(registrar_b.post(f"/needs/{need_id}/withdraw", {"reason": "x"}), 404, "not_found")
    assert_error(analyst_a.get("/needs"), 403, "forbidden")
    assert reviewer_a.get(f"/needs/{need_id}").json()["actions"] == []
    assert_error(reviewer_a.post(f"/needs/{need_id}/withdraw", {"reason": "x"}), 403, "forbidden")
    assert analyst_a.get("/service-coverage", {"region": COUNTY_A}).status_code == 200
    assert_error(analyst_a.get("/service-coverage", {"region": "610103"}), 404, "not_found")
    provider = registrar_b.post("/providers", PROVIDER | {"region": "610103"})
    assert provider.status_code == 201
    assert_error(registrar_a.get(f"/providers/{provider.json()['id']}"), 404, "not_found")
    document = registrar_a.post("/providers", PROVIDER | {"region": "610103"}).json()
    assert document["errors"][0]["code"] == "out_of_scope"


def test_coverage_counts_unmet_needs_against_providers(registrar_a, analyst_a, person_a):
    registrar_a.post("/needs", {"person_id": person_a.pk, "kind": "legal_aid"})
    rows = analyst_a.get("/service-coverage", {"region": COUNTY_A}).json()
    # every township of the county at zero, after the county's own row for the person
    # whose hukou is recorded at county level
    assert rows[0]["township"] == COUNTY_A.ljust(12, "0")
    assert len(rows) == 1 + Region.objects.filter(code__startswith=COUNTY_A, level=4).count() > 2
    assert [r["kinds"] for r in rows[1:]] == [[]] * (len(rows) - 1)
    (kind,) = rows[0]["kinds"]
    assert (kind["kind"], kind["unmet"], kind["provider_ids"], kind["gap"]) == (
        "legal_aid", 1, [], True)

