"""Discrepancy reports of data comparison: a computed view (nothing stored), per run
and per region, always within the user's regions.

A finding is one person or list row the registry and a department disagree on:

- ``paid_while_deceased``: a benefit grant still paying from the month after the
  death (the deaths list's date for a deaths run; the registry's for the region report);
- ``registry_differs``: a confirmed match the registry could not take as it came
  (death date differs, hukou elsewhere, no household, refused: the effect's code);
- ``status_differs``: a status roll's period (低保 …) that the registry holds with
  other dates, or not at all;
- ``unknown_to_registry`` / ``unknown_to_department``: on the list but matching
  nobody; and for a status roll, holding the status in the registry but not listed;
- ``eligible_not_covered``: a person a status roll names whom benefits' screening
  (``benefits.selectors.eligible_not_receiving``, its rules) finds eligible for a
  programme that pays them nothing.

``run_findings`` gives a run's; ``region_findings`` those of the latest run of each
list kind plus the registry's deceased persons still paid; ``by_region`` counts them
per county. ``exporting`` writes them to XLSX.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_prefixes
from yangguang.benefits import policy
from yangguang.benefits import selectors as benefits
from yangguang.benefits.services import month_after
from yangguang.matching import effects, kinds, selectors
from yangguang.matching.models import Decision, MatchRun, MatchType, ReportCounts
from yangguang.regions.models import Region
from yangguang.registry.models import HouseholdStatus, Person

CATEGORIES = {
    "paid_while_deceased": _("已故仍在发放补贴"),
    "registry_differs": _("登记与部门不一致"),
    "status_differs": _("经济状况与登记不一致"),
    "unknown_to_registry": _("部门名单中有、登记中没有"),
    "unknown_to_department": _("登记中有、部门名单中没有"),
    "eligible_not_covered": _("符合补贴条件但未享受"),
}


@dataclass(frozen=True)
class Finding:
    category: str
    #: The person's hukou region, or the list row's region for a row matching nobody.
    region: str
    detail: str
    person: Person | None = None
    row: int | None = None
    list_name: str = ""
    run: MatchRun | None = None

    @property
    def label(self) -> Any:
        return CATEGORIES[self.category]


def _paid_after(grants: Any, deaths: dict[int, dt.date], run: MatchRun | None) -> list[Finding]:
    found = []
    for grant in grants.filter(person_id__in=list(deaths)).select_related("person").order_by(
            "person_id", "programme"):
        stop = month_after(deaths[grant.person_id])  # benefits stop from the month after
        if grant.stop_month is None or grant.stop_month > stop:
            programme = policy.policies().programmes.get(grant.programme)
            detail = _("{programme}：{death}死亡，应自{stop}停发，{paid}").format(
                programme=programme.name if programme else grant.programme,
                death=deaths[grant.person_id].isoformat(), stop=stop.isoformat()[:7],
                paid=(_("仍在发放") if grant.stop_month is None
                      else _("至{month}才停发").format(month=grant.stop_month.isoformat()[:7])))
            found.append(Finding("paid_while_deceased", grant.person.hukou_region_id, str(detail),
                                 person=grant.person, run=run))
    return found


def paid_while_deceased(user: Any, run: MatchRun | None = None) -> list[Finding]:
    """Grants paying after the death: of the persons a deaths run matched (the list's
    death date; confirmed or waiting for review), or without a run of the registry's
    deceased persons, in the user's regions."""
    grants = benefits.grants_for(user)
    if run is None:
        deaths = dict(selectors.persons_for(user).filter(deceased_date__isnull=False)
                      .filter(pk__in=grants.values("person_id")).values_list("pk", "deceased_date"))
        return _paid_after(grants, deaths, None)
    if run.department_list.kind != "deaths":
        return []
    deaths = {}
    for person_id, facts in (_matched(user, run).values_list("person_id", "list_row__facts")):
        deaths.setdefault(person_id, dt.date.fromisoformat(facts["death_date"]))
    return _paid_after(grants, deaths, run)


def _matched(user: Any, run: MatchRun) -> Any:
    """The run's candidates in the user's regions that name a person and are not rejected."""
    return (selectors.candidates_visible_to(user).filter(run=run)
            .exclude(decision=Decision.REJECTED).exclude(match_type=MatchType.NONE))


def _period(start: Any, end: Any) -> str:
    return f"{start}—{end or _('至今')}"


def status_differences(user: Any, run: MatchRun) -> list[Finding]:
    """For a status roll: each named person whose household holds the roll's period
    (start, end) not exactly as listed: other dates, or not at all."""
    status = getattr(kinds.get(run.department_list.kind), "status", None)
    if status is None:
        return []
    found = []
    matched = list(_matched(user, run).select_related("person", "list_row").order_by("list_row__row"))
    periods: dict[int, list[tuple[str, str]]] = {}
    for household, start, end in HouseholdStatus.objects.filter(
            status=status, household_id__in=[c.person.household_id for c in matched]).values_list(
                "household_id", "start_date", "end_date"):
        periods.setdefault(household, []).append((start.isoformat(), end.isoformat() if end else None))
    for c in matched:
        if c.person.household_id is None:
            continue  # the effect says so: registry_differs
        listed = (c.list_row.facts.get("start_date"), c.list_row.facts.get("end_date"))
        held = periods.get(c.person.household_id, [])
        if held == [listed]:
            continue
        detail = _("名单：{listed}；登记：{held}").format(
            listed=_period(*listed),
            held="、".join(_period(*p) for p in held) if held else _("没有"))
        found.append(Finding("status_differs", c.region_code, str(detail), person=c.person,
                             row=c.list_row.row, list_name=c.list_row.name, run=run))
    return found


