"""Signing in and out through the pages: lock-out, one-time codes, idle timeout."""

from __future__ import annotations

import datetime as dt
import re
import time

import pyotp
import pytest
from django.utils import timezone

from yangguang.accounts import selectors
from yangguang.accounts.middleware import LAST_SEEN
from yangguang.accounts.models import User
from yangguang.accounts.tests.conftest import PASSWORD, sign_in
from yangguang.accounts.views import PENDING, PENDING_SECONDS
from yangguang.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
GENERIC = "用户名或密码不正确，或账号已被暂时锁定"


def _html(response) -> str:
    return response.content.decode()


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_is_accessible(client):
    html = _html(client.get("/accounts/login/"))

    assert '<label for="id_username">用户名</label>' in html
    assert '<label for="id_password">密码</label>' in html
    assert re.search(r'<input type="text" name="username" autocomplete="username"[^>]*id="id_username"',
                     html)
    assert re.search(r'<input type="password" name="password" autocomplete="current-password"'
                     r'[^>]*id="id_password"', html)
    assert "<title>工作人员登录" in html
    assert "error-summary" not in html


def test_empty_form_shows_an_error_summary_linked_to_each_field(client):
    html = _html(client.post("/accounts/login/", {"username": "", "password": ""}))

    assert "<title>错误：工作人员登录" in html
    summary = html[html.index('class="error-summary"'):html.index("</ul>")]
    assert 'role="alert"' in summary
    assert '<a href="#id_username">请填写用户名</a>' in summary
    assert '<a href="#id_password">请填写密码</a>' in summary
    assert re.search(r'<input [^>]*aria-invalid="true" aria-describedby="id_username_error"'
                     r' id="id_username"', html)
    assert 'id="id_username_error"><span class="visually-hidden">错误：</span>请填写用户名</p>' in html


def test_successful_login_is_recorded_and_resets_the_failure_count(client, staff):
    user = staff("wutai", ("registrar", "140922"))
    sign_in(client, "wutai", "wrong-password")
    assert User.objects.get(pk=user.pk).failed_logins == 1

    response = sign_in(client, "wutai", next="/accounts/")

    assert response.status_code == 302 and response["Location"] == "/accounts/"
    assert _signed_in(client)
    assert User.objects.get(pk=user.pk).failed_logins == 0
    event = AuditEvent.objects.filter(action="login").get()
    assert (event.actor_id, event.region_code, event.data["method"]) == (
        user.pk, "140922000000", "password")
    assert event.data["ip"] == "127.0.0.1"


def test_failures_say_the_same_whether_or_not_the_user_exists(client, staff):
    staff("beilin", ("registrar", "610103"))

    wrong_password = sign_in(client, "beilin", "not-the-password")
    no_such_user = sign_in(client, "nobody-here", "not-the-password")

    assert wrong_password.status_code == no_such_user.status_code == 200
    assert GENERIC in _html(wrong_password) and GENERIC in _html(no_such_user)
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", _html(wrong_password)) == strip.sub("", _html(no_such_user))
    failed = list(AuditEvent.objects.filter(action="login_failed").order_by("id"))
    assert [(e.data["username"], e.data["reason"]) for e in failed] == [
        ("beilin", "password"), ("nobody-here", "unknown_user")]
    assert all("not-the-password" not in e.data_text + e.actor_name for e in failed)
    assert not _signed_in(client)


def test_the_password_is_never_sent_back(client, staff):
    staff("beilin", ("registrar", "610103"))
    html = _html(sign_in(client, "beilin", "Secret-Wrong-Value"))
    assert "Secret-Wrong-Value" not in html
    assert 'value="beilin"' in html  # the username is kept for the next try


