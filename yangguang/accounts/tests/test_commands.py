"""``yangguang user …`` and ``yangguang token …``."""

from __future__ import annotations

import getpass
import io

import pytest
from django.core.management import call_command

from yangguang.accounts import services
from yangguang.accounts.models import ApiToken, RoleAssignment, User
from yangguang.accounts.tests.conftest import PASSWORD
from yangguang.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run a command as the shell would; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    extra = {"stdin": io.StringIO(stdin)} if stdin is not None else {}
    try:
        call_command(*args, stdout=out, stderr=err, **extra)
    except SystemExit as e:
        return int(e.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_user_create_with_several_roles_from_stdin():
    status, out, err = run("user", "create", "--username", "xining", "--role", "registrar",
                           "--region", "630102", "--role", "reviewer", "--region", "630103000000",
                           "--password-stdin", stdin=PASSWORD + "\n")

    assert (status, err) == (0, "")
    assert "已新建账号xining" in out
    user = User.objects.get(username="xining")
    assert user.check_password(PASSWORD)
    assert sorted(RoleAssignment.objects.filter(user=user).values_list("role", "region_id")) == [
        ("registrar", "630102000000"), ("reviewer", "630103000000")]
    assert {e.actor_name for e in AuditEvent.objects.all()} == {f"cli:{getpass.getuser()}"}


def test_user_create_prompts_twice_for_the_password(monkeypatch):
    answers = iter([PASSWORD, PASSWORD])
    prompts = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt: prompts.append(prompt) or next(answers))

    status, _out, _err = run("user", "create", "--username", "wutai", "--role", "registrar",
                             "--region", "140922")

    assert status == 0 and prompts == ["密码：", "再次输入密码："]
    assert User.objects.get(username="wutai").check_password(PASSWORD)


def test_user_create_refuses_different_passwords(monkeypatch):
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(answers))

    status, _out, err = run("user", "create", "--username", "wutai", "--role", "registrar",
                            "--region", "140922")

    assert status == 2 and "两次输入的密码不一致" in err
    assert not User.objects.filter(username="wutai").exists()


def test_user_create_explains_every_problem_in_chinese():
    status, out, err = run("user", "create", "--username", "bad name", "--role", "boss",
                           "--region", "999999", "--password-stdin", stdin="short\n")

    assert status == 2 and out == ""
    lines = err.splitlines()
    assert all(line.startswith("错误：") for line in lines)
    assert any("用户名只能包含" in line for line in lines)
    assert any("没有“boss”这个角色" in line for line in lines)
    assert any("没有代码为“999999”的行政区划" in line for line in lines)
    assert any("密码太短，至少要有10个字符" in line for line in lines)
    assert not User.objects.exists()


def test_user_create_needs_a_region_per_role():
    status, _out, err = run("user", "create", "--username", "u", "--role", "registrar",
                            "--password-stdin", stdin=PASSWORD)
    assert status == 2 and "每个 --role 后面都要有一个 --region" in err


def test_grant_revoke_list_unlock_and_set_password(staff):
    user = staff("linxia", ("registrar", "622900"))

    assert run("user", "grant", "--username", "linxia", "--role", "auditor", "--region", "622900")[0] == 0
    assert run("user", "revoke", "--username", "linxia", "--role", "registrar",
               "--region", "622900")[0] == 0
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == ["auditor"]
    status, _out, err = run("user", "revoke", "--username", "linxia", "--role", "registrar",
                            "--region", "622900")
    assert status == 2 and "没有录入员角色" in err
    status, _out, err = run("user", "grant", "--username", "ghost", "--role", "auditor",
                            "--region", "622900")
    assert status == 2 and "没有用户名为“ghost”的用户" in err

    User.objects.filter(pk=user.pk).update(failed_logins=3, locked_until="2999-01-01T00:00Z")
    status, out, _err = run("user", "list")
    assert status == 0
    assert out.splitlines()[0].split("\t")[:3] == ["linxia", "锁定至2999-01-01 08:00", "未启用动态口令"]
    assert "审计员·临夏回族自治州（622900000000）" in out
    assert run("user", "unlock", "--username", "linxia")[0] == 0
    assert run("user", "list")[1].split("\t")[1] == "正常"

    assert run("user", "set-password", "--username", "linxia", "--password-stdin",
               stdin="A-New-Long-Passphrase\n")[0] == 0
    assert User.objects.get(pk=user.pk).check_password("A-New-Long-Passphrase")
    assert [e.action for e in AuditEvent.objects.filter(object_id=str(user.pk)).order_by("id")][-4:] == [
        "permission", "permission", "update", "update"]


def test_token_create_prints_the_token_once_and_it_works(staff):
    user = staff("api", ("registrar", "370781"))

    status, out, err = run("token", "create", "--user", "api", "--name", "市级交换", "--days", "30")

    assert status == 0
    key = out.strip()
    assert key.startswith("yg_") and "\n" not in key
    assert "只显示这一次" in err
    assert services.authenticate_token(key) == user
    token = ApiToken.objects.get()
    assert token.name == "市级交换" and token.expires_at is not None
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    status, listing, _err = run("token", "list")
    assert key not in listing and token.prefix in listing and "有效" in listing


def test_token_never_expiring_and_revoked_by_prefix(staff):
    staff("api", ("registrar", "370781"))
    key = run("token", "create", "--user", "api", "--days", "0")[1].strip()
    assert ApiToken.objects.get().expires_at is None

    status, out, _err = run("token", "revoke", key[:8])

    assert status == 0 and "已吊销令牌" in out
    assert services.authenticate_token(key) is None
    status, _out, err = run("token", "revoke", key[:8])
    assert status == 2 and "该令牌已经吊销" in err
    assert run("token", "revoke", "999")[0] == 2
    assert "已吊销" in run("token", "list", "--user", "api")[1]


def test_token_for_unknown_user_is_refused():
    status, out, err = run("token", "create", "--user", "ghost")
    assert status == 2 and out == "" and "ghost" in err
