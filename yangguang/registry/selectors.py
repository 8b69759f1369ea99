"""Reads of the registry, always through the user's scope.

Every function takes the user and filters with ``accounts.selectors.scope_q``: a
person outside the user's regions is not found (``get_person_for`` answers 404, as
for a person that does not exist, so a page never tells which IDs are registered
elsewhere).

Searches are built for a province of millions on PostgreSQL: exact ID and
certificate lookups go through the keyed hash (unique index); names match by prefix
and regions (the scope too) by a prefix of the hukou region code, both served by the
covering indexes ``(region, name, id)`` and ``(name, region, id)`` (see
``Person.Meta``); pages are cut by ``id`` (keyset pagination: no OFFSET, no full
count), their ids found through the index before the rows are read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_paths, scope_prefixes, scope_q
from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.core.crypto import hash_id, mask_id
from yangguang.core.errors import ValidationFailed
from yangguang.regions.models import Region, RegionLevel
from yangguang.regions.selectors import path_labels, resolve_region
from yangguang.registry import rules, validation
from yangguang.registry.models import (
    Category,
    Certificate,
    CertificateStatus,
    HouseholdStatus,
    ImportJob,
    Level,
    Person,
)

PAGE_SIZE = 25
#: Counting stops here: "more than 10,000" is all a search page needs to say.
COUNT_LIMIT = 10_000
#: Search by state: a certificate status, or the person's death.
DECEASED = "deceased"
#: Length of a region's significant code prefix, by level (``Region.short_code``).
_SHORT_CODE_LENGTH = {RegionLevel.PROVINCE: 2, RegionLevel.PREFECTURE: 4, RegionLevel.COUNTY: 6,
                      RegionLevel.TOWNSHIP: 9, RegionLevel.VILLAGE: 12}


def persons_visible_to(user: Any, capability: str = Capability.VIEW_PERSON) -> QuerySet[Person]:
    """The persons whose hukou region lies where ``user`` holds ``capability``."""
    return Person.objects.filter(scope_q(user, capability))


def person_by_id_number(id_number: str) -> Person | None:
    """The person registered with this ID number, whatever their region, or None (also
    for a malformed number). Unscoped: for a service that checks more than the number
    before it acts (an application lodged at the county of usual residence gives the
    number and the name); never shown as found."""
    try:
        parsed = validation.parse_id_number(id_number)
    except ValidationFailed:
        return None
    return (Person.objects.select_related("hukou_region")
            .filter(id_number_hash=hash_id(parsed.normalized)).first())


def person_by_id_number_and_name(id_number: str, name: str) -> Person | None:
    """The registered person with this ID number and this name, or None whether the
    number or the name is wrong (so the number alone finds nobody): how a county of
    usual residence, which does not see persons registered elsewhere, names the
    applicant of a 跨省通办 application (certificates, benefits)."""
    person = person_by_id_number(id_number)
    if person is None or person.name != " ".join(str(name).split()):
        return None
    return person


def get_person_for(user: Any, pk: Any, capability: str = Capability.VIEW_PERSON) -> Person:
    """The person ``pk`` if ``user`` holds ``capability`` over their hukou region; else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    person = (persons_visible_to(user, capability)
              .select_related("hukou_region", "residence_region", "household")
              .filter(pk=pk).first())
    if person is None:
        raise Http404
    return person


