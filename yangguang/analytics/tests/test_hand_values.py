"""Values entered by hand: the form (permissioned, audited, every problem named), the
evidence file (scoped, audited), the engine comparing a relative target with the value
entered, the dashboard showing the entered value beside the computed one."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from yangguang.accounts import services as accounts
from yangguang.accounts.models import Role
from yangguang.analytics import reporting, services
from yangguang.analytics.models import HandValue, IndicatorResult
from yangguang.audit.models import AuditEvent
from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
from yangguang.plans import services as plan_services
from yangguang.plans.models import Plan

PASSWORD = "Yg-analytics-Tests-2025!"


def signed_in(actor, username: str, role: str, region: str) -> tuple[Client, object]:
    user = accounts.create_user(username, PASSWORD, [(role, region)], actor=actor)
    client = Client()
    client.force_login(user)
    return client, user


def _post(client, key, **fields):
    body = {"entry": "1:compared", "region": "140922000000", "year": "2024", "value": "6.5",
            "source": "五台县统计局《2024年统计公报》", "reported_on": "2025-03-01", "unit": "五台县统计局"}
    body.update(fields)
    return client.post(f"/analytics/plans/{key}/hand-values/", body)


@pytest.mark.django_db
def test_enter_compare_and_show_beside(world, actor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client, _user = signed_in(actor, "monitor_wutai", Role.MONITOR, "140922")
    page = client.get("/analytics/plans/wutai/hand-values/").content.decode()
    assert "相对目标的比较值" in page and 'name="evidence"' in page
    evidence = SimpleUploadedFile("公报.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    response = _post(client, "wutai", evidence=evidence)
    assert response.status_code == 302
    hand = HandValue.objects.get()
    assert (hand.value, hand.compared_with, hand.region_code, hand.year) == (D("6.5"), True, "140922", 2024)
    assert hand.evidence_name == "公报.pdf" and hand.evidence.name.endswith(".pdf")
    assert "公报" not in hand.evidence.name  # stored under a random name
    event = AuditEvent.objects.filter(object_type="hand_value").get()
    assert (event.action, event.region_code, event.data["value"]) == ("create", "140922", "6.5")
    # the same row, region and year again: replaced, audited as a change
    assert _post(client, "wutai", value="7").status_code == 302
    assert HandValue.objects.get().value == 7
    assert AuditEvent.objects.filter(object_type="hand_value", action="update").count() == 1
    # the evidence, for the county's users only, audited
    got = client.get(f"/analytics/plans/wutai/hand-values/{hand.pk}/evidence")
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"%PDF-1.4 evidence"
    assert AuditEvent.objects.filter(object_type="hand_value_evidence").count() == 1
    township, _ = signed_in(actor, "monitor_taicheng", Role.MONITOR, "140922100000")
    assert township.get(f"/analytics/plans/wutai/hand-values/{hand.pk}/evidence").status_code == 404
    assert "您所辖地区还没有本规划的人工填报值" in township.get("/analytics/plans/wutai/hand-values/").content.decode()
    # the engine compares income growth with it; the dashboard shows it beside the computed value
    call_command("indicators", "compute", "--plan", "wutai", "--as-of", "2024-06-30", stdout=io.StringIO())
    income = IndicatorResult.objects.get(indicator__row=1, region_code="140922")
    assert income.compared_with == 7
    page = client.get("/analytics/plans/wutai/regions/140922/").content.decode()
    assert "五台县统计局《2024年统计公报》，2025-03-01" in page and "比较值" in page
    sheet = load_workbook(io.BytesIO(client.get("/analytics/plans/wutai/regions/140922/export.xlsx").content)).active
    row1 = next(r for r in sheet.iter_rows(values_only=True) if r[0] == 1)
    assert row1[8:] == (7, "五台县统计局《2024年统计公报》", "2025-03-01")


@pytest.mark.django_db
def test_by_hand_row_value_is_the_result(db, actor):
    plan_services.load_plans()
    plan = Plan.objects.get(key="beilin")
    _client, user = signed_in(actor, "monitor_beilin", Role.MONITOR, "610103")
    choice, row, compared = reporting.entries(plan)[0]
    assert (choice, row.row, compared) == ("1", 1, False)
    services.enter_hand_value(user, plan, reporting.HandValueData(
        entry="1", region="610103", year=2024, value="100", source="碑林区民政局台账",
        reported_on=dt.date(2024, 12, 31), unit="碑林区民政局"), actor=Actor.of(user))
    call_command("indicators", "compute", "--plan", "beilin", "--as-of", "2024-12-31", stdout=io.StringIO())
    result = IndicatorResult.objects.get(indicator__plan=plan, indicator__row=1, region_code="610103")
    assert (result.value, result.by_hand, result.status) == (100, True, "achieved")


@pytest.mark.django_db
def test_every_problem_is_named_and_nothing_written(world, actor):
    client, user = signed_in(actor, "monitor_wutai", Role.MONITOR, "140922")
    plan = Plan.objects.get(key="wutai")
    data = reporting.HandValueData(entry="6", region="620000", year=2019, value="nan", source="", unit="x" * 101,
                                   reported_on=dt.date.today() + dt.timedelta(days=1), evidence_name="a.exe",
                                   evidence_size=10)
    with pytest.raises(ValidationFailed) as raised:
        services.enter_hand_value(user, plan, data, actor=Actor.of(user))
    codes = {(p.code, p.field) for p in raised.value.problems}
    assert codes == {("hand_value_row", "entry"), ("hand_value_region", "region"), ("hand_value_year", "year"),
                     ("hand_value_invalid", "value"), ("hand_value_source_missing", "source"),
                     ("hand_value_text", "unit"), ("hand_value_date_future", "reported_on"),
                     ("hand_value_evidence_type", "evidence")}
    data = reporting.HandValueData(entry="1:compared", region="140922", year=2024, value="", source="x",
                                   unit="", reported_on=None, evidence_name="a.pdf", evidence_size=11 << 20)
    with pytest.raises(ValidationFailed) as raised:
        services.enter_hand_value(user, plan, data, actor=Actor.of(user))
    assert {p.code for p in raised.value.problems} == {
        "hand_value_missing", "hand_value_unit_missing", "hand_value_date_missing", "hand_value_evidence_size"}
    for bad in ("1e400", "Infinity", "1000000000000", "1.0000001", "六"):
        assert reporting.parse_value(bad) is None, bad
    assert reporting.parse_value("１２.５") == D("12.5") and reporting.parse_value("-3") == -3
    # the form shows the rule's message on its field, in the error summary
    page = _post(client, "wutai", value="abc").content.decode()
    assert "错误：" in page and "指标值应为数字" in page
    assert not HandValue.objects.exists()
    assert not AuditEvent.objects.filter(object_type="hand_value").exists()


@pytest.mark.django_db
def test_who_may_enter(world, actor):
    analyst, _ = signed_in(actor, "analyst_wutai", Role.ANALYST, "140922")
    page = analyst.get("/analytics/plans/wutai/hand-values/")
    assert page.status_code == 200 and 'name="value"' not in page.content.decode()
    assert _post(analyst, "wutai").status_code == 403
    other, _ = signed_in(actor, "monitor_linxia", Role.MONITOR, "622900")
    assert other.get("/analytics/plans/wutai/hand-values/").status_code == 404
    assert not HandValue.objects.exists()
