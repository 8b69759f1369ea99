"""Steps the browser tests share: signing in through the login page, axe-core audits."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from yangguang.tests_e2e.world import PASSWORD, World

#: ``pytest.mark.django_db(**LIVE_DB)`` for tests that use the live server:
#: - transactional, since the server answers from its own thread;
#: - ``bulk_reads`` too: the import reads through that second connection;
#: - the teardown's flush empties the tables of every app but ``regions``: the region
#:   tree is reference data the migrations load, so it stays in place rather than being
#:   reloaded (56,000 rows) after every test, and the tests after these find the
#:   database as the migrations left it.
LIVE_DB = {
    "transaction": True,
    "databases": ["default", "bulk_reads"],
    "available_apps": [app for app in settings.INSTALLED_APPS if app != "yangguang.regions"],
}

#: The WCAG 2.1 A and AA rules of axe-core.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def sign_in(page: Any, world: World, username: str, *, password: str = PASSWORD,
            next_path: str = "") -> None:
    """Sign in through the login page, as a person would."""
    url = f"{world.url}/accounts/login/" + (f"?next={next_path}" if next_path else "")
    page.goto(url)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def session_cookie(world: World, user: Any) -> dict[str, Any]:
    """A session cookie for ``user``, made by Django's test client (``force_login``):
    for tests about pages rather than about signing in, which the flows test."""
    from django.test import Client

    client = Client()
    client.force_login(user, backend="yangguang.accounts.backends.StaffBackend")
    name = settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value, "url": world.url}


def axe_source() -> str:
    """axe-core as axe-playwright-python bundles it (no download at run time)."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def with_axe(context: Any) -> Any:
    """Have axe-core loaded in every page the context opens (cheaper than injecting it
    before each audit)."""
    context.add_init_script(script=axe_source())
    return context


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    return page.evaluate("options => axe.run(document, options)", options)["violations"]


def describe_violations(url: str, violations: list[dict[str, Any]]) -> list[str]:
    """One line per rule and element: ``url rule (impact): target — summary``."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"{url} {violation['id']} ({violation.get('impact')}): {target} — "
                         f"{summary[:300]}")
    return lines
