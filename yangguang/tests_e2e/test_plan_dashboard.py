"""The indicator dashboard in a browser: 五台's indicators computed for three as-of dates
by the engine, a monitor of the county goes from the plan to its dashboard, reads the
table and each row's trend chart with its table, drills down to a township and filters
by keyboard alone; axe-core finds nothing in the normal display, in large text with high
contrast, and in English. A township's monitor starts at the township and cannot open
the county; the other county's monitor opens nothing of 五台."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command

from yangguang.accounts import services as accounts
from yangguang.accounts.models import Role
from yangguang.audit.services import Actor
from yangguang.tests_e2e.browser import (
    LIVE_DB,
    axe_violations,
    describe_violations,
    session_cookie,
    sign_in,
    with_axe,
)
from yangguang.tests_e2e.test_accessibility import choose_display
from yangguang.tests_e2e.world import PASSWORD

pytestmark = pytest.mark.django_db(**LIVE_DB)

DASHBOARD = "/analytics/plans/wutai/"
TOWNSHIP = "140922100000"  # 台城镇, where the world's persons live


def _surveyed_persons() -> None:
    """Two persons of 台城镇 certified in 2020, surveyed 2022–2024 (the world's own were
    certified a year ago): in 2022 one of them has pension insurance, then both."""
    from yangguang.demo.generator import create_person
    from yangguang.survey.models import AnnualSurvey

    people = (("欧阳明", dt.date(1970, 5, 6), "paying"), ("司马青", dt.date(1980, 1, 2), "not_insured"))
    for name, birth, first in people:
        person = create_person(hukou_region="140922100001", birth_date=birth, issue_date=dt.date(2020, 3, 1),
                               name=name, level=2, category=4)
        for year in (2022, 2023, 2024):
            AnnualSurvey.objects.create(person=person, year=year, reached=True,
                                        pension_insurance=first if year == 2022 else "paying")


def _compute(*dates: str) -> None:
    for as_of in dates:
        call_command("indicators", "compute", "--plan", "wutai", "--as-of", as_of, stdout=io.StringIO())


def _audit(page) -> None:
    assert not (problems := describe_violations(page.url, axe_violations(page))), "\n".join(problems)


def _focused(page) -> tuple[str, str]:
    return tuple(page.evaluate("[document.activeElement.tagName, document.activeElement.textContent.trim()]"))


def test_a_monitor_reads_the_dashboard_drills_down_and_filters_by_keyboard(live, page):
    _surveyed_persons()
    _compute("2022-12-31", "2023-12-31", "2024-06-30")
    sign_in(page, live, live.a.users[Role.MONITOR].username)
    page.goto(live.url + "/plans/wutai/")
    page.get_by_role("link", name="指标监测").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", level=1).inner_text().endswith("指标监测（五台县）")
    table = page.get_by_role("table", name="五台县各项指标（截至2024-06-30）")
    assert table.get_by_role("row").count() == 12  # the header and rows 1–11
    chart = page.get_by_role("img", name=re.compile("^第6项："))
    assert chart.count() == 1
    assert chart.evaluate("e => e.tagName") == "svg"
    assert chart.get_attribute("aria-labelledby") == "trend-6-title trend-6-desc"
    assert "目标>90" in chart.evaluate("e => e.querySelector('desc').textContent")
    assert chart.locator(".chart-marker").count() == 3  # 2022, 2023, 2024
    trend = page.get_by_role("table", name="第6项逐年数值")
    assert [c.strip() for c in trend.get_by_role("rowheader").all_inner_texts()] == [
        "2021", "2022", "2023", "2024", "2025"]
    assert "50" in trend.get_by_role("row").nth(2).inner_text()  # 2022: one of two insured
    assert "未计算" in trend.get_by_role("row").nth(1).inner_text()  # 2021
    assert "2024-06-30" in trend.get_by_role("row").nth(4).inner_text()
    assert page.get_by_text(re.compile("^第\\d+项：.*：无数据$")).count() >= 1  # a rate: no chart, never 0
    _audit(page)

    # The regions below, at risk first: Tab to 台城镇 and open it.
    below = page.get_by_role("table", name=re.compile("^五台县所辖乡级地区"))
    assert below.get_by_role("link", name="台城镇").count() == 1
    for _ in range(200):
        if _focused(page) == ("A", "台城镇"):
            break
        page.keyboard.press("Tab")
    assert _focused(page) == ("A", "台城镇"), "the township's link is not reachable by Tab"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{DASHBOARD}regions/{TOWNSHIP}/")
    assert page.get_by_role("heading", level=1).inner_text().endswith("（台城镇）")
    crumbs = page.get_by_role("navigation", name="当前位置")
    assert crumbs.get_by_role("link", name="五台县", exact=True).count() == 1
    _audit(page)

    # Filter by keyboard: status 有风险, then the 筛选 button.
    page.get_by_label("状态").focus()
    page.get_by_label("状态").select_option(label="有风险")
    page.keyboard.press("Tab")  # 属性
    page.keyboard.press("Tab")  # the button (a township has no regions below)
    assert _focused(page) == ("BUTTON", "筛选")
    page.keyboard.press("Enter")
    page.wait_for_url("**status=at_risk**")
    statuses = page.get_by_role("table", name=re.compile("^台城镇各项指标")).locator("tbody td.status")
    assert statuses.count() >= 1 and set(statuses.all_inner_texts()) == {"有风险"}
    _audit(page)

    choose_display(page, live, {"large", "contrast"})
    page.goto(live.url + DASHBOARD)
    line = page.locator("svg.chart .chart-line").first
    assert line.evaluate("e => getComputedStyle(e).stroke") == "rgb(255, 255, 0)"  # yellow on black
    label = page.locator("svg.chart text").first
    assert label.evaluate("e => getComputedStyle(e).fill") == "rgb(255, 255, 255)"
    _audit(page)


def test_the_scope_rule_a_township_and_another_county(live, page):
    _compute("2024-06-30")
    township = accounts.create_user("e2e_taicheng_monitor", PASSWORD, [(Role.MONITOR, TOWNSHIP)],
                                    actor=Actor("e2e"))
    sign_in(page, live, township.username)
    page.goto(live.url + DASHBOARD)
    assert page.get_by_role("heading", level=1).inner_text().endswith("（台城镇）")
    assert page.get_by_role("navigation", name="当前位置").get_by_role("link", name="五台县", exact=True).count() == 0
    assert page.goto(live.url + DASHBOARD + "regions/140922/").status == 404
    assert page.goto(live.url + DASHBOARD + "regions/140922102000/").status == 404
    assert page.goto(live.url + DASHBOARD + "regions/140922/export.xlsx").status == 404

    other = page.context.browser.new_context()
    try:
        other.add_cookies([session_cookie(live, live.b.users[Role.MONITOR])])
        visitor = other.new_page()
        for path in ("", f"regions/{TOWNSHIP}/", "regions/140922/"):
            assert visitor.goto(live.url + DASHBOARD + path).status == 404, path
    finally:
        other.close()


def test_the_dashboard_in_english_passes_the_audit(live, browser):
    _compute("2023-12-31", "2024-06-30")
    context = with_axe(browser.new_context(locale="en-US"))
    context.add_cookies([session_cookie(live, live.a.users[Role.MONITOR])])
    try:
        page = context.new_page()
        page.goto(live.url + DASHBOARD)
        text = page.inner_text("main")
        problems = describe_violations(page.url, axe_violations(page))
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    assert "Trend by year (2021–2025)" in text and "Regions below" in text and "Not computed" in text
