"""Every write to accounts: users, roles, passwords, API tokens, sign-in and one-time codes.

Each function validates, saves and records an audit event. Role grants and
revocations, and token issue and revocation, are ``permission`` events; sign-ins
are ``login`` and ``login_failed`` events. No event ever holds a password, a token
or a one-time-code secret.

Events about a user carry the user's home region (``selectors.home_region_code``: the
lowest region above all of their roles), so auditors see the sign-ins and changes of
the staff in their scope.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.accounts import throttle, totp
from yangguang.accounts.models import ApiToken, Role, RoleAssignment, User
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, home_region_code, may_manage
from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, Event, record, record_many
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.regions.models import Region
from yangguang.regions.selectors import UnknownRegion, resolve_region

TOKEN_PREFIX = "yg_"
#: ``last_used_at`` of a token is written at most this often.
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)

MESSAGES = {
    "username_required": _("请填写用户名"),
    "username_invalid": _("用户名只能包含文字、数字和 @ . + - _，最长150个字符"),
    "username_taken": _("用户名“{value}”已被使用"),
    "user_unknown": _("没有用户名为“{value}”的用户"),
    "role_unknown": _("没有“{value}”这个角色；可用的角色：{choices}"),
    "region_unknown": _("没有代码为“{value}”的行政区划"),
    "role_not_held": _("该用户在{region}没有{role}角色"),
    "password_invalid": _("密码不符合要求：{value}"),
    "token_revoked": _("该令牌已经吊销"),
    "totp_code": _("动态口令不正确或已使用过，请输入应用中当前显示的6位数字"),
    "region_out_of_scope": _("您不能在{region}授予或收回角色：它不在您管理的地区内"),
    "user_out_of_scope": _("您不能管理用户“{value}”：该用户有您管理的地区以外的角色"),
    "role_required": _("请为新用户选择一个角色和管辖地区"),
    "last_role": _("这是该用户唯一的角色，收回后账号将不属于任何地区；如要停止使用该账号，请锁定它"),
    "password_wrong": _("当前密码不正确"),
}


def _problem(code: str, field: str, **params: Any) -> Problem:
    return Problem(code=code, field=field, template=MESSAGES[code], params=params)


def _fail(code: str, field: str, **params: Any) -> ValidationFailed:
    return ValidationFailed([_problem(code, field, **params)])


def find_user(username: str) -> User:
    """The user named ``username``; ``ValidationFailed`` (user_unknown) when there is none."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise _fail("user_unknown", "username", value=username)
    return user


def _forget_scope(user: User) -> None:
    user.__dict__.pop("_scope_paths", None)


# ---------------------------------------------------------------------------
# Who may manage whom


def _check_manager(actor: Actor | Any, user: User | None, regions: Iterable[Region],
                   problems: list[Problem]) -> None:
    """A signed-in administrator manages only the users of their regions and grants and
    revokes roles only over their regions (``selectors.managed_users``). Actors that
    are not users — the command line's ``cli:`` operator, system jobs — are not limited:
    whoever runs the commands runs the server."""
    if not isinstance(actor, User):
        return
    if user is not None and user.pk is not None and not may_manage(actor, user):
        problems.append(_problem("user_out_of_scope", "username", value=user.username))
    for region in regions:
        if not can(actor, Capability.MANAGE_USERS, region):
            problems.append(_problem("region_out_of_scope", "region", region=region.name))


def _require_manager(actor: Actor | Any, user: User, *regions: Region) -> None:
    problems: list[Problem] = []
    _check_manager(actor, user, regions, problems)
    if problems:
        raise ValidationFailed(problems)


# ---------------------------------------------------------------------------
# Users and roles


def _check_role(role: str, region_code: str, problems: list[Problem]) -> Region | None:
    if role not in Role.values:
        problems.append(_problem("role_unknown", "role", value=role,
                                 choices="、".join(f"{r.value}（{r.label}）" for r in Role)))
    try:
        region = resolve_region(region_code)
    except UnknownRegion:
        problems.append(_problem("region_unknown", "region", value=region_code))
        return None
    return region


