"""The plan pages in a browser: a monitor of 五台 goes from the menu to the plan, reads
the indicator table and the task tree, and axe-core (WCAG 2.1 A and AA) finds nothing,
in the normal display and in large text with high contrast, in Chinese and in English."""

from __future__ import annotations

import re

import pytest

from yangguang.accounts.models import Role
from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, describe_violations, sign_in
from yangguang.tests_e2e.test_accessibility import choose_display

pytestmark = pytest.mark.django_db(**LIVE_DB)


def test_a_monitor_reads_the_plan_and_the_page_passes_the_audit(live, page):
    monitor = live.a.users[Role.MONITOR]
    sign_in(page, live, monitor.username)

    page.get_by_role("link", name="规划与指标").click()
    page.get_by_role("link", name="五台县“十四五”残疾人保障和发展规划").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", level=1).inner_text() == "五台县“十四五”残疾人保障和发展规划"
    indicators = page.get_by_role("table", name="五台县“十四五”残疾人保障和发展规划主要指标")
    assert indicators.get_by_role("row").count() == 12  # the header and rows 1–11
    row8 = indicators.get_by_role("row").nth(8)
    assert "残疾儿童少年义务教育入学率" in row8.inner_text() and "≥97" in row8.inner_text()
    assert "预期性" in row8.inner_text()
    tasks = page.get_by_role("table", name="二、主要任务：任务及牵头、参与单位")
    first = tasks.get_by_role("row").nth(1)
    assert "县乡村振兴局" in first.inner_text() and "县委组织部、县民政局、县财政局、县残联" in first.inner_text()
    assert not (problems := describe_violations(page.url, axe_violations(page))), "\n".join(problems)

    choose_display(page, live, {"large", "contrast"})
    page.goto(live.url + "/plans/wutai/")
    assert not (problems := describe_violations(page.url, axe_violations(page))), "\n".join(problems)
    page.goto(live.url + "/plans/")
    assert not (problems := describe_violations(page.url, axe_violations(page))), "\n".join(problems)


def test_the_plan_page_in_english_passes_the_audit(live, browser):
    from yangguang.tests_e2e.browser import session_cookie, with_axe

    context = with_axe(browser.new_context(locale="en-US"))
    context.add_cookies([session_cookie(live, live.a.users[Role.ANALYST])])
    page = context.new_page()
    try:
        page.goto(live.url + "/plans/wutai/")
        page.wait_for_load_state()
        html_lang = page.evaluate("document.documentElement.lang")
        problems = describe_violations(page.url, axe_violations(page))
        text = page.inner_text("main")
    finally:
        context.close()

    assert not problems, "\n".join(problems)
    assert html_lang == "en"  # the browser asks for English (Accept-Language)
    assert "Main indicators" in text and "Lead units" in text and "binding" in text


def test_a_monitor_reports_a_tasks_progress_by_keyboard_and_the_form_passes_the_audit(live, page):
    monitor = live.a.users[Role.MONITOR]
    sign_in(page, live, monitor.username)
    page.goto(live.url + "/plans/wutai/")
    page.get_by_role("link", name=re.compile("^暂无报告.*巩固拓展残疾人脱贫攻坚成果同乡村振兴有效衔接$")).click()
    page.wait_for_load_state()

    page.get_by_role("button", name="保存进展报告").click()  # empty: the error summary
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    assert "请填写进展情况" in summary.inner_text()
    assert not (problems := describe_violations(page.url, axe_violations(page))), "\n".join(problems)

    page.get_by_label("报告单位").select_option("县乡村振兴局")
    page.get_by_label("进展状态").select_option(label="按进度推进")
    page.get_by_label("进展情况").fill("已将符合条件的残疾人纳入防止返贫动态监测。")
    page.get_by_label("进展情况").press("Tab")
    page.keyboard.press("Tab")  # past 存在问题 (optional)
    page.keyboard.press("Enter")  # the save button
    page.wait_for_load_state()

    reports = page.get_by_role("table", name="本任务的进展报告（您所辖地区的，最新的在前）")
    assert "已将符合条件的残疾人纳入防止返贫动态监测。" in reports.inner_text()
    assert "县乡村振兴局" in reports.inner_text()
    assert not (problems := describe_violations(page.url, axe_violations(page))), "\n".join(problems)


def test_a_monitor_makes_an_annual_report_and_the_page_passes_the_audit(live, page):
    """From the plan page to the reports page by its link; the form sent without a year
    shows the error summary; sent with one, the job (run here, as a worker would) leaves
    two files to download; axe finds nothing at each step."""
    from yangguang.jobs import services as jobs
    from yangguang.jobs.models import Job

    sign_in(page, live, live.a.users[Role.MONITOR].username)
    page.goto(live.url + "/plans/wutai/")
    page.get_by_role("link", name="监测评估报告").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "五台县“十四五”残疾人保障和发展规划：监测评估报告"
    assert not (problems := describe_violations(page.url, axe_violations(page))), "\n".join(problems)

    page.get_by_label("报告类型").select_option(label="年度监测")
    page.get_by_role("button", name="生成报告").click()
    page.wait_for_load_state()
    assert "年度监测报告请选择年度" in page.get_by_role("alert").inner_text()
    assert page.title().startswith("错误：")
    assert not (problems := describe_violations(page.url, axe_violations(page))), "\n".join(problems)

    page.get_by_label("报告类型").select_option(label="年度监测")
    page.get_by_label("年度").select_option("2024")
    page.get_by_role("button", name="生成报告").click()
    page.wait_for_load_state()
    jobs.run(Job.objects.get(kind="plan_report").pk)
    page.reload()
    table = page.get_by_role("table", name="您生成的本规划报告，最新的在前")
    assert "年度监测" in table.inner_text() and "2024-12-31" in table.inner_text()
    with page.expect_download() as download:
        table.get_by_role("link", name=re.compile(r"^Word（DOCX）\s*：年度监测\s*2024$")).click()
    assert download.value.suggested_filename == "wutai-annual-2024.docx"
    assert not (problems := describe_violations(page.url, axe_violations(page))), "\n".join(problems)
