"""The one scope filter. Every list, detail, search, export, API call and background
job that reads persons goes through ``scope_q`` (or ``can`` for one region): a person
outside the user's regions does not exist for that user.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.models import RoleAssignment, User
from yangguang.accounts.permissions import Capability, roles_with
from yangguang.regions.models import Region, code_prefix


def scope_paths(user: Any, capability: str) -> list[str]:
    """The region paths (``63/6301/``) under which ``user`` holds ``capability``.

    Paths nested in another are dropped, so the list is minimal. The user's roles are
    read once per user object (one query per request, whatever the page asks).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cache = user.__dict__.setdefault("_scope_paths", {})
    if capability not in cache:
        if "" not in cache:  # every (role, region path) the user holds
            cache[""] = list(RoleAssignment.objects.filter(user=user)
                             .values_list("role", "region__path"))
        roles = set(roles_with(capability))
        paths = sorted({path for role, path in cache[""] if role in roles})
        minimal: list[str] = []
        for path in paths:
            if not any(path.startswith(kept) for kept in minimal):
                minimal.append(path)
        cache[capability] = minimal
    return cache[capability]


def scope_prefixes(user: Any, capability: str) -> list[str]:
    """The region code prefixes (``6301``) under which ``user`` holds ``capability``."""
    return [code_prefix(path) for path in scope_paths(user, capability)]


def scope_q(user: Any, capability: str, *, region_field: str = "hukou_region") -> Q:
    """A filter keeping rows whose ``region_field`` lies in the user's scope.

    A region's subtree is a prefix of its code (``regions.models.code_prefix``), so
    this filters the foreign key's own column, ``hukou_region_id LIKE '6301%'``: no
    join with the region table, and the person indexes that start with the region
    serve it. Matches nothing when the user has no such scope.
    """
    prefixes = scope_prefixes(user, capability)
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for prefix in prefixes:
        q |= Q(**{f"{region_field}__code__startswith": prefix})
    return q


def can(user: Any, capability: str, region: Region | str | None = None) -> bool:
    """Whether ``user`` holds ``capability`` anywhere (region None) or over ``region``."""
    paths = scope_paths(user, capability)
    if region is None:
        return bool(paths)
    path = region.path if isinstance(region, Region) else Region.objects.get(code=region).path
    return any(path.startswith(p) for p in paths)


def scope_regions(user: Any, capability: str) -> list[Region]:
    """The top regions of the user's scope, for pickers and home pages."""
    paths = scope_paths(user, capability)
    return list(Region.objects.filter(path__in=paths).order_by("code"))


def home_region_code(user: Any) -> str:
    """The 12-digit code of the lowest region containing all of the user's roles
    ("" when the user has no role, or roles in several provinces). Audit events about a
    user carry it, so that the auditors of that region see them."""
    paths = list(RoleAssignment.objects.filter(user=user).values_list("region__path", flat=True))
    common: list[str] = []
    for parts in zip(*(p.strip("/").split("/") for p in paths), strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return common[-1].ljust(12, "0") if common else ""


def totp_required(user: Any) -> bool:
    """Whether the user holds a role that must sign in with a one-time code
    (``settings.YANGGUANG_REQUIRE_TOTP_FOR``)."""
    roles = settings.YANGGUANG_REQUIRE_TOTP_FOR
    return bool(roles) and RoleAssignment.objects.filter(user=user, role__in=roles).exists()


def managed_users(admin: Any) -> QuerySet[User]:
    """The users ``admin`` may manage: those whose every role lies in a region where
    ``admin`` holds ``manage_users`` (an administrator manages the staff of their
    regions). A user without any role belongs to no region: administrators of a whole
    province manage them, as auditors of a whole province see events without a region.
    An administrator's own account is not among them (their own page serves it)."""
    paths = scope_paths(admin, Capability.MANAGE_USERS)
    if not paths:
        return User.objects.none()
    inside = Q()
    for path in paths:
        inside |= Q(region__code__startswith=code_prefix(path))
    outside = RoleAssignment.objects.exclude(inside).values("user_id")
    users = User.objects.exclude(pk__in=outside).exclude(pk=admin.pk)
    if not any(path.count("/") == 1 for path in paths):
        users = users.filter(pk__in=RoleAssignment.objects.values("user_id"))
    return users


def locked_users_count(admin: Any) -> int:
    """Accounts ``admin`` manages that are locked now: by an administrator, or after too
    many failed sign-ins."""
    return managed_users(admin).filter(Q(is_active=False)
                                       | Q(locked_until__gt=timezone.now())).count()


def may_manage(admin: Any, user: Any) -> bool:
    """Whether ``admin`` may manage ``user`` (``managed_users``)."""
    return user.pk is not None and managed_users(admin).filter(pk=user.pk).exists()


def account_state(user: Any, now: dt.datetime | None = None) -> str:
    """How the account stands, in words: 正常, 已锁定 (by an administrator, until
    unlocked) or 锁定至… (after too many failed sign-ins)."""
    if not user.is_active:
        return str(_("已锁定"))
    if user.locked_until is not None and user.locked_until > (now or timezone.now()):
        return str(_("锁定至{time}")).format(
            time=timezone.localtime(user.locked_until).strftime("%Y-%m-%d %H:%M"))
    return str(_("正常"))
