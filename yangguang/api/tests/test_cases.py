"""/cases: a new certificate from application to issue through the API, refusals, scope."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.api.tests.conftest import COUNTY_A
from yangguang.audit.models import AuditEvent
from yangguang.certificates.tests.cases_fixtures import certified, uncertified

pytestmark = pytest.mark.django_db


def test_a_new_certificate_through_the_api(actor, registrar_a, reviewer_a, registrar_b):
    person = uncertified(actor, COUNTY_A)
    today = dt.date.today().isoformat()
    made = registrar_a.post("/cases", {"person_id": person.pk, "kind": "new",
                                       "applicant": "home_visit"})
    assert made.status_code == 201, made.content
    case = made.json()
    assert (case["state"], case["kind_label"]) == ("applied", "新办")
    assert [a["action"] for a in case["actions"]] == ["accept", "reject"]
    url = f"/cases/{case['id']}/transitions"

    steps = [{"action": "accept", "institution": "医院"},
             {"action": "assess", "institution": "医院", "assessor": "李医生",
              "assessed_on": today, "category": 4, "level": 2},
             {"action": "publish"}]
    for body in steps:
        answer = registrar_a.post(url, body)
        assert answer.status_code == 200, answer.content
    assert answer.json()["deadline_kind"] == "publication"

    refused = registrar_a.post(url, {"action": "end_publication"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "publication_running"
    refused = registrar_a.post(url, {"action": "issue"})
    assert refused.json()["errors"][0]["code"] == "action_not_allowed"

    assert registrar_b.get(f"/cases/{case['id']}").status_code == 404
    assert registrar_b.post(url, {"action": "reject", "reason": "x"}).status_code == 404
    assert registrar_b.get("/cases").json()["count"] == 0
    listed = registrar_a.get("/cases", {"state": "published"}).json()
    assert [c["id"] for c in listed["results"]] == [case["id"]]
    detail = reviewer_a.get(f"/cases/{case['id']}").json()
    assert [s["action"] for s in detail["steps"]] == ["apply", "accept", "assess", "publish"]
    assert [a["action"] for a in detail["actions"]] == []  # the reviewer only decides
    assert AuditEvent.objects.filter(object_type="certificate_case", action="view").exists()


def test_the_api_refuses_an_application_in_the_year_after_a_cancellation(actor, registrar_a,
                                                                         reviewer_a):
    person = certified(actor, COUNTY_A)
    made = registrar_a.post("/cases", {"person_id": person.pk, "kind": "cancellation",
                                       "cancellation_reason": "no_longer_eligible"}).json()
    registrar_a.post(f"/cases/{made['id']}/transitions", {"action": "accept"})
    done = reviewer_a.post(f"/cases/{made['id']}/transitions", {"action": "complete"})
    assert done.json()["state"] == "completed"
    again = registrar_a.post("/cases", {"person_id": person.pk, "kind": "new"})
    assert again.status_code == 422
    assert [e["code"] for e in again.json()["errors"]] == ["reapply_barred"]


def test_a_cross_province_case_through_the_api(actor, registrar_a, reviewer_a, registrar_b):
    from yangguang.core.crypto import decrypt_id

    person = certified(actor, COUNTY_A, 姓名="蒋跨省", 发证日期=dt.date(2016, 3, 1))
    body = {"id_number": decrypt_id(person.id_number_encrypted), "name": "蒋跨省",
            "kind": "reissue", "residence_region": "610103001002",
            "residence_permit": "610103-2025-1"}
    assert registrar_b.post("/cases/at-residence", body | {"name": "蒋"}).json()[
        "errors"][0]["code"] == "applicant_not_found"
    assert registrar_a.post("/cases/at-residence", body | {"residence_region": "610103001002"}
                            ).status_code == 201  # the hukou county lodges it at home
    registrar_a.post(f"/cases/{registrar_a.get('/cases').json()['results'][0]['id']}"
                     "/transitions", {"action": "reject", "reason": "重复"})
    made = registrar_b.post("/cases/at-residence", body)
    assert made.status_code == 201, made.content
    case = made.json()
    assert [a["action"] for a in case["actions"]] == ["forward", "reject"]
    assert registrar_a.get(f"/cases/{case['id']}").json()["actions"] == []
    url = f"/cases/{case['id']}/transitions"
    assert registrar_b.post(url, {"action": "forward"}).status_code == 200
    assert [a["action"] for a in registrar_a.get(f"/cases/{case['id']}").json()["actions"]] == [
        "accept", "reject"]
    assert registrar_a.post(url, {"action": "accept"}).status_code == 200
    issued = reviewer_a.post(url, {"action": "issue"}).json()
    assert issued["state"] == "issued"
    assert registrar_b.get(f"/cases/{case['id']}").json()["state"] == "issued"