def eligible_not_covered(user: Any, run: MatchRun) -> list[Finding]:
    """For a status roll: the persons it names (confirmed) whom benefits' screening
    finds eligible on the list's date for a programme that pays them nothing."""
    if getattr(kinds.get(run.department_list.kind), "status", None) is None:
        return []
    named = Person.objects.filter(pk__in=_matched(user, run).filter(
        decision=Decision.CONFIRMED).values("person_id"))
    day = run.department_list.list_date
    found = []
    pol = policy.policies()
    persons: dict[int, Person] = {}
    decisions = []
    for key, programme in pol.programmes.items():
        for decision in benefits.eligible_not_receiving(user, key, "", day, persons=named):
            decisions.append((decision.person_id, programme.name))
            persons[decision.person_id] = None  # type: ignore[assignment]
    persons.update({p.pk: p for p in Person.objects.filter(pk__in=list(persons))})
    for person_id, name in sorted(decisions):
        person = persons[person_id]
        found.append(Finding("eligible_not_covered", person.hukou_region_id,
                             str(_("符合{programme}的条件，未在发放").format(programme=name)),
                             person=person, run=run))
    return found


def run_findings(user: Any, run: MatchRun) -> list[Finding]:
    """Every finding of one run in the user's regions, category by category."""
    found = paid_while_deceased(user, run)
    for c in selectors.discrepancies(user, run).order_by("list_row__row"):
        found.append(Finding("registry_differs", c.region_code,
                             str(effects.EFFECTS.get(c.effect, c.effect)), person=c.person,
                             row=c.list_row.row, list_name=c.list_row.name, run=run))
    found += status_differences(user, run)
    for c in selectors.unknown_to_registry(user, run).order_by("list_row__row"):
        r = c.list_row
        found.append(Finding("unknown_to_registry", r.region_code,
                             str(_("出生日期{birth}").format(birth=r.birth_date or "-")),
                             row=r.row, list_name=r.name, run=run))
    for p in selectors.unknown_to_department(user, run).order_by("id"):
        found.append(Finding("unknown_to_department", p.hukou_region_id,
                             str(_("登记中有此经济状况，名单中没有")), person=p, run=run))
    found += eligible_not_covered(user, run)
    return found


def latest_runs(user: Any) -> list[MatchRun]:
    """The latest run the user may see of each list kind for each region a list
    covers, in the kinds' order: a county's roll does not hide another county's, and
    a newer list covering a region replaces the older ones within it."""
    prefixes = scope_prefixes(user, Capability.MATCH_LISTS)
    latest: dict[str, list[MatchRun]] = {}
    for run in MatchRun.objects.select_related("department_list").order_by(
            "-department_list__list_date", "-created_at", "-id"):
        if run.scope and not selectors.overlaps(run.scope, prefixes):
            continue
        taken = latest.setdefault(run.department_list.kind, [])
        if not any(selectors.covers(newer.scope, run.scope) for newer in taken):
            taken.append(run)
    return [run for k in kinds.KINDS for run in latest.get(k.name, [])]


def region_findings(user: Any) -> list[Finding]:
    """The findings of the latest run of each kind, with the registry's deceased
    persons still paid instead of the deaths runs' own."""
    found = paid_while_deceased(user)
    for run in latest_runs(user):
        found += [f for f in run_findings(user, run) if f.category != "paid_while_deceased"]
    return found


def finding_count(user: Any) -> int:
    """The home page's count: the region report's findings. The deceased persons still
    paid are counted afresh (a few queries); the findings of the latest runs, which run
    each run's report and benefits' screening, are counted once and kept
    (``ReportCounts``) until a run or a review decision changes them (``services``
    forgets them), the user's regions change, or they are older than
    ``YANGGUANG_MATCHING_COUNTS_MAX_AGE`` seconds (the registry's own changes, such as
    a household's status, reach the count then; the report page is always current)."""
    return deceased_paid_count(user) + _runs_finding_count(user)


def _runs_finding_count(user: Any) -> int:
    scope = list(scope_prefixes(user, Capability.MATCH_LISTS))
    now = timezone.now()
    kept = ReportCounts.objects.filter(user=user).first()
    if (kept is not None and kept.scope == scope
            and kept.computed_at >= now - dt.timedelta(seconds=settings.YANGGUANG_MATCHING_COUNTS_MAX_AGE)):
        return kept.findings
    count = sum(1 for run in latest_runs(user) for f in run_findings(user, run)
                if f.category != "paid_while_deceased")
    ReportCounts.objects.update_or_create(user=user, defaults={
        "scope": scope, "findings": count, "computed_at": now})
    return count


def deceased_paid_count(user: Any) -> int:
    return len(paid_while_deceased(user))


def within(found: list[Finding], *, category: str = "", region: str = "") -> list[Finding]:
    """The findings of ``category`` (any when empty) whose region lies in ``region``
    (a code prefix; any when empty)."""
    return [f for f in found if (not category or f.category == category) and f.region.startswith(region)]


@dataclass(frozen=True)
class RegionCounts:
    code: str
    name: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


def by_region(found: list[Finding], digits: int = 6) -> list[RegionCounts]:
    """Counts of each category per region (counties by default), then the total."""
    tally: dict[str, Counter[str]] = {}
    for f in found:
        tally.setdefault(f.region[:digits] or "-", Counter())[f.category] += 1
    names = dict(Region.objects.filter(pk__in=[c.ljust(12, "0") for c in tally]).values_list("code", "name"))
    rows = [RegionCounts(code, names.get(code.ljust(12, "0"), code),
                         tuple(tally[code][k] for k in CATEGORIES)) for code in sorted(tally)]
    total = Counter(f.category for f in found)
    rows.append(RegionCounts("", str(_("合计")), tuple(total[k] for k in CATEGORIES)))
    return rows