#: Our wording for validator messages that Django's Chinese catalogue leaves in English.
_PASSWORD_MESSAGES = {
    "password_too_short": _("密码太短，至少要有{min_length}个字符"),
}


def _password_problems(password: str, user: User) -> list[Problem]:
    try:
        validate_password(password, user=user)
    except ValidationError as e:
        problems = []
        for error in e.error_list:
            text = _PASSWORD_MESSAGES.get(error.code or "")
            message = (str(text).format(**(error.params or {})) if text
                       else error.messages[0])
            problems.append(_problem("password_invalid", "password", value=message))
        return problems
    return []


def _role_event(user: User, role: str, region: Region, change: str) -> Event:
    return Event(AuditAction.PERMISSION, "user", str(user.pk), region_code=region.code,
                 data={"username": user.username, change: role, "region": region.code})


@transaction.atomic
def create_user(username: str, password: str, roles: Iterable[tuple[str, str]] = (), *,
                actor: Actor | Any) -> User:
    """Create an active user with ``roles`` (pairs of role and 6- or 12-digit region code).

    Raises ``ValidationFailed`` listing every problem: username (required, invalid,
    taken), roles and regions (unknown; for an administrator, outside their regions, or
    none at all), password (Django's validators).
    """
    username = username.strip()
    problems: list[Problem] = []
    if not username:
        problems.append(_problem("username_required", "username"))
    else:
        try:
            User.username_validator(username)
            if len(username) > 150:
                raise ValidationError("too long")
        except ValidationError:
            problems.append(_problem("username_invalid", "username"))
        if User.objects.filter(username=username).exists():
            problems.append(_problem("username_taken", "username", value=username))
    pairs = [(role, _check_role(role, code, problems)) for role, code in roles]
    if isinstance(actor, User) and not pairs:
        problems.append(_problem("role_required", "role"))
    _check_manager(actor, None, [region for _role, region in pairs if region is not None],
                   problems)
    problems += _password_problems(password, User(username=username))
    if problems:
        raise ValidationFailed(problems)
    user = User(username=username)
    user.set_password(password)
    user.save()
    assignments = [RoleAssignment(user=user, role=role, region=region)
                   for role, region in dict.fromkeys(pairs)]
    RoleAssignment.objects.bulk_create(assignments)
    events = [Event(AuditAction.CREATE, "user", str(user.pk), region_code=home_region_code(user),
                    data={"username": username})]
    events += [_role_event(user, a.role, a.region, "granted")
               for a in assignments]
    record_many(actor, events)
    return user


@transaction.atomic
def grant_role(user: User, role: str, region_code: str, *, actor: Actor | Any) -> RoleAssignment:
    """Give ``user`` ``role`` over the region and everything below it (nothing changes,
    and nothing is recorded, when the user already has it)."""
    problems: list[Problem] = []
    region = _check_role(role, region_code, problems)
    _check_manager(actor, user, [region] if region else [], problems)
    if problems:
        raise ValidationFailed(problems)
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, region=region)
    if created:
        record_many(actor, [_role_event(user, role, region, "granted")])
    _forget_scope(user)
    return assignment


@transaction.atomic
def revoke_role(user: User, role: str, region_code: str, *, actor: Actor | Any) -> None:
    """Take ``role`` over the region away from ``user``; ``ValidationFailed``
    (role_not_held) when the user does not have it, and for an administrator
    (last_role) when it is the user's only role: the account would belong to no region."""
    problems: list[Problem] = []
    region = _check_role(role, region_code, problems)
    _check_manager(actor, user, [region] if region else [], problems)
    if problems:
        raise ValidationFailed(problems)
    held = RoleAssignment.objects.filter(user=user, role=role, region=region)
    if not held.exists():
        raise _fail("role_not_held", "role", region=region.name, role=Role(role).label)
    if isinstance(actor, User) and not RoleAssignment.objects.filter(user=user).exclude(
            pk__in=held.values("pk")).exists():
        raise _fail("last_role", "role")
    held.delete()
    record_many(actor, [_role_event(user, role, region, "revoked")])
    _forget_scope(user)


