"""axe-core (WCAG 2.1 A and AA) on every page, in the normal and the large-text,
high-contrast display; the display settings themselves; a core flow by keyboard alone.

The pages come from the same URL walker as the authorisation test: every route that
answers a GET with an HTML page — to a visitor who is not signed in, or to the first
role that may open it — is loaded in Chromium and audited, so a new page is audited
the day it is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from yangguang.accounts.models import Role
from yangguang.tests_e2e import fillers, walker
from yangguang.tests_e2e.browser import (
    LIVE_DB,
    axe_violations,
    describe_violations,
    session_cookie,
    sign_in,
    with_axe,
)

pytestmark = pytest.mark.django_db(**LIVE_DB)


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    role: str | None  # None: a visitor who is not signed in


def pages(world: Any) -> tuple[list[Page], list[str]]:
    """Every HTML page the walker finds, with who can open it; and the routes that are
    not pages (files, POST-only, redirects), for the record."""
    county = world.a
    anonymous = Client()
    clients: dict[str, Client] = {}
    for role, user in county.users.items():
        clients[role] = Client()
        clients[role].force_login(user, backend="yangguang.accounts.backends.StaffBackend")
    found: list[Page] = []
    skipped: list[str] = []
    for route in walker.routes():
        if route.is_api:
            continue
        path = route.url(fillers.fill(route, county))
        openers: list[str | None] = []
        if _is_html_page(anonymous.get(path)):
            openers.append(None)
        role = next((r for r in Role.values if _is_html_page(clients[r].get(path))), None)
        if role is not None:
            openers.append(role)
        if not openers:
            skipped.append(route.label)
        found += [Page(route.label, path, who) for who in openers]
    return found, skipped


def _is_html_page(response: Any) -> bool:
    return response.status_code == 200 and response.get("Content-Type", "").startswith("text/html")


#: Pages that must be among those audited (the walker finds them; this says they are
#: not skipped): data comparison's upload, run, changes, report and review pages.
MUST_AUDIT = ("/matching/", "/matching/runs/{run}/", "/matching/runs/{run}/changes/",
              "/matching/reports/", "/matching/review/")


def _must_audit(live: Any) -> set[str]:
    return {path.format(run=live.a.match_run.pk) for path in MUST_AUDIT}


def _audit_all(live: Any, browser: Any, *, display: set[str]) -> tuple[list[str], set[str]]:
    """Load every page as its opener and run axe; the violations, one line each, and
    the paths audited."""
    found, _skipped = pages(live)
    contexts: dict[str | None, Any] = {}
    problems: list[str] = []
    try:
        for item in found:
            if item.role not in contexts:
                context = with_axe(browser.new_context(locale="zh-CN"))
                if item.role is not None:
                    context.add_cookies([session_cookie(live, live.a.users[item.role])])
                page = context.new_page()
                if display:
                    choose_display(page, live, display)
                contexts[item.role] = (context, page)
            _context, page = contexts[item.role]
            response = page.goto(live.url + item.path)
            assert response is not None and response.ok, f"{item.path}: {response and response.status}"
            who = item.role or "anonymous"
            problems += describe_violations(f"{item.path} [{who}]", axe_violations(page))
    finally:
        for context, _page in contexts.values():
            context.close()
    return problems, {item.path for item in found}


def choose_display(page: Any, live: Any, chosen: set[str]) -> None:
    """Turn on large text and/or high contrast through the display settings in the header."""
    page.goto(live.url + "/")
    page.get_by_text("显示设置").click()
    if "large" in chosen:
        page.get_by_label("大字号").check()
    if "contrast" in chosen:
        page.get_by_label("高对比度").check()
    page.get_by_role("button", name="应用").click()
    page.wait_for_load_state()


def test_every_page_has_no_wcag_violations(live, browser):
    problems, audited = _audit_all(live, browser, display=set())

    assert len(audited) >= 10, f"only {len(audited)} pages found to audit"
    assert _must_audit(live) <= audited, _must_audit(live) - audited
    assert not problems, f"{len(problems)} axe violation(s):\n" + "\n".join(problems)


def test_every_page_has_no_wcag_violations_in_large_text_and_high_contrast(live, browser):
    problems, audited = _audit_all(live, browser, display={"large", "contrast"})

    assert len(audited) >= 10, f"only {len(audited)} pages found to audit"
    assert _must_audit(live) <= audited, _must_audit(live) - audited
    assert not problems, f"{len(problems)} axe violation(s):\n" + "\n".join(problems)


def test_the_payroll_pages_have_no_wcag_violations(live, browser):
    """The payroll list with its form, and a payroll with its totals and lines (a grant
    of the county's person paid or withheld), as a reviewer (approve and download too),
    in the normal and the large-text, high-contrast display."""
    import datetime as dt

    from yangguang.audit.services import Actor
    from yangguang.benefits import payroll
    from yangguang.benefits.models import BenefitApplication, BenefitGrant
    from yangguang.regions.models import Region

    county = live.a
    month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    app = BenefitApplication.objects.create(person=county.person, programme="care_allowance",
                                            applicant_type="person", state="granted",
                                            applied_on=month)
    BenefitGrant.objects.create(person=county.person, programme="care_allowance", application=app,
                                start_month=month, unit="month",
                                paying_region_id=county.spec.code.ljust(12, "0"))
    made = payroll.run_payroll(month, Region.objects.get(pk=county.spec.code.ljust(12, "0")),
                               actor=Actor("e2e"), scope=None)
    assert made.lines.exists()
    problems = []
    for display in (set(), {"large", "contrast"}):
        context = with_axe(browser.new_context(locale="zh-CN"))
        try:
            context.add_cookies([session_cookie(live, county.users["reviewer"])])
            page = context.new_page()
            if display:
                choose_display(page, live, display)
            for path in ("/benefits/payrolls/", f"/benefits/payrolls/{made.pk}/"):
                response = page.goto(live.url + path)
                assert response is not None and response.ok, path
                problems += describe_violations(f"{path} {sorted(display)}", axe_violations(page))
        finally:
            context.close()
    assert not problems, f"{len(problems)} axe violation(s):\n" + "\n".join(problems)


def test_display_settings_enlarge_text_and_raise_contrast(live, page):
    page.goto(live.url + "/")
    size_before = _font_size(page)
    background_before = _background(page)

    choose_display(page, live, {"large", "contrast"})

    classes = page.evaluate("document.documentElement.className")
    assert "text-large" in classes and "contrast-high" in classes
    assert _font_size(page) >= size_before * 1.2
    assert _background(page) != background_before
    page.goto(live.url + "/accounts/login/")  # the choice stays, also before signing in
    assert "contrast-high" in page.evaluate("document.documentElement.className")


def _font_size(page: Any) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))


def _background(page: Any) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_hand_value_form_with_its_errors(live, browser):
    """The form of a value entered by hand, as the monitor who may use it (the walk opens
    the page as the first role that may read it, which may not enter), sent empty: the
    error summary and every field's message, audited by axe."""
    context = with_axe(browser.new_context(locale="zh-CN"))
    try:
        context.add_cookies([session_cookie(live, live.a.users["monitor"])])
        page = context.new_page()
        path = f"/analytics/plans/{fillers.FILLERS['plans/key'].value(live.a)}/hand-values/"
        page.goto(live.url + path)
        page.get_by_role("button", name="保存填报值").click()
        page.wait_for_load_state()
        assert page.get_by_text("请填写指标值").count() >= 1
        problems = describe_violations(path, axe_violations(page))
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_search_by_keyboard_alone(live, page):
    person = live.a.person
    sign_in(page, live, live.a.users["registrar"].username)
    page.goto(live.url + "/registry/persons/")

    page.keyboard.press("Tab")
    assert _focused(page) == ("A", "跳到主要内容")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.labels[0].textContent").strip().startswith("姓名")
    page.keyboard.type(person.name)
    # The list page may already show the person before the search: wait for the
    # results page itself, or the Tabs below start on a page about to be replaced.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    link = page.get_by_role("table", name="查询结果").get_by_role("link", name=person.name)
    link.wait_for()

    for _ in range(60):  # Tab on until the person's link has the focus
        if _focused(page) == ("A", person.name):
            break
        page.keyboard.press("Tab")
    assert _focused(page) == ("A", person.name), "the result link is not reachable by Tab"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/registry/persons/{person.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == person.name


def _focused(page: Any) -> tuple[str, str]:
    return tuple(page.evaluate(
        "[document.activeElement.tagName, document.activeElement.textContent.trim()]"))

