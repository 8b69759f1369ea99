"""The plans' pages: list and detail, within the user's scope, in Chinese and English."""

from __future__ import annotations

import pytest
from django.test import Client

from yangguang.accounts import services as accounts
from yangguang.accounts.models import Role
from yangguang.core.contributions import menu_for

pytestmark = pytest.mark.django_db
PASSWORD = "Yg-plans-Tests-2025!"


def signed_in(actor, username: str, role: str, region: str) -> Client:
    client = Client()
    client.force_login(accounts.create_user(username, PASSWORD, [(role, region)], actor=actor))
    return client


def test_the_list_shows_the_plans_that_concern_the_user(plans, actor):
    client = signed_in(actor, "monitor_linxia", Role.MONITOR, "622921")  # 临夏县, in 临夏州

    page = client.get("/plans/").content.decode()

    assert "临夏州“十四五”残疾人保障和发展规划" in page
    assert "青海省" not in page and "五台县“十四五”" not in page


def test_the_plan_page_shows_baseline_target_kind_and_the_task_tree(plans, actor):
    client = signed_in(actor, "monitor_linxia", Role.MONITOR, "622900")

    response = client.get("/plans/linxia/")
    page = response.content.decode()

    assert response.status_code == 200
    assert "基期（2020年）" in page and "目标（2025年）" in page
    assert "＞80" in page and "＞85" in page and "4027" in page and "与国内生产总值增长基本同步" in page
    assert page.count("约束性") >= 6 and page.count("预期性") >= 5
    assert "均达到85%以上" in page  # the noted inconsistency
    assert "巩固拓展残疾人脱贫攻坚成果同乡村振兴有效衔接，持续夯实残疾人脱贫基础" in page
    assert "延续脱贫攻坚政策" in page and "<caption" in page


def test_the_units_are_shown_with_their_tasks(plans, actor):
    client = signed_in(actor, "monitor_qingzhou", Role.MONITOR, "370781")

    page = client.get("/plans/qingzhou/").content.decode()

    assert "潍坊市银保监分局青州监管组" in page
    assert "市政府残工委" in page and "市政府有关部门" in page


def test_a_plan_outside_the_scope_does_not_exist_for_the_user(plans, actor):
    client = signed_in(actor, "monitor_wutai", Role.MONITOR, "140922")

    assert client.get("/plans/wutai/").status_code == 200
    assert client.get("/plans/qingzhou/").status_code == 404
    assert client.get("/plans/nothing/").status_code == 404


def test_users_without_the_capability_find_no_plans_page(plans, actor):
    client = signed_in(actor, "registrar_wutai", Role.REGISTRAR, "140922")

    assert client.get("/plans/").status_code == 404
    assert client.get("/plans/wutai/").status_code == 404
    assert Client().get("/plans/").status_code == 302  # to sign in


def test_the_menu_has_the_plans_entry_for_monitors_and_analysts(plans, actor):
    monitor = accounts.create_user("m", PASSWORD, [(Role.MONITOR, "140922")], actor=actor)
    analyst = accounts.create_user("a", PASSWORD, [(Role.ANALYST, "140922")], actor=actor)
    registrar = accounts.create_user("r", PASSWORD, [(Role.REGISTRAR, "140922")], actor=actor)

    def groups(user) -> dict[str, list[str]]:
        return {g["key"]: [str(e["label"]) for e in g["entries"]] for g in menu_for(user)}

    assert "规划与指标" in groups(monitor)["plans"]
    assert "规划与指标" in groups(analyst)["plans"]
    assert "plans" not in groups(registrar)


def test_the_plan_page_reads_in_english(plans, actor):
    client = signed_in(actor, "monitor_wutai", Role.MONITOR, "140922")

    page = client.get("/plans/wutai/", headers={"accept-language": "en"}).content.decode()

    assert "Main indicators" in page and "Lead units" in page and "binding" in page
    # The names the plan file gives in English: title, jurisdiction, issuer, units.
    assert "Wutai County 14th Five-Year Plan" in page and "五台县“十四五”" not in page
    assert "Wutai County, Xinzhou, Shanxi" in page and "People&#x27;s Government of Wutai County" in page
    assert ">households<" in page and "Coverage of basic rehabilitation services" in page
    listing = client.get("/plans/", headers={"accept-language": "en"}).content.decode()
    assert "Wutai County 14th Five-Year Plan" in listing and "五台县人民政府" not in listing
    chinese = client.get("/plans/wutai/").content.decode()
    assert "五台县“十四五”残疾人保障和发展规划" in chinese and "Wutai County" not in chinese
