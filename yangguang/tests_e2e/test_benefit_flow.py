"""A benefit application from 申请 to 发放 in Chromium, with the axe audit on each page:
the township's registrar registers and reviews it, the federation's reviewer checks the
level, the county civil-affairs officer decides, publishes (the public 公示 page shows
the masked name only) and grants it — refused first while the publication runs."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from yangguang.benefits.models import BenefitApplication
from yangguang.benefits.tests.conftest import make_person
from yangguang.core.crypto import mask_name
from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, sign_in

pytestmark = pytest.mark.django_db(**LIVE_DB)


def _days_ago(n: int) -> str:
    return (dt.date.today() - dt.timedelta(days=n)).isoformat()


def _step(page, action: str, day: str, note: str = "") -> None:
    page.get_by_label("环节", exact=True).select_option(label=action)
    page.get_by_label("日期", exact=True).fill(day)
    page.get_by_label("意见", exact=True).fill(note)
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    assert axe_violations(page) == []


def _as(page, live, role: str, path: str) -> None:
    page.context.clear_cookies()
    sign_in(page, live, live.a.users[role].username, next_path=path)
    assert axe_violations(page) == []


def test_a_care_allowance_from_application_to_grant(live, page):
    person = make_person(region=live.a.spec.township, level="一级",
                         issued=dt.date.today() - dt.timedelta(days=400))
    sign_in(page, live, live.a.users["registrar"].username)
    page.goto(f"{live.url}/registry/persons/{person.pk}/")
    page.get_by_role("link", name="登记补贴申请").first.click()
    page.wait_for_load_state()
    assert axe_violations(page) == []
    page.get_by_label("补贴项目").select_option(label="重度残疾人护理补贴")
    page.get_by_label("申请方式").select_option(label="本人申请")
    page.get_by_label("申请日期").fill(_days_ago(40))
    page.get_by_role("button", name="登记申请").click()
    page.wait_for_url(re.compile(r"/benefits/applications/\d+/$"))
    assert axe_violations(page) == []
    app = BenefitApplication.objects.get(person=person)
    assert "乡镇审核时限" in page.content() and "已超期" in page.content()
    path = f"/benefits/applications/{app.pk}/"

    _step(page, "审核（乡镇）", _days_ago(39), "材料齐全")
    assert "残联核定等级时限" in page.content()
    _as(page, live, "reviewer", path)
    _step(page, "核定等级（县残联）", _days_ago(37), "等级相符")
    _as(page, live, "civil_affairs", path)
    _step(page, "审定（县民政）", _days_ago(35), "同意")
    _step(page, "公示", _days_ago(20))
    app.refresh_from_db()
    assert app.state == "published"

    public = page.context.browser.new_context(locale="zh-CN").new_page()
    try:
        public.goto(f"{live.url}/benefits/publication/{live.a.code}/")
        assert axe_violations(public) == []
        text = public.content()
        assert mask_name(person.name) in text and person.name not in text
    finally:
        public.context.close()

    _step(page, "发放", app.deadline.isoformat())
    assert "期满后方可发放" in page.get_by_role("alert").inner_text()
    assert page.title().startswith("错误：")
    _step(page, "发放", dt.date.today().isoformat())
    page.wait_for_url(re.compile(rf"{path}$"))
    assert "已发放" in page.content()
    app.refresh_from_db()
    assert app.state == "granted"
    steps = [(s.action, s.actor) for s in app.steps.all()]
    assert [a for a, _who in steps] == ["apply", "review", "check_level", "decide", "publish",
                                        "grant"]
    assert {who for _a, who in steps} == {live.a.users[r].username
                                          for r in ("registrar", "reviewer", "civil_affairs")}
    page.goto(f"{live.url}/benefits/applications/")
    assert axe_violations(page) == []
