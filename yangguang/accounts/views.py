"""Signing in and out, the one-time-code steps, and the user's own account page.

Signing in is one or two steps: the password (``login``), then — for users with
one-time codes on — the code (``login_verify``), or for users whose role requires
codes but who have none yet, enrolment (``totp_setup``). Between the steps the
session holds only the user id, the time and where to go next, for five minutes.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from yangguang.accounts import selectors, services, totp
from yangguang.accounts.forms import CodeForm, LoginForm
from yangguang.accounts.middleware import LAST_SEEN, NOTICE
from yangguang.accounts.models import User
from yangguang.core.errors import ValidationFailed

PENDING = "_yg_pending_login"
PENDING_SECONDS = 10 * 60  # time to type a code, or to install an app and enrol
CANDIDATE = "_yg_totp_candidate"
LOCKED_UNTIL = "_yg_locked_until"  # the notice after a lock-out at the code step
BACKEND = "yangguang.accounts.backends.StaffBackend"


def _notices() -> dict[str, str]:
    return {
        "timed_out": _("您已{minutes}分钟没有操作，为保护数据已自动退出，请重新登录。").format(
            minutes=settings.YANGGUANG_SESSION_IDLE_MINUTES),
        "logged_out": _("您已退出登录。"),
        "expired": _("登录已超时，请重新输入用户名和密码。"),
    }


def _locked_message(until: dt.datetime | None) -> str:
    """Why the right password did not sign in: a lock-out and its end (local time), or
    an administrator's lock."""
    if until is None:
        return _("账号已被管理员锁定，请联系本单位的系统管理员解锁。")
    return _("尝试次数过多，账号已被暂时锁定，请于{until}之后再登录；如需提前解锁，"
             "请联系本单位的系统管理员。").format(
        until=formats.date_format(timezone.localtime(until), "DATETIME_FORMAT"))


def _safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _pending_user(request: HttpRequest) -> tuple[User | None, dict[str, Any]]:
    pending = request.session.get(PENDING) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, {}
    return User.objects.filter(pk=pending["user"], is_active=True).first(), pending


def _finish(request: HttpRequest, user: User, method: str, next_url: str) -> HttpResponse:
    services.complete_login(request, user, method=method)
    request.session.pop(PENDING, None)
    request.session.pop(CANDIDATE, None)
    login(request, user, backend=BACKEND)
    request.session[LAST_SEEN] = int(time.time())
    return redirect(_safe_next(request, next_url))


def _to_login(request: HttpRequest, notice: str) -> HttpResponse:
    request.session.pop(PENDING, None)
    request.session.pop(CANDIDATE, None)
    request.session[NOTICE] = notice
    return redirect("accounts:login")


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request, next_url))
    form = LoginForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            user = services.check_password_login(request, form.cleaned_data["username"],
                                                 form.cleaned_data["password"])
        except services.AccountLocked as locked:  # only ever for the right password
            form.add_error(None, _locked_message(locked.until))
        except services.AddressThrottled as throttled:
            form.add_error(None, _("从您的网络地址登录失败的次数过多，请在{seconds}秒后再试。").format(
                seconds=throttled.seconds))
            response = render(request, "accounts/login.html",
                              {"form": form, "next": next_url, "notice": ""}, status=429)
            response["Retry-After"] = str(throttled.seconds)
            return response
        else:
            if user is None:
                # One message for an unknown user and a wrong password, so nobody
                # learns which usernames exist.
                form.add_error(None, _("用户名或密码不正确，或账号已被暂时锁定。连续输错{count}次后，"
                                       "账号将锁定{minutes}分钟。").format(
                    count=settings.YANGGUANG_LOGIN_MAX_FAILURES,
                    minutes=settings.YANGGUANG_LOGIN_LOCK_MINUTES))
            elif user.totp_enabled or selectors.totp_required(user):
                request.session.cycle_key()
                request.session[PENDING] = {"user": user.pk, "at": int(time.time()),
                                            "next": next_url}
                return redirect("accounts:login_verify" if user.totp_enabled
                                else "accounts:totp_setup")
            else:
                return _finish(request, user, "password", next_url)
    notice_key, until = request.session.pop(NOTICE, ""), request.session.pop(LOCKED_UNTIL, None)
    if notice_key == "locked" and until:
        notice = _locked_message(dt.datetime.fromisoformat(until))
    else:
        notice = _notices().get(notice_key, "")
    return render(request, "accounts/login.html", {"form": form, "next": next_url, "notice": notice})


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    user, pending = _pending_user(request)
    if user is None or not user.totp_enabled:
        return _to_login(request, "expired")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        if services.check_totp_login(request, user, form.cleaned_data["code"]):
            return _finish(request, user, "password+totp", pending.get("next", ""))
        if services.is_locked(user):
            request.session[LOCKED_UNTIL] = user.locked_until.isoformat()
            return _to_login(request, "locked")
        form.add_error("code", services.MESSAGES["totp_code"])
    return render(request, "accounts/login_verify.html", {"form": form})


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Turning one-time codes on: for a signed-in user who chooses to, or during sign-in
    for a user whose role requires them."""
    pending: dict[str, Any] = {}
    if request.user.is_authenticated:
        user = request.user
    else:
        user, pending = _pending_user(request)
        if user is None:
            return _to_login(request, "expired")
        if user.totp_enabled:
            return redirect("accounts:login_verify")
    if user.totp_enabled:
        return render(request, "accounts/totp_setup.html", {"enabled": True})
    enrolment = services.start_totp_enrolment(user, sealed=request.session.get(CANDIDATE))
    request.session[CANDIDATE] = enrolment.sealed
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.confirm_totp(user, enrolment.sealed, form.cleaned_data["code"], actor=user)
        except ValidationFailed as e:
            for problem in e.problems:
                form.add_error("code", problem.message)
        else:
            request.session.pop(CANDIDATE, None)
            if pending:
                return _finish(request, user, "password+totp", pending.get("next", ""))
            return redirect("accounts:totp_setup")
    return render(request, "accounts/totp_setup.html", {
        "form": form, "enrolment": enrolment, "secret": totp.grouped(enrolment.secret),
        "during_login": bool(pending),
    })


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation (a page any link can reach); POST signs out."""
    if request.method == "POST":
        logout(request)
        request.session[NOTICE] = "logged_out"
        return redirect("accounts:login")
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return render(request, "accounts/logout.html")


@login_required
@require_safe
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own page: roles with their regions, one-time codes."""
    roles = request.user.roles.select_related("region").order_by("role", "region_id")
    return render(request, "accounts/account.html", {"roles": roles})