def get_certificate_for(user: Any, pk: Any, capability: str) -> Certificate:
    """The certificate ``pk`` if ``user`` holds ``capability`` over its holder; else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    certificate = (Certificate.objects.select_related("person", "person__hukou_region")
                   .filter(pk=pk, person__in=persons_visible_to(user, capability).values("pk"))
                   .first())
    if certificate is None:
        raise Http404
    return certificate


def _id_hash(text: str) -> str | None:
    try:
        return hash_id(validation.parse_id_number(text).normalized)
    except ValidationFailed:
        return None


def search_persons(user: Any, *, name: str = "", id_number: str = "",
                   certificate_number: str = "", region: Region | str | None = None,
                   category: int | None = None, level: int | None = None, status: str = "",
                   capability: str = Capability.VIEW_PERSON) -> QuerySet[Person]:
    """Persons in ``user``'s scope matching every criterion given, ordered by ``id``.

    ``name`` matches any part of the name (「萍英」 finds 张萍英); ``id_number`` (18 or 15 digits, any
    spacing) and ``certificate_number`` match exactly; ``region`` (a Region or a 6-
    or 12-digit code) keeps its subtree; ``category``, ``level`` and ``status`` (a
    certificate status, or ``"deceased"``) look at the person's certificate that is
    not cancelled — with status ``cancelled``, at a cancelled one of a person who has
    no other. A malformed ID or certificate number matches nobody.
    """
    persons = persons_visible_to(user, capability)
    name = " ".join(name.split())
    if name:
        persons = _name_contains(persons, name)
    if id_number.strip():
        digest = _id_hash(id_number)
        if digest is None:
            return persons.none()
        persons = persons.filter(id_number_hash=digest)
    if certificate_number.strip():
        parts = validation.split_certificate_number(certificate_number)
        digest = _id_hash(parts[0]) if parts else None
        if digest is None:
            return persons.none()
        _id, number_category, number_level, reissue = parts
        persons = persons.filter(id_number_hash=digest).filter(Exists(Certificate.objects.filter(
            person=OuterRef("pk"), category=number_category, level=number_level,
            reissue_count=reissue,
        )))
    if region is not None:
        root = region if isinstance(region, Region) else resolve_region(region)
        persons = persons.filter(hukou_region__code__startswith=root.short_code)
    certificate = {k: v for k, v in (("category", category), ("level", level)) if v}
    if status == DECEASED:
        persons = persons.filter(deceased_date__isnull=False)
    elif status == CertificateStatus.CANCELLED:
        open_certificates = Certificate.objects.filter(person=OuterRef("pk")).exclude(
            status=CertificateStatus.CANCELLED)
        persons = persons.exclude(Exists(open_certificates)).filter(Exists(
            Certificate.objects.filter(person=OuterRef("pk"), status=status, **certificate)))
        certificate = {}
    elif status:
        certificate["status"] = status
    if certificate:
        persons = persons.filter(Exists(
            Certificate.objects.filter(person=OuterRef("pk"), **certificate)
            .exclude(status=CertificateStatus.CANCELLED)))
    paths = [root.path] if region is not None else scope_paths(user, capability)
    if name or (paths and all(path.count("/") >= 3 for path in paths)):
        # Find the matches through an index (name, region, id or region, name, id:
        # index-only scans) and sort them: ordering by the bare id would tempt
        # PostgreSQL to walk every id in the country until the page fills, which is
        # slow when the matches' ids lie together (a county imported in one go).
        return persons.order_by(BY_ID_AFTER_FILTERING)
    return persons.order_by("id")


class _NameCharacters(Func):
    """A name as the array of its characters: the expression of PostgreSQL's
    ``person_name_characters`` index (registry migration 0008)."""

    function = "regexp_split_to_array"
    output_field = ArrayField(TextField())

    def __init__(self, expression: Any) -> None:
        super().__init__(expression, Value(""))


def _name_contains(persons: QuerySet[Person], part: str) -> QuerySet[Person]:
    """The persons whose name contains ``part``. On PostgreSQL the index of names'
    characters first keeps the names that have every character of ``part`` (few, for
    a part of two characters or more); LIKE then checks the order."""
    persons = persons.filter(name__contains=part)
    if connection.vendor == "postgresql":
        persons = persons.alias(name_characters=_NameCharacters("name")).filter(
            name_characters__contains=list(dict.fromkeys(part)))
    return persons


#: Orders by id without letting the database walk the primary-key index to do it.
BY_ID_AFTER_FILTERING = ExpressionWrapper(F("id") + 0, output_field=BigIntegerField())


def _id_order(persons: QuerySet[Person], *, descending: bool = False) -> Any:
    """The id ordering ``persons`` came with (``search_persons`` picks it), either way."""
    key = persons.query.order_by[0] if persons.query.order_by else "id"
    if isinstance(key, str):
        return "-id" if descending else "id"
    return key.desc() if descending else key.asc()


def with_display(persons: QuerySet[Person]) -> QuerySet[Person]:
    """``persons`` with what a list shows: the hukou region and ``open_certificates``."""
    return persons.select_related("hukou_region").prefetch_related(Prefetch(
        "certificates", queryset=Certificate.objects.exclude(status=CertificateStatus.CANCELLED),
        to_attr="open_certificates",
    ))


def label_hukou_paths(persons: list[Person]) -> list[Person]:
    """``persons``, each with ``hukou_path``: 县 · 乡镇 · 村 of their hukou region, which a
    list and the person page show (a village's name alone is ambiguous in a province)."""
    labels = path_labels(person.hukou_region for person in persons)
    for person in persons:
        person.hukou_path = labels[person.hukou_region.code]
    return persons


@dataclass
class Page:
    items: list[Person]
    after: int | None = None  # the next page starts after this id
    before: int | None = None  # the previous page ends before this id


def _ids(persons: QuerySet[Person], limit: int, *, descending: bool = False) -> list[int]:
    """The first ``limit`` ids of ``persons`` in their id order: only ids, so that
    PostgreSQL can answer from the search indexes alone (index-only scan)."""
    return list(persons.order_by(_id_order(persons, descending=descending))
                .values_list("id", flat=True)[:limit])


def _rows(persons: QuerySet[Person], ids: list[int]) -> list[Person]:
    """The persons with ``ids``, in that order (``persons`` brings what a page shows)."""
    by_id = {p.id: p for p in persons.filter(id__in=ids)} if ids else {}
    return [by_id[i] for i in ids]


def page_of(persons: QuerySet[Person], *, after: int | None = None, before: int | None = None,
            size: int = PAGE_SIZE) -> Page:
    """One page of ``persons`` (ordered by id) after or before an id, with the ids that
    link to the neighbouring pages (None where there is none).

    The page's ids are found first and the rows read by id after: sorting whole rows
    would read every match from the table, not only the 25 shown."""
    if before is not None:
        ids = _ids(persons.filter(id__lt=before), size + 1, descending=True)
        more = len(ids) > size
        ids = ids[:size][::-1]
        return Page(_rows(persons, ids), after=ids[-1] if ids else None,
                    before=ids[0] if more else None)
    ids = _ids(persons.filter(id__gt=after) if after else persons, size + 1)
    more = len(ids) > size
    ids = ids[:size]
    earlier = bool(after and ids and _ids(persons.filter(id__lt=ids[0]), 1, descending=True))
    return Page(_rows(persons, ids), after=ids[-1] if more else None,
                before=ids[0] if earlier else None)


def count_capped(persons: QuerySet[Person], limit: int = COUNT_LIMIT) -> tuple[int, bool]:
    """How many ``persons`` there are, counting no further than ``limit``: (count, capped)."""
    count = persons.order_by()[: limit + 1].count()
    return min(count, limit), count > limit


# ---------------------------------------------------------------------------
# One person


def household_members(user: Any, person: Person) -> list[Person]:
    """The other members of the person's household that ``user`` may see."""
    if person.household_id is None:
        return []
    return list(persons_visible_to(user).filter(household_id=person.household_id)
                .exclude(pk=person.pk).order_by("id"))


def household_statuses(user: Any, person: Person) -> list[HouseholdStatus]:
    """The economic statuses of the person's household, if its region lies in ``user``'s
    ``view_person`` scope: a household's data is its region's, whoever names it."""
    household = person.household
    if household is None or not household.region_id.startswith(
            tuple(scope_prefixes(user, Capability.VIEW_PERSON))):
        return []
    return list(household.statuses.all())


def certificates_of(person: Person) -> list[Certificate]:
    """The person's certificates, newest first, with their status history."""
    return list(person.certificates.prefetch_related("history").order_by("-issue_date", "-id"))


def timeline_events(person: Person, limit: int = 200) -> list[AuditEvent]:
    """What happened to the person, newest first (page views left out: auditors see them)."""
    return list(AuditEvent.objects.filter(person_id=person.pk).exclude(action=AuditAction.VIEW)
                .order_by("-id")[:limit])


def recent_imports(user: Any, limit: int = 5) -> list[ImportJob]:
    return list(ImportJob.objects.filter(user=user).select_related("job")
                .order_by("-created_at")[:limit])


# ---------------------------------------------------------------------------
# Counts by region


def _certified(user: Any, capability: str, region: Region) -> QuerySet[Certificate]:
    """Valid certificates of living persons under ``region`` within ``user``'s scope."""
    return (Certificate.objects
            .filter(status=CertificateStatus.VALID, person__deceased_date__isnull=True,
                    person__hukou_region__code__startswith=region.short_code)
            .filter(scope_q(user, capability, region_field="person__hukou_region")))


def certified_count(user: Any, region: Region,
                    capability: str = Capability.VIEW_STATISTICS) -> int:
    """Living persons with a valid certificate under ``region`` (within scope)."""
    return _certified(user, capability, region).count()


@dataclass
class RegionRow:
    code: str  # the 12-digit code of the region the row counts
    region: Region | None  # None: persons recorded at the parent itself
    total: int = 0
    by_category: dict[int, int] = field(default_factory=dict)

    def cells(self) -> list[int]:
        return [self.by_category.get(c, 0) for c in Category.values]


@dataclass
class RegionCounts:
    region: Region
    rows: list[RegionRow]  # one per child region (and one for the region itself, if used)
    total: int
    by_category: dict[int, int]
    by_category_level: dict[tuple[int, int], int]
    drill_down: bool  # whether the child rows link further down

    def category_cells(self) -> list[int]:
        return [self.by_category.get(c, 0) for c in Category.values]

    def matrix(self) -> list[tuple[int, str, list[int], int]]:
        """(category, its label, counts by level 1–4, row total) for the region."""
        result = []
        for category, label in Category.choices:
            cells = [self.by_category_level.get((category, level), 0) for level in Level.values]
            result.append((category, label, cells, sum(cells)))
        return result

    def level_totals(self) -> list[int]:
        return [sum(n for (_c, level), n in self.by_category_level.items() if level == lv)
                for lv in Level.values]


def region_counts(user: Any, region: Region,
                  capability: str = Capability.VIEW_STATISTICS) -> RegionCounts:
    """Living persons with a valid certificate under ``region``, by child region and
    category, and by category and level: one grouped query over the subtree."""
    child_length = _SHORT_CODE_LENGTH.get(region.level + 1) if region.level < 5 else None
    certified = _certified(user, capability, region)
    by_category: dict[int, int] = {}
    by_category_level: dict[tuple[int, int], int] = {}
    by_child: dict[str, RegionRow] = {}
    if child_length:
        certified = certified.annotate(child=Substr("person__hukou_region_id", 1, child_length))
        groups = certified.values_list("child", "category", "level").annotate(n=Count("id"))
    else:
        groups = ((region.code, c, lv, n) for c, lv, n in
                  certified.values_list("category", "level").annotate(n=Count("id")))
    for child, category, level, n in groups:
        by_category[category] = by_category.get(category, 0) + n
        by_category_level[category, level] = by_category_level.get((category, level), 0) + n
        if child_length:
            row = by_child.setdefault(child, RegionRow(child.ljust(12, "0"), None))
            row.total += n
            row.by_category[category] = row.by_category.get(category, 0) + n
    rows: list[RegionRow] = []
    if child_length:
        children = {r.code: r for r in Region.objects.filter(
            Q(parent=region, valid_until__isnull=True)
            | Q(code__in=[row.code for row in by_child.values()]))}
        own_code = region.code[:child_length]
        for code, child in sorted(children.items()):
            if code == region.code:
                continue
            row = by_child.pop(code[:child_length], None) or RegionRow(code, None)
            row.region = child
            rows.append(row)
        own = by_child.pop(own_code, None)
        if own is not None:  # persons recorded at the region itself, not below it
            rows.append(own)
    return RegionCounts(
        region=region, rows=rows, total=sum(by_category.values()), by_category=by_category,
        by_category_level=by_category_level,
        drill_down=region.level < RegionLevel.TOWNSHIP,
    )


# ---------------------------------------------------------------------------
# The home page's counts (contributed in ``registry.apps``)


def living_persons_count(user: Any) -> int:
    """Living persons in the user's scope."""
    return persons_visible_to(user).filter(deceased_date__isnull=True).count()


def certificates_count(user: Any, status: str, *, expiring_within: int | None = None) -> int:
    """Certificates of living persons in the user's scope with ``status``; with
    ``expiring_within`` (days), only those whose validity ends between today and then."""
    certificates = (Certificate.objects
                    .filter(status=status, person__deceased_date__isnull=True)
                    .filter(scope_q(user, Capability.VIEW_PERSON, region_field="person__hukou_region")))
    if expiring_within is not None:
        today = timezone.localdate()
        certificates = certificates.filter(
            valid_until__range=(today, today + dt.timedelta(days=expiring_within)))
    return certificates.count()


def frozen_nearing_cancellation(user: Any, today: dt.date | None = None
                                ) -> QuerySet[Certificate]:
    """Frozen certificates of living holders in the user's scope whose hukou moved away
    without a transfer, to be cancelled within the policy's days (or already due, the
    daily job not having run yet), soonest first."""
    today = today or timezone.localdate()
    cutoff = today + dt.timedelta(days=rules.certificate_policy().nearing_cancellation_days)
    return (Certificate.objects
            .filter(status=CertificateStatus.FROZEN, person__deceased_date__isnull=True,
                    person__moved_away_on__lte=rules.latest_move_cancelled_by(cutoff))
            .filter(scope_q(user, Capability.VIEW_PERSON, region_field="person__hukou_region"))
            .select_related("person").order_by("person__moved_away_on", "id"))


def imports_count(user: Any, *, within: int) -> int:
    """The user's imports of the last ``within`` days."""
    return ImportJob.objects.filter(
        user=user, created_at__gte=timezone.now() - dt.timedelta(days=within)).count()


# ---------------------------------------------------------------------------
# For the audit log (``audit.describe.PersonDirectory``): it names and finds persons
# in events its own scope already selected, so these reads take no user.


def person_names(person_ids: Any) -> dict[int, str]:
    """Each person's name, in one query."""
    return dict(Person.objects.filter(pk__in=list(person_ids)).values_list("pk", "name"))


def id_key(text: str) -> tuple[str, str] | None:
    """The keyed hash and the masked form of ``text`` if it is a valid ID number."""
    try:
        number = validation.parse_id_number(text).normalized
    except ValidationFailed:
        return None
    return hash_id(number), mask_id(number)


def person_ids(*, name: str = "", id_key: str = "") -> QuerySet[Person]:
    """The ids of the persons called ``name`` or with the keyed hash ``id_key``."""
    persons = Person.objects.all()
    if name:
        persons = persons.filter(name=" ".join(name.split()))
    if id_key:
        persons = persons.filter(id_number_hash=id_key)
    return persons.values("pk")
