"""The region picker in Chromium: a name finds regions with their paths, the keyboard
chooses one, and the form receives its code; without JavaScript it is a code box."""

from __future__ import annotations

import pytest

from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, describe_violations, sign_in

pytestmark = pytest.mark.django_db(**LIVE_DB)


def test_a_region_is_found_by_name_and_chosen_by_keyboard(live, page):
    sign_in(page, live, live.a.users["registrar"].username)
    page.goto(f"{live.url}/registry/persons/")

    box = page.get_by_label("户籍地区划代码")
    box.focus()
    page.keyboard.type("东冶镇")
    option = page.get_by_role("button", name="山西省 · 忻州市 · 五台县 · 东冶镇")
    option.wait_for()
    assert page.locator("[data-region-announce]").inner_text() == "找到2个地区，按 Tab 或下箭头键选择"
    assert not describe_violations(page.url, axe_violations(page))

    page.keyboard.press("ArrowDown")  # the first option; the list runs county by county
    focused = page.evaluate("document.activeElement.dataset.regionCode")
    assert focused in {"140522109000", "140922105000"}
    if focused != "140922105000":
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")

    assert box.input_value() == "140922105000"
    assert page.evaluate("document.activeElement.name") == "region"
    assert page.locator(".region-option").count() == 0
    assert "已选择：山西省 · 忻州市 · 五台县 · 东冶镇" in page.locator("[data-region-announce]").inner_text()
    page.keyboard.press("Enter")  # the search runs with the code
    page.wait_for_url("**region=140922105000**")
    assert "/regions/lookup/" not in page.url


def test_escape_closes_the_list(live, page):
    sign_in(page, live, live.a.users["registrar"].username)
    page.goto(f"{live.url}/registry/persons/")

    page.get_by_label("户籍地区划代码").focus()
    page.keyboard.type("五台")
    page.get_by_role("button", name="山西省 · 忻州市 · 五台县").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")

    assert page.locator(".region-option").count() == 0
    assert page.evaluate("document.activeElement.name") == "region"


def test_without_javascript_the_picker_is_a_code_box_with_a_lookup_page(live, browser):
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live, live.a.users["registrar"].username)
    page.goto(f"{live.url}/registry/persons/")

    with context.expect_page() as opened:  # a new window: what was typed stays
        page.get_by_role("link", name="按名称查找区划代码").click()
    lookup = opened.value
    lookup.get_by_label("地区名称或代码").fill("五台县")
    lookup.get_by_role("button", name="查找").click()
    assert "140922" in lookup.get_by_role("table").inner_text()

    page.goto(f"{live.url}/registry/persons/")
    page.get_by_label("户籍地区划代码").fill("140922")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**region=140922**")
    context.close()
