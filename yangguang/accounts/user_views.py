"""User management for administrators, and every user's own password.

An administrator manages the users of their regions (``selectors.managed_users``):
creates them, grants and revokes roles over regions, locks and unlocks, resets
passwords, issues and revokes API tokens. A user outside their regions does not exist
for them (404). The pages show accounts and roles only, never personal data (三权分立).
Every change goes through ``accounts.services``, which checks the administrator's
regions again and records the audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yangguang.accounts import selectors, services
from yangguang.accounts.decorators import require_capability
from yangguang.accounts.models import ApiToken, RoleAssignment, User
from yangguang.accounts.permissions import Capability
from yangguang.accounts.user_forms import (
    NewPasswordForm,
    OwnPasswordForm,
    RoleForm,
    TokenForm,
    UserCreateForm,
    show_problems,
)
from yangguang.core.errors import ValidationFailed

MANAGE = Capability.MANAGE_USERS


def _managed(request: HttpRequest, user_id: int) -> User:
    return get_object_or_404(selectors.managed_users(request.user), pk=user_id)


def _roles() -> Prefetch:
    return Prefetch("roles", queryset=RoleAssignment.objects.select_related("region")
                    .order_by("role", "region_id"))


@require_capability(MANAGE)
@require_safe
def user_list(request: HttpRequest) -> HttpResponse:
    """The users of the administrator's regions, with their state and roles."""
    query = request.GET.get("q", "").strip()[:150]
    users = selectors.managed_users(request.user)
    if query:
        users = users.filter(username__icontains=query)
    users = (users.order_by("username").prefetch_related(_roles())
             .annotate(active_tokens=Count("api_tokens", filter=Q(api_tokens__revoked=False))))
    now = timezone.now()
    rows = [(user, selectors.account_state(user, now)) for user in users]
    return render(request, "accounts/users.html", {"rows": rows, "q": query})


@sensitive_post_parameters("password", "password2")
@require_capability(MANAGE)
@require_http_methods(["GET", "HEAD", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(data["username"], data["password"],
                                        [(data["role"], data["region"])], actor=request.user)
        except ValidationFailed as e:
            show_problems(form, e)
        else:
            messages.success(request, _("已新建用户{user}").format(user=user.username))
            return redirect("accounts:user", user_id=user.pk)
    return render(request, "accounts/user_new.html", {"form": form},
                  status=400 if form.errors else 200)


def _detail(request: HttpRequest, user: User, *, role_form: RoleForm | None = None,
            token_form: TokenForm | None = None, status: int = 200) -> HttpResponse:
    role_form = role_form or RoleForm(auto_id="grant-%s")
    token_form = token_form or TokenForm(auto_id="token-%s")
    failed = next((f for f in (role_form, token_form) if f.errors), None)
    tokens = user.api_tokens.order_by("revoked", "-created_at")
    now = timezone.now()
    return render(request, "accounts/user.html", {
        "managed": user, "state": selectors.account_state(user, now),
        "locked_out": services.is_locked(user, now),
        "roles": user.roles.select_related("region").order_by("role", "region_id"),
        "tokens": [(token, _token_state(token, now)) for token in tokens],
        "role_form": role_form, "token_form": token_form, "form": failed,
    }, status=status)


def _token_state(token: ApiToken, now: dt.datetime) -> str:
    if token.revoked:
        return _("已吊销")
    if token.expires_at is not None and token.expires_at <= now:
        return _("已过期")
    return _("有效")


@require_capability(MANAGE)
@require_safe
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    return _detail(request, _managed(request, user_id))


def _act(request: HttpRequest, user: User, action: Any, done: str) -> HttpResponse:
    """Run a service call without a form; its refusal, if any, as a message."""
    try:
        action()
    except ValidationFailed as e:
        for problem in e.problems:
            messages.error(request, problem.message)
    else:
        messages.success(request, done)
    return redirect("accounts:user", user_id=user.pk)


@require_capability(MANAGE)
@require_POST
def role_grant(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _managed(request, user_id)
    form = RoleForm(request.POST, auto_id="grant-%s")
    if form.is_valid():
        try:
            services.grant_role(user, form.cleaned_data["role"], form.cleaned_data["region"],
                                actor=request.user)
        except ValidationFailed as e:
            show_problems(form, e)
        else:
            messages.success(request, _("已授予角色"))
            return redirect("accounts:user", user_id=user.pk)
    return _detail(request, user, role_form=form, status=400)


@require_capability(MANAGE)
@require_POST
def role_revoke(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _managed(request, user_id)
    role, region = request.POST.get("role", ""), request.POST.get("region", "")
    return _act(request, user, lambda: services.revoke_role(user, role, region, actor=request.user),
                _("已收回角色"))


@require_capability(MANAGE)
@require_POST
def user_lock(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _managed(request, user_id)
    return _act(request, user, lambda: services.lock_user(user, actor=request.user),
                _("已锁定账号{user}：该用户不能登录，接口令牌也暂停使用").format(user=user.username))


@require_capability(MANAGE)
@require_POST
def user_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _managed(request, user_id)
    return _act(request, user, lambda: services.unlock_user(user, actor=request.user),
                _("已解除{user}的锁定").format(user=user.username))


@sensitive_post_parameters("password", "password2")
@require_capability(MANAGE)
@require_http_methods(["GET", "HEAD", "POST"])
def password_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _managed(request, user_id)
    form = NewPasswordForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.set_password(user, form.cleaned_data["password"], actor=request.user)
        except ValidationFailed as e:
            show_problems(form, e)
        else:
            messages.success(request, _("已为{user}设置新密码，请告知用户并请其登录后修改")
                             .format(user=user.username))
            return redirect("accounts:user", user_id=user.pk)
    return render(request, "accounts/user_password.html", {"managed": user, "form": form},
                  status=400 if form.errors else 200)


@never_cache
@require_capability(MANAGE)
@require_POST
def token_create(request: HttpRequest, user_id: int) -> HttpResponse:
    """Issue a token and show it, this once: only its SHA-256 is kept."""
    user = _managed(request, user_id)
    form = TokenForm(request.POST, auto_id="token-%s")
    if form.is_valid():
        days = form.cleaned_data["days"]
        expires = timezone.now() + dt.timedelta(days=days) if days else None
        try:
            issued = services.create_token(user, form.cleaned_data["name"], expires,
                                           actor=request.user)
        except ValidationFailed as e:
            show_problems(form, e)
        else:
            return render(request, "accounts/token_issued.html",
                          {"managed": user, "issued": issued})
    return _detail(request, user, token_form=form, status=400)


@require_capability(MANAGE)
@require_POST
def token_revoke(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _managed(request, user_id)
    token_id = request.POST.get("token", "")
    token = get_object_or_404(ApiToken, user=user, pk=int(token_id) if token_id.isdigit() else 0)
    return _act(request, user, lambda: services.revoke_token(token, actor=request.user),
                _("已吊销令牌{prefix}…").format(prefix=token.prefix))


@sensitive_post_parameters("current_password", "password", "password2")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Every user's change of their own password."""
    form = OwnPasswordForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.change_own_password(request.user, data["current_password"], data["password"])
        except ValidationFailed as e:
            show_problems(form, e)
        else:
            update_session_auth_hash(request, request.user)  # this session stays signed in
            messages.success(request, _("密码已修改"))
            return redirect("accounts:account")
    return render(request, "accounts/password_change.html", {"form": form},
                  status=400 if form.errors else 200)
