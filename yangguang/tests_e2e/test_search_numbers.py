"""In Chromium: a search by ID number never shows the number in the address bar or in
the browser's history, with htmx and without JavaScript (issue 16 fault 6)."""

from __future__ import annotations

import pytest

from yangguang.tests_e2e.browser import LIVE_DB, sign_in
from yangguang.tests_e2e.conftest import TIMEOUT_MS

pytestmark = pytest.mark.django_db(**LIVE_DB)


@pytest.mark.parametrize("javascript", [True, False])
def test_searching_by_id_number_keeps_it_out_of_the_address(live, browser, javascript):
    context = browser.new_context(java_script_enabled=javascript, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    person = live.a.person
    number = live.a.id_numbers[person.pk]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, live, live.a.users["registrar"].username)

    page.goto(f"{live.url}/registry/persons/")
    page.get_by_label("公民身份号码").fill(number)
    page.get_by_role("button", name="查询").click()

    results = page.get_by_role("table", name="查询结果")
    results.wait_for()
    assert results.get_by_role("link", name=person.name).count() == 1
    page.wait_for_url("**/registry/persons/?q=*")  # htmx pushes it; without JS, the redirect
    assert number not in page.url
    assert not [url for url in requested if number in url or number[-8:] in url]
    page.reload()
    assert page.get_by_role("table", name="查询结果").get_by_role("link", name=person.name).count() == 1
    context.close()