def test_account_locks_after_consecutive_failures(client, staff, settings):
    settings.YANGGUANG_LOGIN_MAX_FAILURES = 3
    settings.YANGGUANG_LOGIN_LOCK_MINUTES = 15
    user = staff("qingzhou", ("registrar", "370781"))

    for _ in range(3):
        sign_in(client, "qingzhou", "wrong-password")

    user.refresh_from_db()
    assert user.locked_until is not None
    assert user.locked_until - timezone.now() > dt.timedelta(minutes=14)
    locked = sign_in(client, "qingzhou")  # the right password, while locked
    assert not _signed_in(client)
    assert GENERIC not in _html(locked)
    assert f"账号已被暂时锁定，请于{_local(user.locked_until)}之后再登录" in _html(locked)
    reasons = list(AuditEvent.objects.filter(action="login_failed").values_list("data__reason", flat=True))
    assert reasons == ["password", "password", "password", "locked"]
    assert "locked_until" in AuditEvent.objects.filter(action="login_failed")[2].data
    assert AuditEvent.objects.filter(action="login_failed").last().data["password"] == "right"

    # The lock runs out (here: its end is moved to the past) and the password works again.
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert sign_in(client, "qingzhou").status_code == 302
    assert _signed_in(client)


def _local(moment: dt.datetime) -> str:
    """``moment`` as the page shows it: Beijing time, to the minute."""
    return timezone.localtime(moment).strftime("%Y年%-m月%-d日 %H:%M")


def test_a_wrong_password_says_nothing_of_the_lock(client, staff, settings):
    # A lock shown for any password would tell which usernames exist (lock one by
    # failing, then compare with a name that does not exist).
    settings.YANGGUANG_LOGIN_MAX_FAILURES = 2
    staff("qingzhou", ("registrar", "370781"))
    for _ in range(2):
        sign_in(client, "qingzhou", "wrong-password")

    locked_wrong = sign_in(client, "qingzhou", "wrong-again")
    no_such_user = sign_in(client, "nobody-here", "wrong-again")

    strip = re.compile(r'value="[^"]*"')
    assert GENERIC in _html(locked_wrong)
    assert strip.sub("", _html(locked_wrong)) == strip.sub("", _html(no_such_user))


def test_a_lock_gives_a_guesser_no_more_tries_than_led_to_it(client, staff, settings):
    settings.YANGGUANG_LOGIN_MAX_FAILURES = 2
    user = staff("qingzhou", ("registrar", "370781"))
    for _ in range(2):
        sign_in(client, "qingzhou", "wrong-password")
    for _ in range(2):  # tries during the lock count
        sign_in(client, "qingzhou", "wrong-password")

    # Now not even the right password is checked until the lock ends: no answer tells.
    assert GENERIC in _html(sign_in(client, "qingzhou"))
    assert not _signed_in(client)

    # The lock runs out: a fresh count, and the right password signs in.
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    sign_in(client, "qingzhou", "wrong-password")
    user.refresh_from_db()
    assert (user.failed_logins, user.locked_until) == (1, None)
    assert sign_in(client, "qingzhou").status_code == 302 and _signed_in(client)


def test_an_account_locked_by_an_administrator_says_so_to_its_owner(client, staff):
    user = staff("gone", ("registrar", "140922"))
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert GENERIC in _html(sign_in(client, "gone", "wrong-password"))
    page = _html(sign_in(client, "gone"))

    assert "账号已被管理员锁定，请联系本单位的系统管理员解锁。" in page and GENERIC not in page
    assert not _signed_in(client)


def test_only_consecutive_failures_count(client, staff, settings):
    settings.YANGGUANG_LOGIN_MAX_FAILURES = 3
    user = staff("linxia", ("registrar", "622900"))
    for attempt in ("bad", "bad", PASSWORD, "bad", "bad"):
        sign_in(client, "linxia", attempt)
        client.logout()
    user.refresh_from_db()
    assert user.locked_until is None and user.failed_logins == 2


def test_next_must_stay_on_this_site(client, staff):
    staff("wutai", ("registrar", "140922"))
    response = sign_in(client, "wutai", next="https://evil.example/steal")
    assert response["Location"] == "/"


def test_inactive_user_cannot_sign_in(client, staff):
    user = staff("gone", ("registrar", "140922"))
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert GENERIC in _html(sign_in(client, "gone", "wrong-password"))
    assert AuditEvent.objects.filter(action="login_failed").get().data["reason"] == "inactive"


