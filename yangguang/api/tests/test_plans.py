"""/plans: the plans that concern the caller, with their indicators and tasks."""

from __future__ import annotations

import pytest

from yangguang.accounts.models import Role
from yangguang.plans.services import load_plans

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plans(db):
    load_plans()


def test_a_monitor_lists_the_plans_of_their_region_and_above(make_caller):
    xining = make_caller("monitor_xining", (Role.MONITOR, "630102"))  # 西宁市城东区, in Qinghai

    response = xining.get("/plans")

    assert response.status_code == 200
    assert [p["key"] for p in response.json()] == ["qinghai"]
    assert response.json()[0]["region"]["code"] == "630000000000"


def test_a_province_monitor_also_sees_the_plans_below(make_caller):
    gansu = make_caller("monitor_gansu", (Role.MONITOR, "620000"))

    assert [p["key"] for p in gansu.get("/plans").json()] == ["linxia"]


def test_the_plan_carries_its_indicators_as_printed_and_read(make_caller):
    caller = make_caller("monitor_qingzhou", (Role.ANALYST, "370781"))

    body = caller.get("/plans/qingzhou").json()

    assert body["baseline_year"] == 2020 and len(body["indicators"]) == 11
    row9 = body["indicators"][8]
    assert row9["wording"] == "城乡残疾人职业技能培训人数（人/次）"
    assert row9["baseline"] == {"text": "0.75万", "op": "=", "value": 7500}
    assert row9["target"] == {"text": ">0.9万", "op": ">", "value": 9000}
    assert row9["kind"] == "expected" and row9["accumulation"] == "cumulative"
    assert row9["catalogue_key"] == "vocational_training"


def test_a_relative_target_has_no_value(make_caller):
    caller = make_caller("monitor_wutai", (Role.MONITOR, "140922"))

    first = caller.get("/plans/wutai").json()["indicators"][0]

    assert first["target"] == {"text": "与全县地区生产总值增长同步", "op": "relative", "value": None}
    assert first["baseline"] == {"text": "", "op": "", "value": None}


def test_the_tasks_come_with_their_units_in_order(make_caller):
    caller = make_caller("monitor_wutai", (Role.MONITOR, "140922"))

    tasks = caller.get("/plans/wutai/tasks").json()

    with_units = [t for t in tasks if t["lead_units"] or t["responsible_units"]]
    assert len(with_units) == 22
    first = with_units[0]
    assert first["lead_units"] == ["县乡村振兴局"]
    assert first["participating_units"] == ["县委组织部", "县民政局", "县财政局", "县残联"]
    sections = [t for t in tasks if t["parent"] is None]
    assert [s["number"] for s in sections] == ["二、", "三、"]
    assert all(t["parent"] in {s["id"] for s in tasks} for t in tasks if t["parent"] is not None)


def test_a_plan_outside_the_scope_is_404_and_no_capability_is_403(make_caller):
    wutai = make_caller("monitor_wutai", (Role.MONITOR, "140922"))
    registrar = make_caller("registrar_wutai", (Role.REGISTRAR, "140922"))

    assert wutai.get("/plans/qingzhou").status_code == 404
    assert wutai.get("/plans/qingzhou/tasks").status_code == 404
    assert wutai.get("/plans/no-such-plan").status_code == 404
    assert registrar.get("/plans").status_code == 403
    assert registrar.get("/plans/wutai").status_code == 403
