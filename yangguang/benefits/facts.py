"""The facts a rule reads about persons on a day, as columns of one query.

The facts come two ways, with the same columns and meaning. ``annotate`` adds them to
a queryset as correlated subqueries, which suits one person: the decision
(``rules.decide``) reads its one row. ``sql`` computes them for a whole set of persons
in one statement, one pass over each fact table (window and grouped aggregates joined to
the persons), which suits screening (``rules.screen``): it runs on the project's
database (PostgreSQL, SQLite) or on DuckDB over tables of the same names and columns
(``SNAPSHOT``; ``benchmarks/benefits_screening.py``). The agreement test
(``tests/test_agreement.py``) checks that the two agree, through the decisions.

Columns (``None`` where the fact does not hold on the day):

- ``birth_date``, ``deceased_date``, ``hukou_region_id`` (the person's own fields);
- ``f_urban``: True / False from the hukou region's urban-rural class, None if unknown;
- ``f_cert_level``, ``f_cert_category``, ``f_cert_issue``, ``f_cert_until``: the
  certificate held on the day by the registry's rule (``registry.rules.
  certificate_held_q``: issued by then, not expired, not cancelled before the day) and
  not frozen (``not_frozen``), the latest issued of several;
- ``f_comp_<n>`` (n = 1…6): when that certificate is 多重 (category 7), the level of
  its component of category n (``components``), None if it has none; None for any
  other certificate. A rule that counts a 多重 certificate by its components
  (``components = true``: 「含三、四级智力、精神在内的多重残疾人」) reads them;
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
import json
from collections.abc import Iterable
from decimal import Decimal
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
from yangguang.registry import rules as registry_rules
from yangguang.registry.models import (
    Category,
    Certificate,
    CertificateStatus,
    CertificateStatusChange,
    HouseholdStatus,
    Person,
)
from yangguang.survey.models import AnnualSurvey, PensionInsurance

PERSON_COLUMNS = ("id", "birth_date", "deceased_date", "hukou_region_id")
#: The categories a 多重 certificate's components may have (1–6), each a column f_comp_<n>.
COMPONENT_CATEGORIES = tuple(c.value for c in Category if c != Category.MULTIPLE)
COMPONENT_COLUMNS = tuple(f"f_comp_{c}" for c in COMPONENT_CATEGORIES)
CERTIFICATE_COLUMNS = {"f_cert_level": "level", "f_cert_category": "category",
                       "f_cert_issue": "issue_date", "f_cert_until": "valid_until"}


# A held certificate counts for benefits only when it is not frozen on the day: the
# benefits' own condition on top of the registry's rule. The two subsidies need a valid
# certificate (持有效残疾人证, research policy-rules §3.2 "common conditions"); a frozen
# one is suspended (its holder's hukou moved away without a transfer: the grant stops
# with the move, ``payroll.stops_due``) and pays nothing until restored, while the
# registry still counts its holder as certified (``certificate_held_q``). "On the day":
# its latest status change dated before the day is not a freeze (a status change takes
# effect after its day, as the registry has it for a cancellation). ``not_frozen`` for
# one person's certificates, ``not_frozen_sql`` for a set.


def status_before(on: dt.date) -> Subquery:
    """The outer certificate's latest status change dated before ``on``: its status."""
    return Subquery(CertificateStatusChange.objects
                    .filter(certificate=OuterRef("pk"), effective_date__lt=on)
                    .order_by("-effective_date", "-id").values("status")[:1])


def not_frozen(certificates: QuerySet[Certificate], on: dt.date) -> QuerySet[Certificate]:
    """``certificates`` less those frozen on ``on``."""
    # Explicitly NULL-safe: a certificate without a status change before the day (on its
    # issue day) is not frozen; exclude() on the annotation would drop it (NOT NULL).
    return (certificates.annotate(status_then=status_before(on))
            .filter(Q(status_then__isnull=True) | ~Q(status_then=CertificateStatus.FROZEN)))


