"""A cross-province transfer (跨省通办) in Chromium, with the axe audit on each page:
the registrar of the county of usual residence takes the application in (a missing
permit shows the error summary) and forwards it; the hukou county's registrar accepts
it and its reviewer completes it; both counties see the case with who holds it."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from yangguang.certificates.models import CertificateCase
from yangguang.certificates.tests.cases_fixtures import certified
from yangguang.core.crypto import decrypt_id
from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, describe_violations, sign_in

pytestmark = pytest.mark.django_db(**LIVE_DB)


def _clean(page) -> None:
    problems = describe_violations(page.url, axe_violations(page))
    assert not problems, "\n".join(problems)


def _step(page, name: str, day: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()
    _clean(page)
    page.get_by_label("办理日期", exact=True).fill(day)
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_url(re.compile(r"/certificates/cases/\d+/$"))


def _holder(page) -> str:
    return page.locator("dt", has_text="当前办理地").locator("xpath=..").locator("dd").inner_text()


def test_a_cross_province_transfer_from_the_residence_to_the_hukou_county(live, page, actor):
    hukou, residence = live.a.spec, live.b.spec
    person = certified(actor, hukou.township, 姓名="常住青州")
    today = dt.date.today().isoformat()

    sign_in(page, live, live.b.users["registrar"].username)
    page.goto(f"{live.url}/certificates/cases/")
    page.get_by_role("link", name="受理跨省通办申请（户籍在外地的申请人）").click()
    page.wait_for_load_state()
    _clean(page)
    page.get_by_label("公民身份号码", exact=True).fill(decrypt_id(person.id_number_encrypted))
    page.get_by_label("姓名", exact=True).fill("常住青州")
    page.get_by_label("常住地区划代码", exact=True).fill(residence.township)
    page.get_by_label("业务类型", exact=True).select_option(label="迁移")
    page.get_by_label("迁入地区划代码").fill(residence.township)
    page.get_by_role("button", name="登记申请").click()
    page.wait_for_load_state()
    assert "须填写居住证号码" in page.get_by_role("alert").inner_text()
    assert page.title().startswith("错误：")
    _clean(page)
    page.get_by_label("居住证号码", exact=True).fill("370781202500001")
    page.get_by_role("button", name="登记申请").click()
    page.wait_for_url(re.compile(r"/certificates/cases/\d+/$"))
    case_url = page.url
    assert _holder(page) == residence.name
    _clean(page)
    _step(page, "转户籍地残联办理", today)
    assert _holder(page) == hukou.name
    assert page.get_by_role("link", name="受理", exact=True).count() == 0  # the hukou county's

    page.context.clear_cookies()
    sign_in(page, live, live.a.users["registrar"].username)
    page.goto(case_url)
    assert _holder(page) == hukou.name and "常住青州" in page.content()
    _clean(page)
    _step(page, "受理", today)

    page.context.clear_cookies()
    sign_in(page, live, live.a.users["reviewer"].username)
    page.goto(case_url)
    _step(page, "审核通过，办结", today)
    assert "已办结" in page.content()
    _clean(page)

    case = CertificateCase.objects.get(person=person)
    person.refresh_from_db()
    assert case.state == "completed" and person.hukou_region_id == residence.township

    page.context.clear_cookies()
    sign_in(page, live, live.b.users["registrar"].username)
    page.goto(case_url)  # the residence county still sees the case it took in
    assert "已办结" in page.content()
    assert _holder(page) == hukou.name
    _clean(page)
