"""/benefit-applications: create, list, detail and the steps through the same services
as the pages; the decision's amount is rules.decide's; scoped and audited."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.api.tests.conftest import COUNTY_A, assert_error, field_codes
from yangguang.audit.models import AuditEvent
from yangguang.benefits import rules
from yangguang.benefits.tests.conftest import make_person

pytestmark = pytest.mark.django_db


def test_an_application_through_every_step_by_the_api(registrar_a, registrar_b, reviewer_a,
                                                      make_caller):
    from yangguang.accounts.models import Role

    civil_a = make_caller("civil_a", (Role.CIVIL_AFFAIRS, COUNTY_A))
    p = make_person(region=COUNTY_A, level="一级", issued=dt.date(2020, 1, 1))
    created = registrar_a.post("/benefit-applications", {
        "person_id": p.pk, "programme": "care_allowance", "applicant_type": "guardian",
        "applicant_name": "李四", "applied_on": "2025-05-20"})
    assert created.status_code == 201, created.content
    app = created.json()
    assert (app["state"], app["actions"]) == ("submitted", ["review", "reject"])
    refused = registrar_a.post(f"/benefit-applications/{app['id']}/transitions",
                               {"action": "grant", "day": "2025-06-01"})
    assert refused.status_code == 422
    assert app["deadline"] == "2025-05-27" and app["overdue"] is True  # today is later
    by = {"review": registrar_a, "check_level": reviewer_a, "decide": civil_a,
          "publish": civil_a, "grant": civil_a}
    for action, caller in by.items():
        if action == "decide":  # 审定 is civil affairs': the federation's staff may not
            for other in (registrar_a, reviewer_a):
                assert_error(other.post(f"/benefit-applications/{app['id']}/transitions",
                                        {"action": "decide", "day": "2025-06-01"}), 403, "forbidden")
        day = "2025-06-10" if action == "grant" else "2025-06-01"
        step = caller.post(f"/benefit-applications/{app['id']}/transitions",
                           {"action": action, "day": day, "note": "同意"})
        assert step.status_code == 200, step.content
        if action == "publish":
            assert step.json()["deadline"] == "2025-06-09"
    done = registrar_a.get(f"/benefit-applications/{app['id']}").json()
    (expected,) = rules.decide(p, dt.date(2025, 6, 1), ["care_allowance"])
    assert (done["state"], done["amount"], done["reasons"]) == ("granted", float(expected.amount),
                                                                expected.reasons)
    assert done["grant_start_month"] == "2025-05" and len(done["steps"]) == 6
    listed = registrar_a.get("/benefit-applications", {"state": "granted"}).json()
    assert [a["id"] for a in listed["results"]] == [app["id"]]
    assert AuditEvent.objects.filter(object_type="benefit_application", action="view").exists()
    assert_error(registrar_b.get(f"/benefit-applications/{app['id']}"), 404, "not_found")
    assert registrar_b.get("/benefit-applications").json()["results"] == []
    assert_error(registrar_b.post(f"/benefit-applications/{app['id']}/transitions",
                                  {"action": "reject", "day": "2025-06-01", "note": "x"}),
                 404, "not_found")


def test_a_cross_province_application_through_the_api(registrar_a, registrar_b, make_caller):
    """POST /benefit-applications/at-residence: the residence county of another province
    (碑林区, Shaanxi, for a hukou in 城东区, Qinghai) takes it in and may only forward it;
    a county of the hukou's province is refused (residence_in_hukou_province), a wrong
    name too (applicant_not_found); nothing is written by a refusal."""
    from yangguang.accounts.models import Role
    from yangguang.benefits.models import BenefitApplication
    from yangguang.core.crypto import decrypt_id

    p = make_person(region=COUNTY_A, level="一级", issued=dt.date(2020, 1, 1))
    body = {"id_number": decrypt_id(p.id_number_encrypted), "name": p.name,
            "residence_region": "610103", "programme": "care_allowance",
            "applicant_type": "person", "applied_on": "2025-05-20"}
    assert field_codes(registrar_b.post("/benefit-applications/at-residence",
                                        body | {"name": "别人"})) == {"id_number": "applicant_not_found"}
    same = make_caller("registrar_xining_west", (Role.REGISTRAR, "630104"))
    refused = same.post("/benefit-applications/at-residence", body | {"residence_region": "630104"})
    assert field_codes(refused) == {"residence_region": "residence_in_hukou_province"}
    assert "同属青海省" in refused.json()["errors"][0]["message"]
    assert not BenefitApplication.objects.filter(person=p).exists()
    made = registrar_b.post("/benefit-applications/at-residence", body)
    assert made.status_code == 201, made.content
    app = made.json()
    assert (app["residence_region"], app["actions"]) == ("610103000000", ["forward", "reject"])
    assert registrar_a.get(f"/benefit-applications/{app['id']}").json()["actions"] == []
    url = f"/benefit-applications/{app['id']}/transitions"
    assert registrar_b.post(url, {"action": "forward", "day": "2025-05-21"}).status_code == 200
    assert registrar_a.get(f"/benefit-applications/{app['id']}").json()["actions"] == [
        "review", "reject"]
