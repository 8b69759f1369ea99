"""The audit log in Chromium: an auditor of 五台县 filters by a person's ID number and
reads who did what in Chinese, the number in no address the browser requests."""

from __future__ import annotations

import pytest

from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, describe_violations, sign_in

pytestmark = pytest.mark.django_db(**LIVE_DB)


def test_an_auditor_filters_by_id_number_and_reads_the_events(live, page):
    person = live.a.person
    number = live.a.id_numbers[person.pk]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, live, live.a.users["auditor"].username)
    page.goto(f"{live.url}/audit/")

    page.get_by_label("人员（姓名或公民身份号码）").fill(number)
    page.get_by_role("button", name="筛选", exact=True).click()
    table = page.get_by_role("table", name="审计事件，最新的在前")
    table.wait_for()

    text = table.inner_text()
    assert person.name in text and "新增" in text and "残疾人" in text
    assert live.a.persons[1].name not in text
    assert page.get_by_label("人员（姓名或公民身份号码）").input_value() == person.id_number_masked
    assert not [url for url in requested if number in url]
    assert number not in page.content()
    problems = describe_violations(page.url, axe_violations(page))
    assert not problems, "\n".join(problems)
