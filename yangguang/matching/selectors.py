"""Reads of data comparison, always within the user's regions.

A candidate belongs to the region of the person it names (``region_code``); a
list and its runs are seen by those who may match lists anywhere (the rows it holds
are shown only through the candidates of one's regions).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_prefixes
from yangguang.matching.models import Candidate, Decision, DepartmentList, MatchRun, MatchType
from yangguang.registry.models import HouseholdStatus, Person
from yangguang.registry.selectors import persons_visible_to

#: Effects that mean the registry and the department disagree.
DISCREPANCIES = ("death_date_differs", "hukou_differs", "no_household", "refused")


def persons_for(user: Any) -> QuerySet[Person]:
    """The persons a run compares with: the user's regions (everyone for the CLI)."""
    if user is None:
        return Person.objects.all()
    return persons_visible_to(user, Capability.MATCH_LISTS)


def _region_q(user: Any, capability: str) -> Q:
    prefixes = scope_prefixes(user, capability)
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for prefix in prefixes:
        q |= Q(region_code__startswith=prefix)
    return q


def candidates_visible_to(user: Any, capability: str = Capability.MATCH_LISTS) -> QuerySet[Candidate]:
    """Candidates naming a person in the user's regions."""
    return Candidate.objects.filter(_region_q(user, capability)).exclude(person=None)


def review_queue(user: Any) -> QuerySet[Candidate]:
    return (candidates_visible_to(user, Capability.REVIEW_MATCHES)
            .filter(match_type=MatchType.REVIEW, decision=Decision.PENDING)
            .select_related("list_row", "list_row__department_list", "person", "run")
            .order_by("-weight", "id"))


def get_candidate_for(user: Any, pk: Any, capability: str = Capability.REVIEW_MATCHES) -> Candidate:
    return (candidates_visible_to(user, capability)
            .select_related("list_row", "list_row__department_list", "person", "run").get(pk=pk))


def pending_review_count(user: Any) -> int:
    return review_queue(user).count()


def discrepancies(user: Any, run: MatchRun | None = None) -> QuerySet[Candidate]:
    found = candidates_visible_to(user).filter(effect__in=DISCREPANCIES)
    if run is not None:
        found = found.filter(run=run)
    return found.select_related("list_row", "person", "run__department_list")


def lists() -> QuerySet[DepartmentList]:
    return DepartmentList.objects.all()


def runs_of(department_list: DepartmentList) -> QuerySet[MatchRun]:
    return department_list.runs.all()


def overlaps(scope: list[str], prefixes: list[str]) -> bool:
    """Whether two sets of region code prefixes share a region."""
    return any(a.startswith(b) or b.startswith(a) for a in scope for b in prefixes)


def covers(outer: list[str], inner: list[str]) -> bool:
    """Whether every region of ``inner`` lies in ``outer`` (an empty scope is the
    whole registry)."""
    if not outer:
        return True
    return bool(inner) and all(any(i.startswith(o) for o in outer) for i in inner)


def get_run_for(user: Any, pk: Any) -> MatchRun:
    """A run the user may see: one compared with the whole registry (the command line),
    or with regions that overlap the user's. ``MatchRun.DoesNotExist`` otherwise."""
    run = MatchRun.objects.select_related("department_list").get(pk=pk)
    if run.scope and not overlaps(run.scope, scope_prefixes(user, Capability.MATCH_LISTS)):
        raise MatchRun.DoesNotExist
    return run


def unknown_to_registry(user: Any, run: MatchRun) -> QuerySet[Candidate]:
    """The run's rows that matched nobody, whose region (as the department gave it)
    lies in the user's regions: on the department's list, unknown to the registry."""
    q = Q(pk__in=[])
    for prefix in scope_prefixes(user, Capability.MATCH_LISTS):
        q |= Q(list_row__region_code__startswith=prefix)
    return (Candidate.objects.filter(run=run, match_type=MatchType.NONE).filter(q)
            .select_related("list_row"))


def unknown_to_department(user: Any, run: MatchRun) -> QuerySet[Person]:
    """For a status roll: persons of the user's regions whose household holds that
    status on the list's date in the registry, but whom the run did not match: in the
    registry, unknown to the department."""
    from yangguang.matching.kinds import get

    kind = get(run.department_list.kind)
    status = getattr(kind, "status", None)
    if status is None:
        return Person.objects.none()
    day = run.department_list.list_date
    held = HouseholdStatus.objects.filter(status=status, start_date__lte=day).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=day)).values("household_id")
    matched = run.candidates.exclude(person=None).values("person_id")
    persons = persons_visible_to(user, Capability.MATCH_LISTS).filter(household_id__in=held)
    if run.scope:
        covered = Q(pk__in=[])
        for prefix in run.scope:
            covered |= Q(hukou_region__code__startswith=prefix)
        persons = persons.filter(covered)
    return persons.exclude(pk__in=matched)