@transaction.atomic
def set_password(user: User, password: str, *, actor: Actor | Any) -> None:
    """Change the password (checked by Django's validators). The user's other sessions end,
    since Django ties a session to the password hash."""
    problems: list[Problem] = []
    if not (isinstance(actor, User) and actor.pk == user.pk):  # one's own: change_own_password
        _check_manager(actor, user, [], problems)
    problems += _password_problems(password, user)
    if problems:
        raise ValidationFailed(problems)
    user.set_password(password)
    user.save(update_fields=["password"])
    record(actor, AuditAction.UPDATE, "user", user.pk, region_code=home_region_code(user),
           data={"username": user.username, "changed": ["password"]})


@transaction.atomic
def change_own_password(user: User, current: str, password: str) -> None:
    """A user's change of their own password: the current one first (a session left open
    is not enough to take an account over), then as ``set_password``."""
    if not user.check_password(current):
        raise _fail("password_wrong", "current_password")
    set_password(user, password, actor=user)


@transaction.atomic
def lock_user(user: User, *, actor: Actor | Any) -> None:
    """Lock the account until an administrator unlocks it: no sign-in, no API token, and
    its open sessions end at their next request (Django refuses inactive users)."""
    _require_manager(actor, user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    record(actor, AuditAction.UPDATE, "user", user.pk, region_code=home_region_code(user),
           data={"username": user.username, "changed": ["is_active"], "is_active": False})


@transaction.atomic
def unlock_user(user: User, *, actor: Actor | Any) -> None:
    """Lift a lock, an administrator's (``lock_user``) or a lock-out after failed
    sign-ins, and clear the count of failed sign-ins."""
    _require_manager(actor, user)
    changed = ["locked_until"] + ([] if user.is_active else ["is_active"])
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None, is_active=True)
    user.failed_logins, user.locked_until, user.is_active = 0, None, True
    record(actor, AuditAction.UPDATE, "user", user.pk, region_code=home_region_code(user),
           data={"username": user.username, "changed": changed})


# ---------------------------------------------------------------------------
# API tokens


class NewToken(NamedTuple):
    """A token just issued: the stored row and the token itself, which is shown once."""

    token: ApiToken
    key: str


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def create_token(user: User, name: str = "", expires_at: dt.datetime | None = None, *,
                 actor: Actor | Any) -> NewToken:
    """Issue an API token for ``user``. Only its SHA-256 is stored; ``NewToken.key`` is
    the one chance to read it."""
    _require_manager(actor, user)
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip()[:100], key_hash=_digest(key),
                                    prefix=key[:8], expires_at=expires_at)
    record(actor, AuditAction.PERMISSION, "api_token", token.pk,
           region_code=home_region_code(user),
           data={"username": user.username, "token": "issued", "prefix": token.prefix,
                 "name": token.name,
                 "expires_at": expires_at.isoformat() if expires_at else None})
    return NewToken(token, key)


@transaction.atomic
def revoke_token(token: ApiToken, *, actor: Actor | Any) -> None:
    """Revoke the token for good; ``ValidationFailed`` (token_revoked) when it already was."""
    _require_manager(actor, token.user)
    if not ApiToken.objects.filter(pk=token.pk, revoked=False).update(revoked=True):
        raise _fail("token_revoked", "token")
    token.revoked = True
    record(actor, AuditAction.PERMISSION, "api_token", token.pk,
           region_code=home_region_code(token.user),
           data={"username": token.user.username, "token": "revoked", "prefix": token.prefix})