def not_frozen_sql(status: str) -> str:
    """``not_frozen`` in SQL, on the column of the latest status before the day."""
    return f"({status} IS NULL OR {status} <> {text(CertificateStatus.FROZEN)})"


def held_certificate(on: dt.date) -> QuerySet[Certificate]:
    """The certificates of the outer person a benefit counts on ``on``, latest first:
    held on the day by the registry's rule (``registry.rules.certificate_held_q``) and
    not frozen (``not_frozen``)."""
    held = Certificate.objects.filter(person=OuterRef("pk")).filter(registry_rules.certificate_held_q(on))
    return not_frozen(held, on).order_by("-issue_date", "-id")


#: Person-fact kinds the latest annual survey also answers: the condition on its answers.
#: (A device fitted or not: only an answer of "not fitted" counts, not an unknown one.)
SURVEY_KINDS = {
    "resident_pension": Q(pension_insurance__in=[PensionInsurance.PAYING,
                                                 PensionInsurance.GOVERNMENT_PAID]),
    "assistive_device_need": ~Q(device_need__in=["", "none"]) & Q(device_fitted=False),
    "care_service": Q(care_received=True),
}
#: The same, in SQL over the survey row ``sv``.
SURVEY_SQL = {
    "resident_pension": f"sv.pension_insurance IN ('{PensionInsurance.PAYING}', "
                        f"'{PensionInsurance.GOVERNMENT_PAID}')",
    "assistive_device_need": "(sv.device_need NOT IN ('', 'none')"
                             " AND sv.device_fitted IS NOT NULL AND NOT sv.device_fitted)",
    "care_service": "(sv.care_received IS NOT NULL AND sv.care_received)",
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
    columns["f_cert_components"] = Subquery(held.values("components")[:1])
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


def component_levels(category: int | None, components: Any) -> dict[str, int | None]:
    """The ``f_comp_<n>`` columns of a certificate of ``category`` with ``components``
    (the list of {category, level}; only a 多重 certificate's count)."""
    out: dict[str, int | None] = dict.fromkeys(COMPONENT_COLUMNS)
    if category == Category.MULTIPLE and isinstance(components, list):
        for part in components:
            name = f"f_comp_{part.get('category')}" if isinstance(part, dict) else ""
            if name in out and isinstance(part.get("level"), int):
                out[name] = part["level"] if out[name] is None else min(out[name], part["level"])
    return out


def one(persons: QuerySet[Person], on: dt.date, *, statuses: Iterable[str],
        kinds: Iterable[str]) -> dict[str, Any]:
    """The fact row of the one person of ``persons`` on ``on`` (``annotate``), with the
    component columns worked out from the certificate's components."""
    row = annotate(persons, on, statuses=statuses, kinds=kinds).values(
        *columns(statuses, kinds), "f_cert_components").get()
    row.update(component_levels(row["f_cert_category"], row.pop("f_cert_components")))
    return row


def columns(statuses: Iterable[str], kinds: Iterable[str]) -> list[str]:
    """The names of the columns ``annotate`` adds, with the person's own."""
    return [*PERSON_COLUMNS, "f_urban", *CERTIFICATE_COLUMNS,
            *(f"f_hs_{s}" for s in sorted(set(statuses))),
            *(name for k in sorted(set(kinds)) for name in (f"f_pf_{k}", f"f_pfa_{k}"))]


# ---------------------------------------------------------------------------
# The same facts for a set of persons, in one SQL statement

#: The SQL dialects ``sql`` writes: the project's databases and DuckDB.
DIALECTS = ("postgresql", "sqlite", "duckdb")
#: The lengths of the hukou code's prefixes that name a jurisdiction (province,
#: prefecture, county): ``sql`` gives each as a column ``hukou_<n>``, compared once.
HUKOU_PREFIXES = (2, 4, 6)
DATE_COLUMNS = ("birth_date", "deceased_date", "f_cert_issue", "f_cert_until")


def text(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def date_sql(day: dt.date, dialect: str) -> str:
    """A SQL date literal (SQLite keeps dates as ISO text)."""
    return text(day.isoformat()) if dialect == "sqlite" else f"DATE {text(day.isoformat())}"


def _tables() -> dict[str, str]:
    return {"person": Person._meta.db_table, "certificate": Certificate._meta.db_table,
            "change": CertificateStatusChange._meta.db_table,
            "household_status": HouseholdStatus._meta.db_table,
            "fact": PersonFact._meta.db_table, "survey": AnnualSurvey._meta.db_table,
            "region": Person._meta.get_field("hukou_region").related_model._meta.db_table}


def _component_sql(category: int, dialect: str) -> str:
    """The level of the component of ``category`` in ``cert.components`` (a JSON list of
    {category, level}; anything else counts as none), the lowest if several
    (``component_levels``), per dialect."""
    if dialect == "duckdb":  # the snapshot holds the list as JSON text
        return (f"CASE WHEN json_type(cert.components) = 'ARRAY' THEN list_min([x.level FOR x IN "
                f"from_json(cert.components, '[{{\"category\":\"INTEGER\",\"level\":\"INTEGER\"}}]') "
                f"IF x.category = {category}]) END")
    if dialect == "postgresql":
        return (f"(SELECT MIN((e->>'level')::int) FROM jsonb_array_elements(CASE WHEN "
                f"jsonb_typeof(cert.components) = 'array' THEN cert.components ELSE '[]'::jsonb END) e "
                f"WHERE (e->>'category')::int = {category})")
    return (f"(SELECT MIN(json_extract(e.value, '$.level')) FROM json_each(CASE WHEN "
            f"json_type(cert.components) = 'array' THEN cert.components ELSE '[]' END) e "
            f"WHERE json_extract(e.value, '$.category') = {category})")


def _latest_key(day: str, pk: str) -> str:
    """DuckDB: one BIGINT that orders rows by ``day``, then ``pk`` (ids below 2**40):
    ``arg_max`` over it is the latest row, and cheaper than over a struct of the two."""
    return f"((CAST(date_diff('day', DATE '1900-01-01', {day}) AS BIGINT) << 40) + {pk})"


def sql(on: dt.date, *, statuses: Iterable[str], kinds: Iterable[str], dialect: str,
        persons: str = "") -> str:
    """A SELECT of the columns of ``columns`` on ``on``, one row per person: of every
    person, or of those whose id the subquery ``persons`` gives. Each fact table is read
    once (restricted to those persons), ranked or grouped per person, and joined."""
    assert dialect in DIALECTS, dialect
    t, d = _tables(), date_sql(on, dialect)
    statuses, kinds = sorted(set(statuses)), sorted(set(kinds))
    surveyed = [k for k in kinds if k in SURVEY_KINDS]
    only = " AND person_id IN (SELECT id FROM chosen)" if persons else ""
    ctes = [f"chosen AS (SELECT id, birth_date, deceased_date, hukou_region_id, household_id "
            f"FROM {t['person']}{f' WHERE id IN ({persons})' if persons else ''})"]
    # The certificate counted (``held_certificate``): held by the registry's rule and
    # not frozen (``not_frozen_sql`` on its latest status change before the day); of
    # several, the latest issued (then the latest recorded).
    held = (f"{registry_rules.certificate_held_sql(d, certificate='c')} AND {not_frozen_sql('st.status')}"
            f"{only.replace('person_id', 'c.person_id')}")
    if dialect == "duckdb":  # the latest of each group by arg_max: no sort
        ctes.append(
            f"status_then AS (SELECT certificate_id, arg_max(status, {_latest_key('effective_date', 'id')}) "
            f"AS status FROM {t['change']} WHERE effective_date < {d} GROUP BY certificate_id)")
        fields = ", ".join(f"{f} := c.{f}" for f in (*CERTIFICATE_COLUMNS.values(), "components"))
        unpacked = ", ".join(f"x.b.{f} AS {f}" for f in (*CERTIFICATE_COLUMNS.values(), "components"))
        ctes.append(
            f"cert AS (SELECT person_id, {unpacked} FROM (SELECT c.person_id, "
            f"arg_max(struct_pack({fields}), {_latest_key('c.issue_date', 'c.id')}) AS b "
            f"FROM {t['certificate']} c LEFT JOIN status_then st ON st.certificate_id = c.id "
            f"WHERE {held} GROUP BY c.person_id) x)")
    else:
        ctes.append(
            f"status_then AS (SELECT certificate_id, status FROM (SELECT certificate_id, status, "
            f"ROW_NUMBER() OVER (PARTITION BY certificate_id ORDER BY effective_date DESC, id DESC) AS rn "
            f"FROM {t['change']} WHERE effective_date < {d}) s WHERE rn = 1)")
        ctes.append(
            f"cert AS (SELECT person_id, level, category, issue_date, valid_until, components FROM ("
            f"SELECT c.person_id, c.level, c.category, c.issue_date, c.valid_until, c.components, ROW_NUMBER() OVER "
            f"(PARTITION BY c.person_id ORDER BY c.issue_date DESC, c.id DESC) AS rn "
            f"FROM {t['certificate']} c LEFT JOIN status_then st ON st.certificate_id = c.id "
            f"WHERE {held}) x WHERE rn = 1)")
    select = ["p.id", "p.birth_date", "p.deceased_date", "p.hukou_region_id",
              *(f"substr(p.hukou_region_id, 1, {n}) AS hukou_{n}" for n in HUKOU_PREFIXES),
              "CASE WHEN substr(r.urban_rural_class, 1, 1) = '1' THEN 1 "
              "WHEN substr(r.urban_rural_class, 1, 1) = '2' THEN 0 END AS f_urban",
              *(f"cert.{field} AS {name}" for name, field in CERTIFICATE_COLUMNS.items()),
              *(f"CASE WHEN cert.category = {Category.MULTIPLE.value} THEN {_component_sql(n, dialect)} END "
                f"AS f_comp_{n}" for n in COMPONENT_CATEGORIES)]
    joins = [f"LEFT JOIN {t['region']} r ON r.code = p.hukou_region_id",
             "LEFT JOIN cert ON cert.person_id = p.id"]
    active = f"start_date <= {d} AND (end_date IS NULL OR end_date >= {d})"
    if statuses:
        columns = ", ".join(f"MAX(CASE WHEN status = {text(s)} THEN start_date END) AS f_hs_{s}"
                            for s in statuses)
        ctes.append(
            f"hs AS (SELECT household_id, {columns} FROM {t['household_status']} WHERE {active} "
            f"AND status IN ({', '.join(map(text, statuses))})"
            f"{' AND household_id IN (SELECT household_id FROM chosen)' if persons else ''} "
            f"GROUP BY household_id)")
        joins.append("LEFT JOIN hs ON hs.household_id = p.household_id")
        select += [f"hs.f_hs_{s}" for s in statuses]
    if kinds:
        columns = ", ".join(
            f"MAX(CASE WHEN kind = {text(k)} THEN start_date END) AS pf_{k}, "
            f"MAX(CASE WHEN kind = {text(k)} THEN monthly_amount END) AS f_pfa_{k}" for k in kinds)
        ctes.append(f"pf AS (SELECT person_id, {columns} FROM {t['fact']} WHERE {active} "
                    f"AND kind IN ({', '.join(map(text, kinds))}){only} GROUP BY person_id)")
        joins.append("LEFT JOIN pf ON pf.person_id = p.id")
    first_day = ("date(CAST(sv.year AS TEXT) || '-01-01')" if dialect == "sqlite"
                 else "make_date(CAST(sv.year AS INTEGER), 1, 1)")
    answer = {k: f"CASE WHEN {SURVEY_SQL[k]} THEN COALESCE(sv.survey_date, {first_day}) END" for k in surveyed}
    if surveyed and dialect == "duckdb":  # the latest year's answer (a date) by arg_max_null: no sort
        columns = ", ".join(f"arg_max_null({answer[k]}, sv.year) AS answer_{k}" for k in surveyed)
        ctes.append(f"sv AS (SELECT sv.person_id, {columns} FROM {t['survey']} sv "
                    f"WHERE sv.year <= {on.year} AND sv.reached{only.replace('person_id', 'sv.person_id')} "
                    f"GROUP BY sv.person_id)")
        answer = {k: f"sv.answer_{k}" for k in surveyed}
    elif surveyed:
        fields = "pension_insurance, device_need, device_fitted, care_received, survey_date, year"
        ctes.append(f"sv AS (SELECT person_id, {fields} FROM (SELECT person_id, {fields}, "
                    f"ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY year DESC) AS rn "
                    f"FROM {t['survey']} WHERE year <= {on.year} AND reached{only}) s WHERE rn = 1)")
    if surveyed:
        joins.append("LEFT JOIN sv ON sv.person_id = p.id")
    for k in kinds:
        recorded = f"COALESCE(pf.pf_{k}, {answer[k]})" if k in surveyed else f"pf.pf_{k}"
        select += [f"{recorded} AS f_pf_{k}", f"pf.f_pfa_{k}"]
    return (f"WITH {', '.join(ctes)} SELECT {', '.join(select)} FROM chosen p {' '.join(joins)}")


#: The tables and columns ``sql`` reads, with their types on DuckDB: what a snapshot to
#: screen on DuckDB holds (``snapshot`` copies them from the database; the benchmark
#: generates them).
SNAPSHOT_COLUMNS = {
    "person": "id BIGINT, birth_date DATE, deceased_date DATE, hukou_region_id VARCHAR, household_id BIGINT",
    "region": "code VARCHAR, urban_rural_class VARCHAR",
    "certificate": "id BIGINT, person_id BIGINT, level SMALLINT, category SMALLINT, issue_date DATE, "
                   "valid_until DATE, components VARCHAR",
    "change": "id BIGINT, certificate_id BIGINT, status VARCHAR, effective_date DATE",
    "household_status": "household_id BIGINT, status VARCHAR, start_date DATE, end_date DATE",
    "fact": "person_id BIGINT, kind VARCHAR, start_date DATE, end_date DATE, monthly_amount DECIMAL(12,2)",
    "survey": "person_id BIGINT, year SMALLINT, reached BOOLEAN, pension_insurance VARCHAR, "
              "device_need VARCHAR, device_fitted BOOLEAN, care_received BOOLEAN, survey_date DATE",
}


def snapshot_tables() -> dict[str, str]:
    """Each table of ``SNAPSHOT_COLUMNS`` by its name in the database: its columns."""
    names = _tables()
    return {names[key]: columns for key, columns in SNAPSHOT_COLUMNS.items()}


def snapshot(con: Any, using: str = "default") -> None:
    """Copy what ``sql`` reads from the project's database into the DuckDB connection
    ``con``, under the same table names (a snapshot to screen on DuckDB)."""
    from django.db import connections

    t = _tables()
    for table, columns in snapshot_tables().items():
        names = [column.split()[0] for column in columns.split(", ")]
        con.execute(f"CREATE OR REPLACE TABLE {table} ({columns})")
        # Of the region tree, the persons' hukou regions (the urban/rural class).
        where = (f" WHERE code IN (SELECT hukou_region_id FROM {t['person']})"
                 if table == t["region"] else "")
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(names)} FROM {table}{where}")
            while rows := cursor.fetchmany(10_000):
                rows = [tuple(json.dumps(v) if isinstance(v, list | dict) else v for v in row) for row in rows]
                con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(names))})", rows)


def from_sql(row: dict[str, Any]) -> dict[str, Any]:
    """A row of ``sql`` as ``annotate`` gives it: dates as dates (SQLite returns text),
    the urban flag as a bool, amounts as decimals."""
    out = dict(row)
    for name, value in row.items():
        if value is None:
            continue
        if isinstance(value, str) and (name in DATE_COLUMNS or name.startswith(("f_hs_", "f_pf_"))):
            out[name] = dt.date.fromisoformat(value)
        elif name == "f_urban":
            out[name] = bool(value)
        elif name.startswith("f_pfa_") and not isinstance(value, Decimal):
            out[name] = Decimal(str(value))
    return out
