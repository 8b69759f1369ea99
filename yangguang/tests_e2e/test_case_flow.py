"""A new certificate from application to issue in Chromium, with the axe audit on each
page: the registrar receives the application, records acceptance, assessment and
publication (a too-early end of publication shows the error summary), the reviewer
issues the certificate."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from yangguang.certificates.models import CertificateCase
from yangguang.certificates.tests.cases_fixtures import uncertified
from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, sign_in

pytestmark = pytest.mark.django_db(**LIVE_DB)


def _days_ago(n: int) -> str:
    return (dt.date.today() - dt.timedelta(days=n)).isoformat()


def _step(page, link: str, **fields: str) -> None:
    page.get_by_role("link", name=link, exact=True).click()
    page.wait_for_load_state()
    assert axe_violations(page) == []
    for label, value in fields.items():
        field = page.get_by_label(label, exact=True)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    page.get_by_role("button", name=link, exact=True).click()
    page.wait_for_load_state()


def test_a_new_certificate_from_application_to_issue(live, page, actor):
    person = uncertified(actor, live.a.spec.township)
    sign_in(page, live, live.a.users["registrar"].username)
    page.goto(f"{live.url}/registry/persons/{person.pk}/")
    page.get_by_role("link", name="受理残疾人证申请").click()
    page.wait_for_load_state()
    assert axe_violations(page) == []
    page.get_by_label("业务类型").select_option(label="新办")
    page.get_by_label("申请方式").select_option(label="上门办证")
    page.get_by_label("申请日期").fill(_days_ago(40))
    page.get_by_role("button", name="登记申请").click()
    page.wait_for_url(re.compile(r"/certificates/cases/\d+/$"))
    assert axe_violations(page) == []

    _step(page, "受理", 办理日期=_days_ago(39), 评定机构="五台县人民医院")
    _step(page, "录入评定结论", 办理日期=_days_ago(38), 评定机构="五台县人民医院",
          评定人="李医生", 评定日期=_days_ago(38), 残疾类别="肢体残疾", 残疾等级="三级")
    _step(page, "开始公示", 办理日期=_days_ago(30))
    case = CertificateCase.objects.get(person=person)
    assert case.state == "published"

    early = (case.deadline).isoformat()
    _step(page, "公示期满，转入审核", 办理日期=early)
    summary = page.get_by_role("alert")
    assert "期满后方可转入审核" in summary.inner_text()
    assert page.title().startswith("错误：")
    assert axe_violations(page) == []
    page.get_by_label("办理日期", exact=True).fill(_days_ago(10))
    page.get_by_role("button", name="公示期满，转入审核").click()
    page.wait_for_url(re.compile(rf"/certificates/cases/{case.pk}/$"))

    page.context.clear_cookies()
    sign_in(page, live, live.a.users["reviewer"].username,
            next_path=f"/certificates/cases/{case.pk}/")
    _step(page, "审核通过，发证", 办理日期=dt.date.today().isoformat())
    page.wait_for_url(re.compile(rf"/certificates/cases/{case.pk}/$"))
    assert "已发证" in page.content()
    assert axe_violations(page) == []
    case.refresh_from_db()
    assert case.state == "issued" and case.certificate.issue_date == dt.date.today()

    page.goto(f"{live.url}/registry/persons/{person.pk}/")  # the cases section, the history
    assert "残疾人证新办申请：审核通过，发证" in page.content()
    assert axe_violations(page) == []
    page.goto(f"{live.url}/certificates/worklist/")
    assert axe_violations(page) == []
    page.goto(f"{live.url}/certificates/cases/")
    assert axe_violations(page) == []
