"""Reads of surveys, always through the user's scope (``accounts.selectors.scope_q``).

Completion counts persons certified in the year (``rules.certified_q``, the rule the
import and the form check) under a region, by child region down to the village, with
those who have the year's survey and those who do not yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from yangguang.accounts.permissions import Capability
from yangguang.regions.models import Region, RegionLevel
from yangguang.registry.models import Person
from yangguang.registry.selectors import persons_visible_to
from yangguang.survey import rules
from yangguang.survey.models import AnnualSurvey

#: Length of a region's significant code prefix, by level (``Region.short_code``).
_PREFIX = {RegionLevel.PROVINCE: 2, RegionLevel.PREFECTURE: 4, RegionLevel.COUNTY: 6,
           RegionLevel.TOWNSHIP: 9, RegionLevel.VILLAGE: 12}


def current_year() -> int:
    return timezone.localdate().year


def certified_in(user: Any, year: int, region: Region | None = None,
                 capability: str = Capability.VIEW_PERSON) -> QuerySet[Person]:
    """Persons within ``user``'s scope (and under ``region``) certified in ``year``."""
    persons = persons_visible_to(user, capability).filter(rules.certified_q(year))
    if region is not None:
        persons = persons.filter(hukou_region__code__startswith=region.short_code)
    return persons


def _surveyed(year: int) -> Exists:
    return Exists(AnnualSurvey.objects.filter(person=OuterRef("pk"), year=year))


def not_surveyed(user: Any, year: int, region: Region | None = None,
                 capability: str = Capability.VIEW_PERSON) -> QuerySet[Person]:
    """Persons certified in ``year`` whose survey of that year is not recorded."""
    return certified_in(user, year, region, capability).exclude(_surveyed(year))


def not_surveyed_count(user: Any) -> int:
    """This year's persons not yet surveyed, in the user's scope (the home page's count)."""
    return not_surveyed(user, current_year()).count()


@dataclass
class CompletionRow:
    code: str  # the 12-digit code of the region the row counts
    region: Region | None  # None: persons recorded at the parent itself
    certified: int = 0
    surveyed: int = 0

    @property
    def remaining(self) -> int:
        return self.certified - self.surveyed

    @property
    def percent(self) -> str:
        return f"{100 * self.surveyed / self.certified:.1f}" if self.certified else "—"


@dataclass
class Completion:
    region: Region
    year: int
    rows: list[CompletionRow] = field(default_factory=list)
    total: CompletionRow | None = None
    drill_down: bool = False


def completion(user: Any, region: Region, year: int) -> Completion:
    """Certified, surveyed and not yet, for ``region`` and each of its child regions
    (current ones, and any a person is still recorded in): one grouped query."""
    child_length = _PREFIX.get(region.level + 1) if region.level < RegionLevel.VILLAGE else None
    persons = certified_in(user, year, region).annotate(surveyed=_surveyed(year))
    total = CompletionRow(region.code, region)
    by_child: dict[str, CompletionRow] = {}
    if child_length:
        groups = (persons.annotate(child=Substr("hukou_region_id", 1, child_length))
                  .values_list("child", "surveyed").annotate(n=Count("id")).order_by())
    else:
        groups = ((region.code, s, n) for s, n in
                  persons.values_list("surveyed").annotate(n=Count("id")).order_by())
    for child, surveyed, n in groups:
        total.certified += n
        total.surveyed += n if surveyed else 0
        if child_length:
            row = by_child.setdefault(child, CompletionRow(child.ljust(12, "0"), None))
            row.certified += n
            row.surveyed += n if surveyed else 0
    rows: list[CompletionRow] = []
    if child_length:
        children = {r.code: r for r in Region.objects.filter(
            Q(parent=region, valid_until__isnull=True)
            | Q(code__in=[row.code for row in by_child.values()]))}
        own_code = region.code[:child_length]
        for code, child in sorted(children.items()):
            if code == region.code:
                continue
            row = by_child.pop(code[:child_length], None) or CompletionRow(code, None)
            row.region = child
            rows.append(row)
        own = by_child.pop(own_code, None)
        if own is not None:
            rows.append(own)
    return Completion(region, year, rows, total, drill_down=child_length is not None)


def not_surveyed_rows(user: Any, year: int, region: Region, capability: str = Capability.EXPORT,
                      ) -> Iterator[tuple[Any, ...]]:
    """(encrypted ID, name, hukou region, phone) of the persons not yet surveyed, by id."""
    return (not_surveyed(user, year, region, capability).order_by("pk")
            .values_list("id_number_encrypted", "name", "hukou_region_id", "phone")
            .iterator(chunk_size=2000))


def not_surveyed_page(user: Any, year: int, region: Region, limit: int = 50) -> list[Person]:
    return list(not_surveyed(user, year, region).select_related("hukou_region")
                .order_by("pk")[:limit])


def surveys_of(user: Any, person: Person) -> list[AnnualSurvey]:
    """The person's surveys, latest first (``person`` found through the user's scope)."""
    return list(AnnualSurvey.objects.filter(
        person__in=persons_visible_to(user).filter(pk=person.pk).values("pk")).order_by("-year"))


def survey_of(user: Any, person: Person, year: int) -> AnnualSurvey | None:
    return next((s for s in surveys_of(user, person) if s.year == year), None)


def last_before(user: Any, person: Person, year: int) -> AnnualSurvey | None:
    """The person's latest survey before ``year`` (what the form starts from)."""
    return next((s for s in surveys_of(user, person) if s.year < year), None)
