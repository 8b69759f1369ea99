"""The facts a rule reads about persons on a day, as columns of one query.

Both evaluations read the facts through ``annotate``: the decision for one person
(``rules.decide``) reads its one row, the screening of a region (``rules.screen``)
reads every row and tests the conditions in SQL. So the two can differ only in how a
rule is applied, which the agreement test checks.

Columns (``None`` where the fact does not hold on the day):

- ``birth_date``, ``deceased_date``, ``hukou_region_id`` (the person's own fields);
- ``f_urban``: True / False from the hukou region's urban-rural class, None if unknown;
- ``f_cert_level``, ``f_cert_category``, ``f_cert_issue``, ``f_cert_until``: the
  certificate held on the day (issued by then, not yet expired, not cancelled or
  frozen by then in its status history);
- ``f_hs_<status>``: since when the household has held that economic status, if it
  holds it on the day;
- ``f_pf_<kind>`` and ``f_pfa_<kind>``: since when a person fact of that kind holds,
  and its monthly amount (the highest, if several). Three kinds are also answered by
  the person's latest annual survey (``survey.AnnualSurvey``, reached, of the day's year
  or before) when no person fact says so (``SURVEY_KINDS``): enrolled in the resident
  pension (paying, or paid by the government), a device needed and not yet fitted, in
  care; their date is the survey's (its day, or 1 January of its year).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    DateField,
    F,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from yangguang.benefits.models import PersonFact
from yangguang.registry.models import (
    Certificate,
    CertificateStatus,
    CertificateStatusChange,
    HouseholdStatus,
    Person,
)
from yangguang.survey.models import AnnualSurvey, PensionInsurance

PERSON_COLUMNS = ("id", "birth_date", "deceased_date", "hukou_region_id")
CERTIFICATE_COLUMNS = {"f_cert_level": "level", "f_cert_category": "category",
                       "f_cert_issue": "issue_date", "f_cert_until": "valid_until"}


def held_certificate(on: dt.date) -> QuerySet[Certificate]:
    """The certificates of the outer person held on ``on``, latest first."""
    last_status = (CertificateStatusChange.objects
                   .filter(certificate=OuterRef("pk"), effective_date__lte=on)
                   .order_by("-effective_date", "-id").values("status")[:1])
    return (Certificate.objects
            .filter(person=OuterRef("pk"), issue_date__lte=on, valid_until__gte=on)
            .annotate(status_then=Subquery(last_status))
            .exclude(status_then__in=[CertificateStatus.CANCELLED, CertificateStatus.FROZEN])
            .order_by("-issue_date", "-id"))


#: Person-fact kinds the latest annual survey also answers: the condition on its answers.
#: (A device fitted or not: only an answer of "not fitted" counts, not an unknown one.)
SURVEY_KINDS = {
    "resident_pension": Q(pension_insurance__in=[PensionInsurance.PAYING,
                                                 PensionInsurance.GOVERNMENT_PAID]),
    "assistive_device_need": ~Q(device_need__in=["", "none"]) & Q(device_fitted=False),
    "care_service": Q(care_received=True),
}
NO_DATE = Value(None, output_field=DateField())


class _FirstOfYear(Func):
    """1 January of a year given as a number (each database has its own date constructor:
    PostgreSQL's ``make_date``, SQLite's ``date`` of a text)."""

    template = "make_date(%(expressions)s, 1, 1)"
    output_field = DateField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection,
                           template="date(printf('%%04d-01-01', %(expressions)s))", **extra)


def _survey_answer(on: dt.date, kind: str) -> Subquery:
    """Since when the person's latest reached survey (of ``on``'s year or before) says
    ``kind`` holds: the survey's day, or 1 January of its year; None if it does not say
    so. One subquery per kind: the condition is tested on the survey's own row."""
    latest = (AnnualSurvey.objects.filter(person=OuterRef("pk"), year__lte=on.year, reached=True)
              .order_by("-year"))
    day = Coalesce(F("survey_date"), _FirstOfYear(F("year")), output_field=DateField())
    answer = Case(When(SURVEY_KINDS[kind], then=day), default=NO_DATE, output_field=DateField())
    return Subquery(latest.annotate(answer=answer).values("answer")[:1])


def annotate(persons: QuerySet[Person], on: dt.date, *, statuses: Iterable[str],
             kinds: Iterable[str]) -> QuerySet[Person]:
    """``persons`` with the fact columns of ``on`` for the given household statuses and
    person-fact kinds."""
    held = held_certificate(on)
    columns = {name: Subquery(held.values(field)[:1]) for name, field in CERTIFICATE_COLUMNS.items()}
    columns["f_urban"] = Case(
        When(hukou_region__urban_rural_class__startswith="1", then=Value(True)),
        When(hukou_region__urban_rural_class__startswith="2", then=Value(False)),
        default=Value(None), output_field=BooleanField(null=True))
    for status in sorted(set(statuses)):
        columns[f"f_hs_{status}"] = Subquery(
            HouseholdStatus.objects.filter(household=OuterRef("household"), status=status,
                                           start_date__lte=on)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
            .order_by("-start_date").values("start_date")[:1])
    for kind in sorted(set(kinds)):
        active = (PersonFact.objects.filter(person=OuterRef("pk"), kind=kind, start_date__lte=on)
                  .filter(Q(end_date__isnull=True) | Q(end_date__gte=on)))
        recorded: Any = Subquery(active.order_by("-start_date").values("start_date")[:1])
        if kind in SURVEY_KINDS:
            recorded = Coalesce(recorded, _survey_answer(on, kind), output_field=DateField())
        columns[f"f_pf_{kind}"] = recorded
        columns[f"f_pfa_{kind}"] = Subquery(
            active.order_by().values("person").annotate(top=Max("monthly_amount")).values("top")[:1])
    return persons.annotate(**columns)


def columns(statuses: Iterable[str], kinds: Iterable[str]) -> list[str]:
    """The names of the columns ``annotate`` adds, with the person's own."""
    return [*PERSON_COLUMNS, "f_urban", *CERTIFICATE_COLUMNS,
            *(f"f_hs_{s}" for s in sorted(set(statuses))),
            *(name for k in sorted(set(kinds)) for name in (f"f_pf_{k}", f"f_pfa_{k}"))]