def authenticate_token(raw: str) -> User | None:
    """The active user a bearer token belongs to, or None (unknown, revoked or expired
    token, inactive user). Marks the token used, at most once a minute."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (ApiToken.objects.select_related("user")
             .filter(key_hash=_digest(raw), revoked=False).first())
    now = timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token.user


# ---------------------------------------------------------------------------
# Signing in


def _client(request: HttpRequest | None) -> dict[str, str]:
    return {"ip": request.META.get("REMOTE_ADDR", "")} if request is not None else {}


def is_locked(user: User, now: dt.datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or timezone.now())


def _record_failure(username: str, reason: str, user: User | None,
                    request: HttpRequest | None, **extra: Any) -> None:
    throttle.count_failure(request, user)
    # The actor of a failed attempt is unknown: it is named for the username tried.
    record(Actor(name=username[:150] or "-"), AuditAction.LOGIN_FAILED, "user",
           user.pk if user else "", region_code=home_region_code(user) if user else "",
           data={"username": username[:150], "reason": reason, **_client(request), **extra})


@transaction.atomic
def _count_failure(user: User, reason: str, request: HttpRequest | None) -> None:
    """One more consecutive failure; the one that reaches the limit locks the account
    for ``YANGGUANG_LOGIN_LOCK_MINUTES`` and starts the count again."""
    row = User.objects.select_for_update().get(pk=user.pk)
    if row.locked_until is not None:
        # A lock that has run out starts a fresh count (the tries during it were
        # counted by ``_refuse``).
        row.failed_logins, row.locked_until = 0, None
    row.failed_logins += 1
    locked_until = None
    if row.failed_logins >= settings.YANGGUANG_LOGIN_MAX_FAILURES:
        locked_until = timezone.now() + dt.timedelta(minutes=settings.YANGGUANG_LOGIN_LOCK_MINUTES)
        row.failed_logins, row.locked_until = 0, locked_until
    row.save(update_fields=["failed_logins", "locked_until"])
    user.failed_logins, user.locked_until = row.failed_logins, row.locked_until
    _record_failure(user.username, reason, user, request,
                    **({"locked_until": locked_until.isoformat()} if locked_until else {}))


class AddressThrottled(Exception):
    """Too many failed sign-ins from the client's address: it may try again in
    ``seconds`` (``accounts.throttle``); no password was checked."""

    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


class AccountLocked(Exception):
    """The right password of an account that may not sign in now: locked after failed
    sign-ins until ``until``, or (``until`` None) locked by an administrator."""

    def __init__(self, until: dt.datetime | None):
        super().__init__(until)
        self.until = until


def _lock_holds(user: User, request: HttpRequest | None) -> bool:
    """Whether a lock after failed sign-ins holds for this request's address."""
    return throttle.failed_against(user, request) or throttle.lock_holds_for_everyone(user)


def check_password_login(request: HttpRequest | None, username: str, password: str) -> User | None:
    """The first step of signing in: the user whose password this is, or None.

    None covers an unknown username and a wrong password — callers show one message
    for both, so nobody learns which usernames exist. A wrong password counts towards
    the lock-out. Every failure is recorded (the username tried, never the password);
    success is recorded by ``complete_login``.

    A locked or inactive account raises ``AccountLocked``, but only for its right
    password (see ``_refuse``), so that the lock is no oracle for usernames. A lock
    after failed sign-ins holds for the addresses that failed: the right password
    from another one signs in (``accounts.throttle``). ``AddressThrottled`` when the
    client's address must wait after too many failures.
    """
    wait = throttle.wait_seconds(request)
    if wait:
        raise AddressThrottled(wait)
    known = User.objects.filter(username=username).first()
    if known is not None and (is_locked(known) or not known.is_active):
        if known.is_active and not _lock_holds(known, request) and known.check_password(password):
            return known  # the owner, from an address that did not cause the lock
        _refuse(request, known, password)
        return None
    user = authenticate(request, username=username, password=password)
    if user is not None:
        return user
    if known is None:
        _record_failure(username, "unknown_user", None, request)
    else:
        _count_failure(known, "password", request)
    return None


