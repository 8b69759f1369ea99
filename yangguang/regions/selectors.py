"""Reads of the region tree.

Regions are public reference data, so these reads need no user scope; the scope
filter in ``accounts`` uses :func:`subtree` to turn a user's regions into querysets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from yangguang.regions.catalog import normalize_code
from yangguang.regions.models import Region, RegionLevel


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


def path_labels(regions: Iterable[Region], *, top: int = RegionLevel.COUNTY) -> dict[str, str]:
    """Each region's names from level ``top`` down to itself, by code: with the default,
    ``五台县 · 台城镇 · 西米市社区`` (a village's name alone is ambiguous in a province).
    A region above ``top`` is its own name. One query for all of them (a page)."""
    chains = {region.code: region.path.rstrip("/").split("/")[top - 1:] or [region.code]
              for region in regions}
    codes = {prefix.ljust(12, "0") for chain in chains.values() for prefix in chain}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return {code: " · ".join(names.get(prefix.ljust(12, "0"), prefix) for prefix in chain)
            for code, chain in chains.items()}


#: At most this many regions answer a lookup by name: a picker lists them all.
LOOKUP_LIMIT = 20


@dataclass(frozen=True)
class RegionMatch:
    """A region found by ``find_regions``, with the names from its province down."""

    code: str
    name: str
    level: int
    path_names: tuple[str, ...]

    @property
    def input_code(self) -> str:
        """The code a person types: the 6-digit one down to the county, else all 12."""
        return self.code[:6] if self.code.endswith("000000") else self.code

    @property
    def path_label(self) -> str:
        """``山西省 · 忻州市 · 五台县 · 东冶镇``."""
        return " · ".join(self.path_names)


def find_regions(text: str, *, limit: int = LOOKUP_LIMIT) -> list[RegionMatch]:
    """Current regions whose name contains ``text`` (exact names first, then names
    starting with it, higher levels before lower), or whose code starts with it when
    ``text`` is digits; each with the names of its path, so that two 东冶镇 in two
    counties can be told apart."""
    text = text.strip()
    if not text:
        return []
    regions = Region.objects.filter(valid_until__isnull=True)
    if text.isdigit():
        found = list(regions.filter(code__startswith=text[:12]).order_by("level", "code")[:limit])
    else:
        found = list(regions.filter(name__contains=text).annotate(rank=Case(
            When(name=text, then=Value(0)), When(name__startswith=text, then=Value(1)),
            default=Value(2))).order_by("rank", "level", "code")[:limit])
    codes = {prefix.ljust(12, "0") for region in found
             for prefix in region.path.rstrip("/").split("/")}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return [RegionMatch(code=region.code, name=region.name, level=region.level,
                        path_names=tuple(names.get(p.ljust(12, "0"), p)
                                         for p in region.path.rstrip("/").split("/")))
            for region in found]
