"""User management in Chromium: an administrator of 五台县 creates a user (a mistake
first), finds the region by name, grants a role, issues a token, locks the account;
every user changes their own password. axe-core audits each state of the pages,
error summaries and the one-time token page included."""

from __future__ import annotations

import pytest

from yangguang.accounts.models import User
from yangguang.audit.models import AuditEvent
from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, describe_violations, sign_in
from yangguang.tests_e2e.world import PASSWORD

pytestmark = pytest.mark.django_db(**LIVE_DB)


def _no_violations(page) -> None:
    problems = describe_violations(page.url, axe_violations(page))
    assert not problems, "\n".join(problems)


def test_an_administrator_creates_a_user_grants_a_role_issues_a_token_and_locks(live, page):
    sign_in(page, live, live.a.users["administrator"].username)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="用户管理").click()
    assert live.a.users["registrar"].username in page.get_by_role("table").inner_text()
    assert live.b.users["registrar"].username not in page.content()
    _no_violations(page)

    page.get_by_role("link", name="新建用户").click()
    page.get_by_label("用户名").fill("wutai_clerk")
    page.get_by_label("角色").select_option(label="录入员")
    page.get_by_label("管辖地区").fill("370781")  # another county's code
    page.get_by_label("初始密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入初始密码").fill(PASSWORD)
    page.get_by_role("button", name="新建用户").click()
    summary = page.get_by_role("alert")
    assert "您不能在青州市授予或收回角色" in summary.inner_text()
    assert page.title().startswith("错误：")
    _no_violations(page)
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.name") == "region"

    box = page.get_by_label("管辖地区")
    box.fill("")
    box.press_sequentially("台城")
    page.get_by_role("button", name="山西省 · 忻州市 · 五台县 · 台城镇 140922100000", exact=True).click()
    assert box.input_value() == "140922100000"
    page.get_by_label("初始密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入初始密码").fill(PASSWORD)
    page.get_by_role("button", name="新建用户").click()
    page.get_by_role("heading", name="用户wutai_clerk").wait_for()
    assert "录入员" in page.get_by_role("table", name="每个角色在所列地区及其下级地区有效").inner_text()
    _no_violations(page)

    grant = page.get_by_role("group", name="授予角色")
    grant.get_by_label("角色").select_option(label="审核员")
    grant.get_by_label("管辖地区").fill("140922")
    grant.get_by_role("button", name="授予角色").click()
    assert "审核员" in page.get_by_role("table", name="每个角色在所列地区及其下级地区有效").inner_text()

    tokens = page.get_by_role("group", name="签发接口令牌")
    tokens.get_by_label("用途").fill("市级交换")
    tokens.get_by_role("button", name="签发令牌").click()
    key = page.locator("#new-token").inner_text()
    assert key.startswith("yg_")
    _no_violations(page)
    page.get_by_role("link", name="我已保存，返回用户页面").click()
    assert key not in page.content()
    assert "有效" in page.get_by_role("table", name="该用户的接口令牌（不含令牌本身）").inner_text()

    page.get_by_role("button", name="锁定账号").click()
    assert page.get_by_role("status").get_by_text("已锁定账号wutai_clerk").is_visible()
    assert not User.objects.get(username="wutai_clerk").is_active
    assert AuditEvent.objects.filter(actor_name=live.a.users["administrator"].username).count() >= 5


def test_a_user_changes_their_own_password(live, page):
    analyst = live.a.users["analyst"]
    sign_in(page, live, analyst.username)
    page.goto(f"{live.url}/accounts/")
    page.get_by_role("link", name="修改密码").click()

    page.get_by_label("当前密码").fill("wrong")
    page.get_by_label("新密码", exact=True).fill("Yg-e2e-New-Passphrase-2026")
    page.get_by_label("再次输入新密码").fill("Yg-e2e-New-Passphrase-2026")
    page.get_by_role("button", name="修改密码").click()
    assert "当前密码不正确" in page.get_by_role("alert").inner_text()
    _no_violations(page)

    page.get_by_label("当前密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill("Yg-e2e-New-Passphrase-2026")
    page.get_by_label("再次输入新密码").fill("Yg-e2e-New-Passphrase-2026")
    page.get_by_role("button", name="修改密码").click()
    page.get_by_role("heading", name="我的账号").wait_for()
    assert page.get_by_text("密码已修改").is_visible()
    analyst.refresh_from_db()
    assert analyst.check_password("Yg-e2e-New-Passphrase-2026")