def _refuse(request: HttpRequest | None, user: User, password: str) -> None:
    """A sign-in to a locked or inactive account: refused whatever the password, and
    ``AccountLocked`` for the right one, so that its owner learns why and until when.

    Only the right password tells, so the message says nothing about which usernames
    exist. It does tell a guesser that a guess was right; so the tries during a lock
    count, and once they reach ``YANGGUANG_LOGIN_MAX_FAILURES`` no password is checked
    until the lock ends: a lock-out gives at most as many more tries as led to it.
    """
    reason = "locked" if user.is_active else "inactive"
    if user.failed_logins < settings.YANGGUANG_LOGIN_MAX_FAILURES:
        right = user.check_password(password)
    else:
        User().set_password(password)  # the same work as a check: the time tells nothing
        right = False
    if right:
        _record_failure(user.username, reason, user, request, password="right")
        raise AccountLocked(user.locked_until if user.is_active else None)
    User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
    _record_failure(user.username, reason, user, request)


def check_totp_login(request: HttpRequest | None, user: User, code: str) -> bool:
    """The second step: whether ``code`` is the user's current one-time code (and has not
    been used). A wrong code counts towards the lock-out like a wrong password."""
    user.refresh_from_db(fields=["locked_until", "failed_logins", "totp_secret", "totp_enabled",
                                 "totp_last_step", "is_active"])
    if not user.is_active or (is_locked(user) and _lock_holds(user, request)):
        _record_failure(user.username, "locked" if user.is_active else "inactive", user, request)
        return False
    if user.totp_enabled and _accept_code(user, totp.unseal(user.totp_secret), code):
        return True
    _count_failure(user, "totp", request)
    return False


def _accept_code(user: User, secret: str, code: str) -> bool:
    step = totp.matching_step(secret, code)
    # The conditional update makes each code good once, even between two requests at once.
    if step is None or not User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(
            totp_last_step=step):
        return False
    user.totp_last_step = step
    return True


@transaction.atomic
def complete_login(request: HttpRequest | None, user: User, *, method: str) -> None:
    """Record a successful sign-in (``method``: "password" or "password+totp") and clear
    the count of failures. The caller then calls ``django.contrib.auth.login``."""
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    user.failed_logins, user.locked_until = 0, None
    record(user, AuditAction.LOGIN, "user", user.pk, region_code=home_region_code(user),
           data={"method": method, **_client(request)})


# ---------------------------------------------------------------------------
# One-time codes


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the QR code, the secret for typing by hand, and the
    sealed secret to keep (in the session) until the user confirms a code."""

    sealed: str
    secret: str
    uri: str
    qr_svg: str


def start_totp_enrolment(user: User, *, sealed: str | None = None) -> Enrolment:
    """A new secret for ``user`` (or the one already offered, ``sealed``). Nothing is saved
    until ``confirm_totp`` accepts a code made from it."""
    secret = totp.unseal(sealed) if sealed else totp.new_secret()
    uri = totp.provisioning_uri(secret, user.get_username())
    return Enrolment(sealed=sealed or totp.seal(secret), secret=secret, uri=uri,
                     qr_svg=totp.qr_svg(uri, str(_("动态口令二维码"))))


@transaction.atomic
def confirm_totp(user: User, sealed: str, code: str, *, actor: Actor | Any) -> None:
    """Turn one-time codes on for ``user`` with the offered secret, once the user shows a
    code made from it; ``ValidationFailed`` (totp_code) otherwise."""
    if not _accept_code(user, totp.unseal(sealed), code):
        raise _fail("totp_code", "code")
    User.objects.filter(pk=user.pk).update(totp_secret=sealed, totp_enabled=True)
    user.totp_secret, user.totp_enabled = sealed, True
    record(actor, AuditAction.UPDATE, "user", user.pk, region_code=home_region_code(user),
           data={"username": user.username, "changed": ["totp_enabled"], "totp_enabled": True})


@transaction.atomic
def reset_totp(user: User, *, actor: Actor | Any) -> None:
    """Turn one-time codes off (a lost phone); the user enrols again at the next sign-in
    if their role requires it."""
    User.objects.filter(pk=user.pk).update(totp_secret="", totp_enabled=False)
    user.totp_secret, user.totp_enabled = "", False
    record(actor, AuditAction.UPDATE, "user", user.pk, region_code=home_region_code(user),
           data={"username": user.username, "changed": ["totp_enabled"], "totp_enabled": False})
