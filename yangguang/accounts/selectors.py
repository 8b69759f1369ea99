"""The one scope filter. Every list, detail, search, export, API call and background
job that reads persons goes through ``scope_q`` (or ``can`` for one region): a person
outside the user's regions does not exist for that user.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

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


def managed_users(user: Any) -> QuerySet[User]:
    """The accounts ``user`` administers: those holding a role in one of the user's
    administrator regions, and those holding no role yet (waiting for one)."""
    paths = scope_paths(user, Capability.MANAGE_USERS)
    if not paths:
        return User.objects.none()
    in_scope = Q()
    for path in paths:
        in_scope |= Q(region__path__startswith=path)
    return User.objects.filter(
        Q(pk__in=RoleAssignment.objects.filter(in_scope).values("user_id")) | Q(roles__isnull=True)
    ).distinct()


def locked_users_count(user: Any) -> int:
    """Accounts ``user`` administers that are locked now (too many failed sign-ins)."""
    return managed_users(user).filter(locked_until__gt=timezone.now()).count()
