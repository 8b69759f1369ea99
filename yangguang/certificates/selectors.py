"""Reads of certificate cases, always through the user's scope.

A case is seen by the staff of its hukou region and, when it was lodged at the county
of usual residence (跨省通办), by those of that region too; a transfer's new hukou
region sees it as well. Elsewhere it does not exist (404, as for no case at all).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_q
from yangguang.certificates import rules, workflow
from yangguang.certificates.models import CLOSED_STATES, CaseState, CertificateCase
from yangguang.certificates.policy import policy
from yangguang.core.errors import ValidationFailed
from yangguang.registry.models import Certificate, CertificateStatus
from yangguang.registry.rules import in_scope, moved_away_dates
from yangguang.registry.selectors import frozen_nearing_cancellation, persons_visible_to
from yangguang.registry.services import write_scope

#: The regions of a case that see it.
VISIBLE_THROUGH = ("hukou_region", "residence_region", "target_region")


def case_scope_q(user: Any, capability: str = Capability.VIEW_PERSON) -> Q:
    q = Q(pk__in=[])
    for field in VISIBLE_THROUGH:
        q |= scope_q(user, capability, region_field=field)
    return q


def cases_visible_to(user: Any, capability: str = Capability.VIEW_PERSON
                     ) -> QuerySet[CertificateCase]:
    return CertificateCase.objects.filter(case_scope_q(user, capability))


def get_case_for(user: Any, pk: Any, capability: str = Capability.VIEW_PERSON
                 ) -> CertificateCase:
    """The case ``pk`` if ``user`` sees it; else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    case = (cases_visible_to(user, capability)
            .select_related("person", "hukou_region", "residence_region", "holder_region",
                            "target_region", "assessment", "certificate", "certificate__person")
            .filter(pk=pk).first())
    if case is None:
        raise Http404
    return case


def search_cases(user: Any, *, state: str = "", kind: str = "", open_only: bool = False,
                 overdue: bool = False, today: dt.date | None = None
                 ) -> QuerySet[CertificateCase]:
    """The cases ``user`` sees, filtered, newest first."""
    rows = cases_visible_to(user).select_related("person", "hukou_region")
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    if open_only:
        rows = rows.exclude(state__in=CLOSED_STATES)
    if overdue:
        rows = rows.filter(deadline__lte=due_soon_cutoff(today))
    return rows.order_by("-applied_on", "-id")


def steps_of(case: CertificateCase) -> QuerySet:
    return case.steps.select_related("user", "region").order_by("id")


def actions_for(user: Any, case: CertificateCase) -> list[workflow.Transition]:
    """The steps ``user`` may take on ``case`` now: the rows of its kind's table from its
    state whose capability the user holds over the step's region (``rules.
    acting_region``). (Dates and dispute levels are checked when the step is taken.)"""
    allowed = []
    for t in workflow.transitions_from(case.kind, case.state):
        try:
            rules.check_holder(case, t.action)
        except ValidationFailed:
            continue
        scope = write_scope(user, t.capability)
        if scope and in_scope(rules.acting_region(case, t), scope):
            allowed.append(t)
    return allowed


def open_case_of(person_id: int) -> CertificateCase | None:
    return (CertificateCase.objects.exclude(state__in=CLOSED_STATES)
            .filter(person_id=person_id).first())


# ---------------------------------------------------------------------------
# The worklist


def due_soon_cutoff(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) + dt.timedelta(days=policy().due_soon_days)


@dataclass(frozen=True)
class Worklist:
    by_state: list[tuple[str, Any, int]]  # (state, label, count)
    deadlines: list[CertificateCase]
    disputes_closing: list[CertificateCase]
    expiring: QuerySet[Certificate]
    expiring_count: int
    expiring_days: int
    #: Frozen because the holder's hukou moved away without a transfer, to be cancelled
    #: soon (``registry.selectors.frozen_nearing_cancellation``), each with ``cancel_on``.
    nearing_cancellation: list[Certificate]
    nearing_cancellation_count: int
    today: dt.date
    cutoff: dt.date


WORKLIST_LIMIT = 50


def worklist(user: Any, today: dt.date | None = None) -> Worklist:
    """What a county has to do: its open cases by state, the deadlines about to pass or
    passed (publication, review), the dispute windows closing, the certificates
    ending within the policy's window (for renewal), and the frozen certificates of
    holders who moved away without a transfer, nearing their cancellation."""
    today = today or timezone.localdate()
    cutoff = due_soon_cutoff(today)
    open_cases = cases_visible_to(user).exclude(state__in=CLOSED_STATES)
    counts = dict(open_cases.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    by_state = [(s, CaseState(s).label, counts[s]) for s in CaseState.values if s in counts]
    deadlines = list(open_cases.filter(deadline__lte=cutoff).select_related("person")
                     .order_by("deadline", "id")[:WORKLIST_LIMIT])
    disputes = list(open_cases.filter(dispute_until__gte=today, dispute_until__lte=cutoff)
                    .select_related("person").order_by("dispute_until", "id")[:WORKLIST_LIMIT])
    expiring = expiring_certificates(user, today)
    nearing = frozen_nearing_cancellation(user, today)
    nearing_list = list(nearing[:WORKLIST_LIMIT])
    for certificate in nearing_list:
        certificate.cancel_on = moved_away_dates(certificate.person.moved_away_on)[1]
    return Worklist(by_state=by_state, deadlines=deadlines, disputes_closing=disputes,
                    expiring=expiring[:WORKLIST_LIMIT], expiring_count=expiring.count(),
                    expiring_days=policy().expiring_within_days,
                    nearing_cancellation=nearing_list,
                    nearing_cancellation_count=nearing.count(), today=today, cutoff=cutoff)


def expiring_certificates(user: Any, today: dt.date | None = None) -> QuerySet[Certificate]:
    today = today or timezone.localdate()
    until = today + dt.timedelta(days=policy().expiring_within_days)
    return (Certificate.objects.select_related("person")
            .filter(status=CertificateStatus.VALID, valid_until__gte=today,
                    valid_until__lte=until,
                    person__in=persons_visible_to(user).values("pk"))
            .order_by("valid_until", "id"))


def open_cases_count(user: Any) -> int:
    return cases_visible_to(user).exclude(state__in=CLOSED_STATES).count()


def due_cases_count(user: Any) -> int:
    """Open cases whose deadline is about to pass or passed."""
    return (cases_visible_to(user).exclude(state__in=CLOSED_STATES)
            .filter(deadline__lte=due_soon_cutoff()).count())

