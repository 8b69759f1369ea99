"""Progress reports on a plan's tasks: the form, the rule, the scope and the audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from yangguang.accounts import services as accounts
from yangguang.accounts.models import Role
from yangguang.audit.models import AuditEvent
from yangguang.plans.models import TaskProgress

pytestmark = pytest.mark.django_db
PASSWORD = "Yg-plans-Tests-2025!"


def signed_in(actor, username: str, role: str, region: str) -> tuple[Client, object]:
    user = accounts.create_user(username, PASSWORD, [(role, region)], actor=actor)
    client = Client()
    client.force_login(user)
    return client, user


def url(plan, task) -> str:
    return f"/plans/{plan.key}/tasks/{task.pk}/progress/"


def good(**changes) -> dict[str, object]:
    data = {"region": "140922000000", "year": str(min(2025, dt.date.today().year)), "unit": "县民政局",
            "status": "on_schedule", "summary": "已完成托养机构摸底，新增托养床位20张。", "problems": ""}
    return {**data, **changes}


@pytest.fixture
def care_task(plans):
    """五台 二(二)②: lead 县民政局、县残联, participating 县财政局."""
    return plans["wutai"].tasks.get(title="加快发展残疾人托养照护服务")


def test_a_lead_unit_reports_progress_and_it_is_audited(plans, care_task, actor):
    client, user = signed_in(actor, "monitor_wutai", Role.MONITOR, "140922")

    form_page = client.get(url(plans["wutai"], care_task)).content.decode()
    response = client.post(url(plans["wutai"], care_task), good())

    assert 'name="unit"' in form_page and "县民政局" in form_page and "县财政局" in form_page
    assert response.status_code == 302
    report = TaskProgress.objects.get()
    assert (report.unit, report.status, report.region_id, report.reported_by) == (
        "县民政局", "on_schedule", "140922000000", user)
    event = AuditEvent.objects.get(object_type="task_progress")
    assert event.action == "create" and event.region_code == "140922000000"
    assert event.data["plan"] == "wutai" and event.data["unit"] == "县民政局"
    detail = client.get("/plans/wutai/").content.decode()
    assert "按进度推进" in detail


@pytest.mark.parametrize(("changes", "message"), [
    ({"unit": "县财政局"}, "报告单位应为本任务的牵头单位之一：县民政局、县残联"),  # a participating unit
    ({"summary": "  "}, "请填写进展情况"),
    ({"status": ""}, "请选择进展状态"),
    ({"year": "2019"}, "报告年度应在规划期内"),
    ({"region": "370781000000"}, "您不能为这个地区报告本规划任务的进展"),
    ({"summary": "a\x1bb"}, "不能含控制字符"),
])
def test_a_bad_report_is_refused_with_its_message_and_nothing_is_written(plans, care_task, actor, changes, message):
    client, _user = signed_in(actor, "monitor_wutai", Role.MONITOR, "140922")

    response = client.post(url(plans["wutai"], care_task), good(**changes))

    page = response.content.decode()
    assert response.status_code == 200 and "error-summary" in page
    assert message in page
    assert not TaskProgress.objects.exists()
    assert not AuditEvent.objects.filter(object_type="task_progress").exists()


def test_a_task_without_named_units_takes_the_claiming_unit_in_words(plans, actor):
    task = plans["linxia"].tasks.get(title="延续脱贫攻坚政策")
    client, _user = signed_in(actor, "monitor_linxia", Role.MONITOR, "622900")

    response = client.post(url(plans["linxia"], task), good(region="622900000000", unit="州乡村振兴局"))

    assert response.status_code == 302
    assert TaskProgress.objects.get().unit == "州乡村振兴局"


def test_a_county_reports_on_the_province_plan_for_itself_only(plans, actor):
    task = plans["qinghai"].tasks.get(title="强化社会救助保障")
    client, _user = signed_in(actor, "monitor_chengdong", Role.MONITOR, "630102")

    page = client.get(url(plans["qinghai"], task)).content.decode()
    refused = client.post(url(plans["qinghai"], task), good(region="630000000000", unit="城东区民政局"))
    accepted = client.post(url(plans["qinghai"], task), good(region="630102000000", unit="城东区民政局"))

    assert 'value="630102000000"' in page and 'value="630000000000"' not in page
    assert refused.status_code == 200 and accepted.status_code == 302
    assert TaskProgress.objects.get().region_id == "630102000000"


def test_reports_are_seen_within_the_scope_and_analysts_only_read(plans, care_task, actor):
    reporter, _user = signed_in(actor, "monitor_wutai", Role.MONITOR, "140922")
    reporter.post(url(plans["wutai"], care_task), good())
    shanxi, _u = signed_in(actor, "monitor_shanxi", Role.MONITOR, "140000")
    analyst, _a = signed_in(actor, "analyst_wutai", Role.ANALYST, "140922")
    other, _o = signed_in(actor, "monitor_qingzhou", Role.MONITOR, "370781")

    assert "已完成托养机构摸底" in shanxi.get(url(plans["wutai"], care_task)).content.decode()
    analyst_page = analyst.get(url(plans["wutai"], care_task))
    assert "已完成托养机构摸底" in analyst_page.content.decode()
    assert 'name="summary"' not in analyst_page.content.decode()
    assert analyst.post(url(plans["wutai"], care_task), good()).status_code == 403
    assert other.get(url(plans["wutai"], care_task)).status_code == 404
    section = plans["wutai"].tasks.get(level="section", number="二、")
    assert reporter.get(url(plans["wutai"], section)).status_code == 404
    assert TaskProgress.objects.count() == 1


def test_a_plan_file_may_not_move_or_drop_a_task_with_reports(plans, care_task, actor, tmp_path):
    from yangguang.plans import files, services

    client, _user = signed_in(actor, "monitor_wutai", Role.MONITOR, "140922")
    client.post(url(plans["wutai"], care_task), good())
    text = (files.PLANS_DIR / "wutai.toml").read_text(encoding="utf-8")
    renamed = tmp_path / "wutai.toml"
    renamed.write_text(text.replace('title = "加快发展残疾人托养照护服务"', 'title = "托养照护服务"'), encoding="utf-8")

    with pytest.raises(files.PlanFileError) as raised:
        services.load_plans([renamed])

    assert raised.value.problems == [
        f"wutai.toml：tasks[{care_task.position}]：任务「②加快发展残疾人托养照护服务」已有进展报告，不能移动、改名或删除"]
    care_task.refresh_from_db()
    assert care_task.title == "加快发展残疾人托养照护服务" and TaskProgress.objects.count() == 1
    renamed.write_text(text.replace('note = "原文参与单位为', 'note = "（已核对）原文参与单位为'), encoding="utf-8")
    assert services.load_plans([renamed]).updated == ["wutai"]  # other changes still load
    assert TaskProgress.objects.get().task_id == care_task.pk