def test_logout_asks_then_signs_out(client, staff):
    staff("wutai", ("registrar", "140922"))
    sign_in(client, "wutai")

    page = client.get("/accounts/logout/")
    assert page.status_code == 200 and 'action="/accounts/logout/"' in _html(page)
    assert _signed_in(client)
    response = client.post("/accounts/logout/")

    assert response["Location"] == "/accounts/login/"
    assert not _signed_in(client)
    assert "您已退出登录" in _html(client.get("/accounts/login/"))


# ---------------------------------------------------------------------------
# One-time codes


def _enrol(client) -> str:
    """Enrol through the page the way a person would: read the secret, type a code."""
    page = _html(client.get("/accounts/totp/"))
    assert "<svg" in page and "二维码" in page
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    response = client.post("/accounts/totp/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    return secret


def _next_code(secret: str) -> str:
    """The code of the next 30-second step: the current one was spent on enrolment."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_enrolment_then_sign_in_with_a_code(client, staff):
    user = staff("auditor", ("auditor", "630000"))
    sign_in(client, "auditor")
    secret = _enrol(client)
    assert "您的账号已启用动态口令" in _html(client.get("/accounts/totp/"))
    assert User.objects.get(pk=user.pk).totp_enabled
    assert AuditEvent.objects.filter(action="update", object_id=str(user.pk),
                                     data__totp_enabled=True).count() == 1
    client.post("/accounts/logout/")

    first = sign_in(client, "auditor", next="/accounts/")
    assert first["Location"] == "/accounts/login/verify/"
    assert not _signed_in(client)  # the password alone is not enough
    page = _html(client.get("/accounts/login/verify/"))
    assert re.search(r'<input [^>]*autocomplete="one-time-code" inputmode="numeric"[^>]*id="id_code"', page)

    wrong = client.post("/accounts/login/verify/", {"code": "000000"})
    assert "动态口令不正确" in _html(wrong) and not _signed_in(client)
    done = client.post("/accounts/login/verify/", {"code": _next_code(secret)})

    assert done["Location"] == "/accounts/"
    assert _signed_in(client)
    login = AuditEvent.objects.filter(action="login").order_by("-id").first()
    assert login.data["method"] == "password+totp"
    assert AuditEvent.objects.filter(action="login_failed", data__reason="totp").count() == 1
    assert User.objects.get(pk=user.pk).failed_logins == 0


def test_wrong_codes_lock_the_account_too(client, staff, settings):
    settings.YANGGUANG_LOGIN_MAX_FAILURES = 2
    staff("auditor", ("auditor", "630000"))
    sign_in(client, "auditor")
    _enrol(client)
    client.post("/accounts/logout/")

    sign_in(client, "auditor")
    client.post("/accounts/login/verify/", {"code": "000000"})
    response = client.post("/accounts/login/verify/", {"code": "111111"})

    assert response["Location"] == "/accounts/login/"
    until = User.objects.get(username="auditor").locked_until
    assert f"账号已被暂时锁定，请于{_local(until)}之后再登录" in _html(client.get("/accounts/login/"))
    assert client.get("/accounts/login/verify/")["Location"] == "/accounts/login/"
    assert not _signed_in(client)


def test_role_that_requires_codes_enrols_during_sign_in(client, staff, settings):
    settings.YANGGUANG_REQUIRE_TOTP_FOR = ["auditor", "administrator"]
    staff("auditor", ("auditor", "630000"))
    staff("clerk", ("registrar", "630000"))

    assert sign_in(client, "clerk").status_code == 302 and _signed_in(client)
    client.post("/accounts/logout/")

    response = sign_in(client, "auditor")
    assert response["Location"] == "/accounts/totp/"
    assert not _signed_in(client)
    page = _html(client.get("/accounts/totp/"))
    assert "您的角色要求登录时使用动态口令" in page
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    done = client.post("/accounts/totp/", {"code": pyotp.TOTP(secret).now()})

    assert done["Location"] == "/" and _signed_in(client)
    assert User.objects.get(username="auditor").totp_enabled


def test_code_step_expires(client, staff):
    staff("auditor", ("auditor", "630000"))
    sign_in(client, "auditor")
    _enrol(client)
    client.post("/accounts/logout/")
    sign_in(client, "auditor")
    session = client.session
    session[PENDING]["at"] -= PENDING_SECONDS + 1
    session.save()

    response = client.get("/accounts/login/verify/")

    assert response["Location"] == "/accounts/login/"
    assert "登录已超时" in _html(client.get("/accounts/login/"))


# ---------------------------------------------------------------------------
# Idle timeout


def _idle(client, minutes: int) -> None:
    session = client.session
    session[LAST_SEEN] -= minutes * 60
    session.save()


def test_idle_session_ends(client, staff, settings):
    settings.YANGGUANG_SESSION_IDLE_MINUTES = 30
    staff("wutai", ("registrar", "140922"))
    sign_in(client, "wutai")
    assert client.get("/accounts/").status_code == 200

    _idle(client, 29)
    assert client.get("/accounts/").status_code == 200
    _idle(client, 31)
    response = client.get("/accounts/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/"
    assert not _signed_in(client)
    assert "30分钟没有操作" in _html(client.get("/accounts/login/"))


def test_idle_htmx_request_redirects_the_whole_page(client, staff):
    staff("wutai", ("registrar", "140922"))
    sign_in(client, "wutai")
    _idle(client, 31)

    response = client.get("/accounts/", headers={"HX-Request": "true"})

    assert response.status_code == 204 and response["HX-Redirect"] == "/accounts/login/"


def test_session_ends_when_the_browser_closes(client, staff):
    staff("wutai", ("registrar", "140922"))
    response = sign_in(client, "wutai")
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_account_page_lists_roles(client, staff):
    staff("xining", ("registrar", "630102"), ("reviewer", "630103"))
    assert client.get("/accounts/")["Location"] == "/accounts/login/?next=/accounts/"
    sign_in(client, "xining")
    html = _html(client.get("/accounts/"))
    assert "录入员" in html and "城东区" in html and "审核员" in html
    assert selectors.totp_required(User.objects.get(username="xining")) is False


def test_a_user_name_with_a_control_character_is_refused_by_the_form(client):
    response = sign_in(client, "ctl\x0bchar", "whatever")

    assert response.status_code == 200
    assert "用户名不能包含控制字符或无效字符" in _html(response)
    assert not AuditEvent.objects.filter(actor_name__contains="\x0b").exists()


def _try(client, username: str, password: str, address: str):
    return client.post("/accounts/login/", {"username": username, "password": password},
                       REMOTE_ADDR=address)


def test_one_address_trying_user_name_after_user_name_must_back_off(client, staff, settings):
    staff("beilin", ("registrar", "610103"))
    free = settings.YANGGUANG_LOGIN_ADDRESS_FREE_FAILURES

    for n in range(free):
        assert _try(client, f"guess{n}", "not-the-password", "203.0.113.9").status_code == 200

    refused = _try(client, "beilin", PASSWORD, "203.0.113.9")  # even the right password
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "从您的网络地址登录失败的次数过多" in _html(refused)
    assert not _signed_in(client)
    assert AuditEvent.objects.filter(action="login_failed").count() == free  # nothing checked
    # Another address is not held back.
    assert _try(client, "beilin", PASSWORD, "198.51.100.7").status_code == 302


def test_a_stranger_cannot_lock_the_owner_out(client, staff, settings):
    user = staff("beilin", ("registrar", "610103"))
    for _ in range(settings.YANGGUANG_LOGIN_MAX_FAILURES):
        _try(client, "beilin", "not-the-password", "203.0.113.9")
    user.refresh_from_db()
    assert user.locked_until is not None  # locked …

    assert "账号已被暂时锁定" in _html(_try(client, "beilin", PASSWORD, "203.0.113.9"))  # … for them
    assert _try(client, "beilin", PASSWORD, "198.51.100.7").status_code == 302  # not the owner
    assert _signed_in(client)


def test_failures_from_many_addresses_lock_the_account_for_everyone(client, staff, settings):
    user = staff("beilin", ("registrar", "610103"))
    for _ in range(settings.YANGGUANG_LOGIN_MAX_FAILURES):
        _try(client, "beilin", "not-the-password", "203.0.113.9")
    User.objects.filter(pk=user.pk).update(failed_logins=10 * settings.YANGGUANG_LOGIN_MAX_FAILURES)

    assert _try(client, "beilin", PASSWORD, "198.51.100.7").status_code == 200
    assert not _signed_in(client)
