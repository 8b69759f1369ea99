"""The plan pages in a browser: a monitor of 五台 goes from the menu to the plan, reads
the indicator table and the task tree, and axe-core (WCAG 2.1 A and AA) finds nothing,
in the normal display and in large text with high contrast, in Chinese and in English."""

from __future__ import annotations

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
