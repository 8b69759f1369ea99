"""The service loop in a browser: a registrar of 五台 records a need from the person
page, refers it, records the service that meets it, re-opens it with a reason, and
finds it all in the person's history; axe-core (WCAG 2.1 A and AA) finds nothing on
any page of the way, the form with its error summary included."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.accounts.models import Role
from yangguang.audit.services import Actor
from yangguang.services import actions
from yangguang.services.models import Need
from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, describe_violations, sign_in

pytestmark = pytest.mark.django_db(**LIVE_DB)


def audit(page) -> None:
    assert not (problems := describe_violations(page.url, axe_violations(page))), "\n".join(problems)


def test_a_registrar_takes_a_need_round_the_loop(live, page):
    county = live.a
    person = county.persons[1]
    centre, _changes = actions.save_provider(actions.ProviderData(
        name="五台县法律援助工作站", kind="other", region=county.spec.township,
        kinds=["legal_aid"], capacity=10), actor=Actor("e2e"), scope=None)
    sign_in(page, live, county.users[Role.REGISTRAR].username)

    page.goto(f"{live.url}/registry/persons/{person.pk}/")
    page.get_by_role("link", name="登记服务需求").click()
    page.wait_for_load_state()
    audit(page)
    page.get_by_role("button", name="登记需求").click()  # nothing chosen
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    assert "服务类型不能为空" in summary.inner_text()
    audit(page)
    page.get_by_label("服务类型").select_option(label="法律援助")
    page.get_by_label("说明").fill("土地承包纠纷")
    page.get_by_role("button", name="登记需求").click()
    page.wait_for_load_state()
    assert "待转介" in page.inner_text("main")
    audit(page)

    page.get_by_label("服务机构").select_option(str(centre.pk))
    page.get_by_role("button", name="转介", exact=True).click()
    page.wait_for_load_state()
    assert "已转介" in page.inner_text("main")
    audit(page)

    page.get_by_role("link", name="记录服务").click()
    page.wait_for_load_state()
    audit(page)
    page.get_by_label("结束日期").fill(dt.date.today().isoformat())
    page.get_by_label("服务人员").fill("王律师")
    page.get_by_label("支付方").select_option(label="免费")
    page.get_by_label("结果").select_option(label="需求已满足")
    page.get_by_role("button", name="保存服务记录").click()
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "已满足" in main and "王律师" in main
    audit(page)

    page.get_by_label("原因").first.fill("纠纷再起，需要继续援助")
    page.get_by_role("button", name="重新开启").click()
    page.wait_for_load_state()
    need = Need.objects.get(person=person, kind="legal_aid")
    assert need.state == "open"

    page.goto(f"{live.url}/registry/persons/{person.pk}/")
    history = page.inner_text("main")
    assert "登记服务需求：法律援助" in history
    assert "转介至五台县法律援助工作站" in history
    assert "五台县法律援助工作站提供服务：法律援助" in history
    assert "原因：纠纷再起，需要继续援助" in history

    for path in ("/services/needs/", "/services/needs/overdue/", "/services/providers/",
                 f"/services/providers/{centre.pk}/", f"/services/persons/{person.pk}/",
                 "/services/providers/new/"):
        page.goto(live.url + path)
        audit(page)


def test_an_analyst_reads_the_township_table(live, page):
    sign_in(page, live, live.a.users[Role.ANALYST].username)
    page.get_by_role("link", name="乡镇需求与服务资源").click()
    page.wait_for_load_state()
    table = page.get_by_role("table", name="台城镇各类服务需求与服务资源")
    assert "走访探视" in table.inner_text()
    audit(page)
