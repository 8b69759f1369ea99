"""The menu and the home page of each role, made of what the apps contribute
(``core.contributions``): the groups and entries each role may use, and its counts."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.test import Client
from django.utils import timezone

from yangguang.accounts import services as accounts
from yangguang.accounts.models import Role, User
from yangguang.core.contributions import MenuEntry, collected
from yangguang.demo.generator import create_person
from yangguang.registry import services
from yangguang.registry.models import CertificateStatus, StatusReason

pytestmark = pytest.mark.django_db
PASSWORD = "Yg-home-Tests-2025!"
COUNTY = "140922"  # 五台县
VILLAGE = "140922100001"
OTHER_VILLAGE = "610103001002"  # 碑林区


def signed_in(actor, role: str, region: str = COUNTY, name: str = "") -> Client:
    user = accounts.create_user(name or f"{role}-{region}", PASSWORD, [(role, region)], actor=actor)
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, url: str = "/") -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def menu(text: str) -> dict[str, list[str]]:
    """The menu's groups, each with its entries' labels, as the page shows them."""
    nav = re.search(r'<nav class="site-nav".*?</nav>', text, flags=re.S)
    if nav is None:
        return {}
    groups = {}
    for label, entries in re.findall(
            r'<span class="menu-group-label" id="[^"]+">([^<]+)</span>\s*<ul[^>]*>(.*?)</ul>',
            nav.group(0), flags=re.S):
        groups[label] = re.findall(r"<a [^>]*>([^<]+)</a>", entries)
    return groups


def counts(text: str) -> dict[str, int]:
    return {html_lib.unescape(label): int(value) for value, label in re.findall(
        r'<span class="count-value">(\d+)</span> <span class="count-label">([^<]+)</span>', text)}


def test_each_role_sees_the_groups_and_entries_of_its_capabilities(actor):
    # Who handles persons (registrars, reviewers) sees the persons' pages of every app:
    # certificate cases, the survey, the service loop, benefits, data comparison; only
    # registrars enter persons and run imports, only reviewers review matches.
    loop = ["服务需求", "超期未满足的需求", "服务机构", "乡镇需求与服务资源"]
    benefits = ["补贴政策", "主动发现", "筛查待办", "补贴申请", "补贴发放", "发放表"]
    registrar = menu(page(signed_in(actor, Role.REGISTRAR)))
    assert registrar == {"人员与证件": ["查询人员", "登记人员", "批量导入", "地区统计", "年度调查进度",
                                   "残疾人证业务", "残疾人证待办"],
                         "服务": loop, "补贴": benefits, "数据比对": ["部门名单", "比对差异报告"],
                         "系统管理": ["后台任务"]}
    assert menu(page(signed_in(actor, Role.REVIEWER))) == {
        "人员与证件": ["查询人员", "地区统计", "年度调查进度", "残疾人证业务", "残疾人证待办"],
        "服务": loop, "补贴": benefits, "数据比对": ["部门名单", "比对差异报告", "比对复核"]}
    # The county civil-affairs bureau decides benefit applications: it reads persons.
    assert menu(page(signed_in(actor, Role.CIVIL_AFFAIRS))) == {
        "人员与证件": ["查询人员", "地区统计", "年度调查进度", "残疾人证业务", "残疾人证待办"],
        "服务": ["乡镇需求与服务资源"], "补贴": benefits}
    # Analysts and monitors see no person: counts by region (the township coverage
    # table is counts too) and the plans.
    no_persons = {"人员与证件": ["地区统计"], "服务": ["乡镇需求与服务资源"], "规划监测": ["规划与指标"]}
    assert menu(page(signed_in(actor, Role.ANALYST))) == no_persons
    assert menu(page(signed_in(actor, Role.MONITOR))) == no_persons
    assert menu(page(signed_in(actor, Role.AUDITOR))) == {"系统管理": ["审计日志"]}
    assert menu(page(signed_in(actor, Role.ADMINISTRATOR))) == {"系统管理": ["用户管理", "后台任务"]}
    # Groups without an entry for the user are not shown: the exact dictionaries above
    # hold no empty group.
    assert menu(page(Client())) == {}


def test_a_user_with_several_roles_gets_the_union_in_group_order(actor):
    user = accounts.create_user("many", PASSWORD, [(Role.AUDITOR, COUNTY), (Role.ANALYST, COUNTY)],
                                actor=actor)
    client = Client()
    client.force_login(user)

    assert list(menu(page(client))) == ["人员与证件", "服务", "规划监测", "系统管理"]


def test_the_current_entry_is_marked_and_every_entry_is_a_plain_link(actor):
    registrar = signed_in(actor, Role.REGISTRAR)

    text = page(registrar, "/registry/persons/new/")

    nav = re.search(r'<nav class="site-nav".*?</nav>', text, flags=re.S).group(0)
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', nav) == ["/registry/persons/new/"]
    assert 'aria-current="page"' not in page(registrar, "/")  # the home page is no entry
    # Links only: no buttons or scripts to open the menu, so it works without JavaScript.
    assert "<button" not in nav and "<script" not in nav and "onclick" not in nav
    assert re.findall(r'<a href="([^"]+)"', nav) == [
        "/registry/persons/", "/registry/persons/new/", "/registry/imports/", "/statistics/",
        "/survey/", "/certificates/cases/", "/certificates/worklist/", "/services/needs/",
        "/services/needs/overdue/", "/services/providers/", "/services/coverage/",
        "/benefits/programmes/", "/benefits/screening/", "/benefits/screening/items/",
        "/benefits/applications/",
        "/benefits/grants/", "/benefits/payrolls/", "/matching/", "/matching/reports/", "/jobs/"]


def test_a_menu_entry_names_one_of_the_groups():
    with pytest.raises(ValueError, match="unknown group"):
        MenuEntry("registry:search", "查询", "finance", "view_person")
    groups = {entry.group for entry in collected().menu}
    assert groups <= {"persons", "services", "benefits", "matching", "plans", "system"}


@pytest.fixture
def certificates(actor) -> None:
    """In 五台县: one certificate expiring in 30 days, one in 200, one expired, one
    frozen, one of a dead person expiring in 10 days; in 碑林区 one expiring in 30 days."""
    today = timezone.localdate()

    def person(village: str, valid_until: dt.date | None = None):
        # Issued a year ago (valid), then for the expiring ones the end of validity
        # arranged directly: the registry derives it from the issue date.
        created = create_person(户籍地区划代码=village, 发证日期=today - dt.timedelta(days=365))
        if valid_until is not None:
            created.certificates.update(valid_until=valid_until)
        return created

    person(VILLAGE, today + dt.timedelta(days=30))
    person(VILLAGE, today + dt.timedelta(days=200))
    expired = person(VILLAGE)
    expired.certificates.update(status=CertificateStatus.EXPIRED)
    frozen = person(VILLAGE)
    services.freeze_certificate(frozen.certificates.get(), reason=StatusReason.MOVED_AWAY,
                                day=today, actor=actor)
    dead = person(VILLAGE, today + dt.timedelta(days=10))
    services.record_death(dead, today, actor=actor)
    person(OTHER_VILLAGE, today + dt.timedelta(days=30))


def test_registrars_and_reviewers_see_their_counts(actor, certificates):
    registrar = counts(page(signed_in(actor, Role.REGISTRAR)))
    assert registrar == {"辖区内在世的残疾人": 4, "90天内到期的残疾人证": 1,
                         "已过期待换领的残疾人证": 1, "近7天的导入": 0,
                         "近7天失败的后台任务": 0, "比对发现的差异": 0, "已故仍在发放补贴的人员": 0,
                         "本年度尚未调查的持证残疾人": 5, "待转介的服务需求": 0,
                         "超期未满足的服务需求": 0, "办理中的残疾人证业务": 0,
                         "办理时限将到或已过的业务": 0, "办理中的补贴申请": 0,
                         "待跟进的筛查待办": 0}
    reviewer = counts(page(signed_in(actor, Role.REVIEWER)))
    assert reviewer == {"辖区内在世的残疾人": 4, "90天内到期的残疾人证": 1,
                        "冻结中的残疾人证": 1, "待复核的比对结果": 0, "比对发现的差异": 0,
                        "已故仍在发放补贴的人员": 0,
                        "本年度尚未调查的持证残疾人": 5, "超期未满足的服务需求": 0,
                        "户籍迁出、即将注销的冻结残疾人证": 0, "办理中的残疾人证业务": 0,
                        "办理时限将到或已过的业务": 0}
    civil = counts(page(signed_in(actor, Role.CIVIL_AFFAIRS)))
    assert civil == {"辖区内在世的残疾人": 4, "90天内到期的残疾人证": 1,
                     "本年度尚未调查的持证残疾人": 5, "办理中的残疾人证业务": 0,
                     "办理时限将到或已过的业务": 0, "待审定的补贴申请": 0}
    # Analysts have no persons to act on: their regions' certified persons are in the
    # regions panel (one number in one place).
    analyst = page(signed_in(actor, Role.ANALYST))
    assert counts(analyst) == {}
    assert re.search(r'<a href="/statistics/140922000000/">五台县</a></th><td class="numeric">2</td>', analyst)


def test_counts_link_to_where_the_user_acts_on_them(actor, certificates):
    text = page(signed_in(actor, Role.REVIEWER))

    assert re.search(r'<a href="/registry/persons/\?status=frozen"><span class="count-value">1</span>', text)
    assert re.search(r'<a href="/registry/persons/"><span class="count-value">4</span>', text)


def test_auditors_see_recent_events_and_failed_sign_ins_of_their_regions(actor):
    auditor = signed_in(actor, Role.AUDITOR)
    far_auditor = signed_in(actor, Role.AUDITOR, "610103")
    accounts.create_user("clerk", PASSWORD, [(Role.REGISTRAR, COUNTY)], actor=actor)
    before, far_before = counts(page(auditor)), counts(page(far_auditor))
    for _attempt in range(2):
        accounts.check_password_login(None, "clerk", "wrong password")

    after = counts(page(auditor))

    assert after["近7天的登录失败"] == before["近7天的登录失败"] + 2
    assert after["近7天的审计事件"] >= before["近7天的审计事件"] + 2
    assert counts(page(far_auditor)) == far_before  # 五台县's events are not 碑林区's


def test_administrators_see_the_locked_accounts_they_manage(actor):
    admin = signed_in(actor, Role.ADMINISTRATOR)
    accounts.create_user("clerk", PASSWORD, [(Role.REGISTRAR, VILLAGE)], actor=actor)
    accounts.create_user("far", PASSWORD, [(Role.REGISTRAR, "610103")], actor=actor)
    User.objects.filter(username__in=["clerk", "far"]).update(
        locked_until=timezone.now() + dt.timedelta(minutes=10))

    shown = counts(page(admin))

    assert shown["被锁定的账号"] == 1  # not the one in another province
    # The clerk: not the far user, who has a role elsewhere, nor the administrator's own
    # account (which their own page serves).
    assert shown["我管理的账号"] == 1


def test_a_user_without_a_role_is_told_so(actor):
    user = accounts.create_user("nobody", PASSWORD, actor=actor)
    client = Client()
    client.force_login(user)

    text = page(client)

    assert "您的账号还没有任何角色" in text and counts(text) == {} and menu(text) == {}


def test_a_person_action_names_its_place():
    from yangguang.core.contributions import PersonAction

    with pytest.raises(ValueError):
        PersonAction("certificates:ecert", "x", "view_person", on="household")
    places = {action.on for action in collected().person_actions}
    assert places <= {"person", "certificate"}
    assert any(action.url_name == "certificates:ecert" for action in collected().person_actions)
