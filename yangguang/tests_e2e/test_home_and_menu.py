"""Each role's home page and menu in Chromium: axe-core (WCAG 2.1 AA) in the normal and
the large-text, high-contrast display, and the menu used by keyboard alone with
JavaScript turned off."""

from __future__ import annotations

from typing import Any

import pytest

from yangguang.accounts.models import Role
from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, describe_violations, session_cookie, with_axe
from yangguang.tests_e2e.test_accessibility import choose_display

pytestmark = pytest.mark.django_db(**LIVE_DB)

#: What each role's menu holds (group: entries), as a screen reader lists it.
#: (The same as core/tests/test_home_and_menu.py, which says why each role has them.)
_LOOP = ["服务需求", "超期未满足的需求", "服务机构", "乡镇需求与服务资源"]
_NO_PERSONS = {"人员与证件": ["地区统计"], "服务": ["乡镇需求与服务资源"], "规划监测": ["规划与指标"]}
_BENEFITS = ["补贴政策", "主动发现", "筛查待办", "补贴申请", "补贴发放", "发放表"]
MENUS = {
    Role.REGISTRAR: {"人员与证件": ["查询人员", "登记人员", "批量导入", "地区统计", "年度调查进度",
                               "残疾人证业务", "残疾人证待办"],
                     "服务": _LOOP, "补贴": _BENEFITS,
                     "数据比对": ["部门名单", "比对差异报告"],
                     "系统管理": ["后台任务"]},
    Role.REVIEWER: {"人员与证件": ["查询人员", "地区统计", "年度调查进度", "残疾人证业务", "残疾人证待办"],
                    "服务": _LOOP, "补贴": _BENEFITS,
                    "数据比对": ["部门名单", "比对差异报告", "比对复核"]},
    Role.CIVIL_AFFAIRS: {"人员与证件": ["查询人员", "地区统计", "年度调查进度", "残疾人证业务",
                                   "残疾人证待办"],
                         "服务": ["乡镇需求与服务资源"], "补贴": _BENEFITS},
    Role.ANALYST: _NO_PERSONS,
    Role.MONITOR: _NO_PERSONS,
    Role.AUDITOR: {"系统管理": ["审计日志"]},
    Role.ADMINISTRATOR: {"系统管理": ["用户管理", "后台任务"]},
}


def _menu(page: Any) -> dict[str, list[str]]:
    """The main navigation's groups: each list's label (``aria-labelledby``) and links."""
    nav = page.get_by_role("navigation", name="主导航")
    if nav.count() == 0:
        return {}
    groups = {}
    for label_id in nav.locator("ul[aria-labelledby]").evaluate_all(
            "lists => lists.map(list => list.getAttribute('aria-labelledby'))"):
        label = page.locator(f"#{label_id}").inner_text()
        groups[label] = nav.locator(f'ul[aria-labelledby="{label_id}"]').get_by_role("link").all_inner_texts()
    return groups


def test_each_roles_home_page_and_menu_pass_axe_in_both_displays(live, browser):
    problems: list[str] = []
    for role in Role.values:
        context = with_axe(browser.new_context(locale="zh-CN"))
        try:
            context.add_cookies([session_cookie(live, live.a.users[role])])
            page = context.new_page()
            page.goto(live.url + "/")
            heading = "我负责的地区" if role in (Role.ANALYST, Role.MONITOR) else "待办与概况"
            assert page.get_by_role("heading", name=heading).is_visible(), role
            assert _menu(page) == MENUS[role], role
            problems += describe_violations(f"/ [{role}]", axe_violations(page))
            choose_display(page, live, {"large", "contrast"})
            page.goto(live.url + "/")
            problems += describe_violations(f"/ [{role}, large, contrast]", axe_violations(page))
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def _focused(page: Any) -> str:
    return page.evaluate("document.activeElement.textContent.trim()")


def test_the_menu_works_by_keyboard_without_javascript(live, browser):
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    try:
        context.add_cookies([session_cookie(live, live.a.users[Role.REGISTRAR])])
        page = context.new_page()
        page.goto(live.url + "/")

        for _ in range(40):  # Tab from the top of the page to the menu's entry
            page.keyboard.press("Tab")
            if _focused(page) == "地区统计":
                break
        assert _focused(page) == "地区统计", "the menu entry is not reachable by Tab"
        page.keyboard.press("Enter")
        page.wait_for_url("**/statistics/**")

        nav = page.get_by_role("navigation", name="主导航")
        assert nav.get_by_role("link", name="地区统计").get_attribute("aria-current") == "page"
        assert nav.get_by_role("link", name="查询人员").get_attribute("aria-current") is None
        assert page.get_by_role("heading", level=1).inner_text().endswith("持证残疾人统计")
    finally:
        context.close()
