"""/persons/{id}/benefits and /benefit-programmes: the same decisions as the page and the
command line, scoped and audited."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.api.tests.conftest import COUNTY_A, assert_error
from yangguang.audit.models import AuditEvent
from yangguang.benefits.tests.conftest import make_person

pytestmark = pytest.mark.django_db


def test_decisions_with_amounts_and_reasons_as_the_command_prints_them(registrar_a):
    p = make_person(region=COUNTY_A, level="二级", statuses=(("dibao", dt.date(2024, 3, 1), None),))
    response = registrar_a.get(f"/persons/{p.pk}/benefits", {"on": "2025-06-01"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["person_id"], data["on"], data["household_elsewhere"]) == (p.pk, "2025-06-01", False)
    living = next(x for x in data["programmes"] if x["programme"] == "living_allowance")
    assert (living["eligible"], living["amount"]) == (True, 120)
    assert "家庭为低保户（2024-03 起）" in living["reasons"]
    assert AuditEvent.objects.filter(object_type="benefit_decision", person_id=p.pk,
                                     data__channel="api").exists()


def test_a_person_outside_the_scope_is_404(registrar_b):
    p = make_person(region=COUNTY_A)
    assert_error(registrar_b.get(f"/persons/{p.pk}/benefits"), 404, "not_found")


def test_programmes_in_force_flag_placeholders(registrar_a):
    response = registrar_a.get("/benefit-programmes", {"region": "140922", "on": "2025-06-01"})
    assert response.status_code == 200, response.content
    by_key = {x["programme"]: x for x in response.json()}
    living = by_key["living_allowance"]
    assert living["in_force"] and living["amounts"][0]["placeholder"] and living["amounts"][0]["amount"] is None
    assert [v["jurisdiction"] for v in living["versions"]] == ["全国", "山西省"]
    assert not by_key["free_transport"]["in_force"]
