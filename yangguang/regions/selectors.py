"""Reads of the region tree.

Regions are public reference data, so these reads need no user scope; the scope
filter in ``accounts`` uses :func:`subtree` to turn a user's regions into querysets.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from yangguang.regions.catalog import normalize_code
from yangguang.regions.models import Region


class UnknownRegion(Region.DoesNotExist):
    """No region has this code (or the code is malformed)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(_("未知的行政区划代码：%(code)s") % {"code": code})


def resolve_region(code: str) -> Region:
    """The region with a 6-digit GB/T 2260 or 12-digit statistical code.

    A 6-digit code is padded with zeros (630102 → 630102000000), so province and
    prefecture codes (630000, 630100) resolve too, as do historical codes.
    Raises :class:`UnknownRegion` otherwise.
    """
    normalized = normalize_code(code) if len(code.strip()) in (6, 12) else None
    if normalized is None:
        raise UnknownRegion(code)
    try:
        return Region.objects.get(code=normalized)
    except Region.DoesNotExist:
        raise UnknownRegion(code) from None


def subtree(
    region: Region | str, *, include_self: bool = True, current_only: bool = False,
) -> QuerySet[Region]:
    """The region and everything below it (one indexed prefix match on ``path``)."""
    root = region if isinstance(region, Region) else resolve_region(region)
    regions = Region.objects.filter(path__startswith=root.path)
    if not include_self:
        regions = regions.exclude(code=root.code)
    if current_only:
        regions = regions.filter(valid_until__isnull=True)
    return regions


def ancestors(region: Region, *, include_self: bool = False) -> QuerySet[Region]:
    """The regions above ``region``, province first."""
    prefixes = region.path.rstrip("/").split("/")
    if not include_self:
        prefixes = prefixes[:-1]
    codes = [p.ljust(12, "0") for p in prefixes]
    return Region.objects.filter(code__in=codes).order_by("level")
