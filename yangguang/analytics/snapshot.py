"""The de-identified Parquet snapshot the catalogue is computed over.

``write(as_of, out)`` writes one Parquet file per table and ``manifest.json``:

- ``persons``: one row per person certified on the as-of date (``registry.rules.
  certified_q``, the rule the survey uses for a year), with the hukou region's code,
  age, the most severe level and the household's key;
- ``households``: their households, with the household's region code;
- ``household_statuses``: those households' economic statuses (低保, 特困 …) and dates;
- ``surveys``: their annual surveys up to the as-of year (the answers the catalogue reads);
- ``benefits``: per person and programme (``BENEFIT_PROGRAMMES``), whether eligible on
  the as-of date under the jurisdiction's policy (``benefits.rules``, the screening's
  rule) and whether a grant pays that month (``benefits.selectors.grants_for``);
- ``services``: their service records begun by the as-of date (kind, dates, outcome,
  the provider's key);
- ``providers``: every service provider with its region code, kind and whether active
  on the as-of date (running and designated);
- ``townships``: the codes of the townships current on the as-of date.

How it is made, the same way from PostgreSQL and SQLite: the certified persons are
listed once into a temporary table of the database, then each table is one SELECT
(``_sources``: the one definition of what goes in the snapshot) read whole into an
in-memory DuckDB — from PostgreSQL with ``COPY … TO STDOUT`` (CSV, parsed by DuckDB),
from SQLite row by row (slower) — where the database ids are replaced by keys and the
Parquet files written. Nothing identifying is ever written to disk.

No names, ID numbers, birth dates, addresses, household numbers or database keys leave
the database: persons, households and providers get pseudonymous keys, random 63-bit
numbers drawn for this snapshot from the operating system's random source (distinct
across all three kinds) and never written beside the ids, so keys cannot be joined
across snapshots or back to the registry.
"""

from __future__ import annotations

import datetime
import json
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from django.db import connections, transaction
from django.db.models import BooleanField, Case, Q, Value, When

from yangguang.benefits import facts as fact_columns
from yangguang.benefits import rules as benefit_rules
from yangguang.benefits import selectors as benefit_selectors
from yangguang.benefits.models import PersonFact
from yangguang.regions.models import Region, RegionLevel
from yangguang.registry.models import Certificate, CertificateStatusChange, Household, HouseholdStatus, Person
from yangguang.registry.rules import certified_q
from yangguang.services.models import Need, Provider, ProviderStatus, ServiceRecord
from yangguang.survey.models import AnnualSurvey

#: Bumped when a table's columns or meaning change; the catalogue names the one it reads.
SNAPSHOT_VERSION = "3"

#: The survey answers the catalogue reads.
SURVEY_COLUMNS = [
    "year",
    "reached",
    "vocational_training",
    "household_income",
    "pension_insurance",
    "medical_insurance",
    "schooling",
    "rehabilitation_need",
    "rehabilitation_received",
    "device_need",
    "device_fitted",
]
#: The programmes whose eligibility and grants the snapshot carries.
BENEFIT_PROGRAMMES = ["living_allowance", "care_allowance", "dibao_single_household"]
#: The survey answers the benefit screening also reads (kept in memory, not written).
SCREENING_SURVEY_COLUMNS = ["care_received", "survey_date"]
TABLES = ["persons", "households", "household_statuses", "surveys", "benefits", "services", "providers", "townships"]
#: The temporary table of the certified persons (id, household, hukou region, birth date).
CERTIFIED = "yg_snapshot_certified"
CHUNK = 20_000  # rows fetched at a time from a database without COPY

_FLAGS = {
    "reached",
    "vocational_training",
    "rehabilitation_received",
    "device_fitted",
    "care_received",
    "eligible",
    "receiving",
    "active",
}
_INTS = {"year", "level"}


def _type(name: str) -> str:
    """A source column's DuckDB type, by its name."""
    if name in _FLAGS or name.endswith("__eligible"):
        return "BOOLEAN"
    if name in _INTS:
        return "INTEGER"
    if name == "household_income" or name.endswith("_id"):
        return "BIGINT"
    if name.endswith(("_date", "_on")):
        return "DATE"
    return "VARCHAR"


@dataclass(frozen=True)
class Source:
    """One SELECT run on the project's database: its SQL, parameters and column names."""

    name: str
    sql: str
    params: tuple[Any, ...]
    columns: list[str]
    types: dict[str, str] = field(default_factory=dict)  # DuckDB types other than ``_type``'s

    def type(self, column: str) -> str:
        return self.types.get(column) or _type(column)


def _from(queryset: Any, name: str, columns: list[str]) -> Source:
    sql, params = queryset.query.sql_with_params()
    return Source(name, f"SELECT * FROM ({sql}) q", tuple(params), columns)


def _facts_types(key: str) -> dict[str, str]:
    """The DuckDB types of a table the screening reads (``facts.SNAPSHOT_COLUMNS``)."""
    return dict(column.split(" ", 1) for column in fact_columns.SNAPSHOT_COLUMNS[key].split(", "))


def _sources(as_of: datetime.date) -> list[Source]:
    """What the snapshot is made of, as SELECTs over the project's tables and the
    temporary table ``CERTIFIED`` (database ids still in: ``write`` replaces them by
    keys). Besides the snapshot's own tables, what the benefit screening reads about
    those persons (their certificates with their status histories, person facts, the
    hukou regions' urban-rural class, two more survey answers): the screening runs on
    DuckDB (``benefits.rules.screening_sql``, the one rule, in its DuckDB dialect), and
    these stay in memory."""
    t = {m: m._meta.db_table for m in (Certificate, CertificateStatusChange, Household, HouseholdStatus,
                                       AnnualSurvey, ServiceRecord, Need, PersonFact, Region)}
    persons, households = f"SELECT id FROM {CERTIFIED}", f"SELECT household_id FROM {CERTIFIED}"
    survey = [*SURVEY_COLUMNS, *SCREENING_SURVEY_COLUMNS]
    sources = [
        Source("persons", f"SELECT id AS person_id, household_id, hukou_region_id AS region_code, birth_date, "
                          f"deceased_date FROM {CERTIFIED}", (),
               ["person_id", "household_id", "region_code", "birth_date", "deceased_date"]),
        Source("certificates", f"SELECT id, person_id, level, category, issue_date, valid_until, components "
                               f"FROM {t[Certificate]} WHERE person_id IN ({persons})", (),
               ["id", "person_id", "level", "category", "issue_date", "valid_until", "components"],
               _facts_types("certificate")),
        Source("changes", f"SELECT id, certificate_id, status, effective_date FROM {t[CertificateStatusChange]} "
                          f"WHERE effective_date <= %s AND certificate_id IN (SELECT id FROM {t[Certificate]} "
                          f"WHERE person_id IN ({persons}))", (as_of,),
               ["id", "certificate_id", "status", "effective_date"], _facts_types("change")),
        Source("facts", f"SELECT person_id, kind, start_date, end_date, monthly_amount FROM {t[PersonFact]} "
                        f"WHERE start_date <= %s AND person_id IN ({persons})", (as_of,),
               ["person_id", "kind", "start_date", "end_date", "monthly_amount"], _facts_types("fact")),
        Source("regions", f"SELECT code, urban_rural_class FROM {t[Region]} "
                          f"WHERE code IN (SELECT hukou_region_id FROM {CERTIFIED})", (),
               ["code", "urban_rural_class"]),
        Source("households", f"SELECT id AS household_id, region_id AS region_code FROM {t[Household]} "
                             f"WHERE id IN ({households})", (), ["household_id", "region_code"]),
        Source("household_statuses",
               f"SELECT household_id, status, start_date, end_date FROM {t[HouseholdStatus]} "
               f"WHERE start_date <= %s AND household_id IN ({households})", (as_of,),
               ["household_id", "status", "start_date", "end_date"]),
        Source("surveys", f"SELECT person_id, {', '.join(survey)} FROM {t[AnnualSurvey]} "
                          f"WHERE year <= %s AND person_id IN ({persons})", (as_of.year,),
               ["person_id", *survey]),
        Source("services",
               f"SELECT n.person_id, r.provider_id, r.kind, r.started_on, r.ended_on, r.outcome "
               f"FROM {t[ServiceRecord]} r JOIN {t[Need]} n ON n.id = r.need_id "
               f"WHERE r.started_on <= %s AND n.person_id IN ({persons})", (as_of,),
               ["person_id", "provider_id", "kind", "started_on", "ended_on", "outcome"]),
    ]
    receiving = (
        benefit_selectors.grants_for(None, running_on=as_of)
        .filter(programme__in=BENEFIT_PROGRAMMES)
        .order_by()
        .values("person_id", "programme")
        .distinct()
    )
    sql, params = receiving.query.sql_with_params()
    sources.append(
        Source(
            "receiving",
            f"SELECT * FROM ({sql}) g WHERE g.person_id IN ({persons})",
            tuple(params),
            ["person_id", "programme"],
        )
    )
    designated = (Q(designated_from__isnull=True) | Q(designated_from__lte=as_of)) & (
        Q(designated_until__isnull=True) | Q(designated_until__gte=as_of)
    )
    active = Case(
        When(designated & Q(status=ProviderStatus.ACTIVE), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    providers = Provider.objects.annotate(is_active=active).order_by().values("pk", "region_id", "kind", "is_active")
    sources.append(_from(providers, "providers", ["provider_id", "region_code", "kind", "active"]))
    current = (Q(valid_from__isnull=True) | Q(valid_from__lte=as_of)) & (
        Q(valid_until__isnull=True) | Q(valid_until__gt=as_of)
    )
    townships = Region.objects.filter(current, level=RegionLevel.TOWNSHIP).order_by().values("code")
    sources.append(_from(townships, "townships", ["region_code"]))
    return sources


#: The snapshot's tables from the sources (``src_<name>``) and the key maps (``pmap``,
#: ``hmap``, ``smap``: database id → key), in DuckDB.
_AGE = (
    "(year(DATE '{d}') - year(p.birth_date) - CASE WHEN month(p.birth_date) > {m} OR "
    "(month(p.birth_date) = {m} AND day(p.birth_date) > {day}) THEN 1 ELSE 0 END)::INTEGER"
)
_OUTPUT = {
    "persons": "SELECT pm.key AS person_key, hm.key AS household_key, p.region_code, {age} AS age, "
    "l.level::INTEGER AS level FROM src_persons p JOIN pmap pm ON pm.id = p.person_id "
    "LEFT JOIN hmap hm ON hm.id = p.household_id LEFT JOIN (SELECT person_id, min(level) AS level "
    "FROM src_certificates WHERE issue_date <= DATE '{d}' AND valid_until >= DATE '{d}' "
    "GROUP BY person_id) l ON l.person_id = p.person_id",
    "households": "SELECT hm.key AS household_key, h.region_code FROM src_households h "
    "JOIN hmap hm ON hm.id = h.household_id",
    "household_statuses": "SELECT hm.key AS household_key, s.status, s.start_date, s.end_date "
    "FROM src_household_statuses s JOIN hmap hm ON hm.id = s.household_id",
    "surveys": "SELECT pm.key AS person_key, {survey} FROM src_surveys s JOIN pmap pm ON pm.id = s.person_id",
    "benefits": "SELECT pm.key AS person_key, b.programme, b.eligible, b.receiving FROM ({benefits}) b "
    "JOIN pmap pm ON pm.id = b.person_id",
    "services": "SELECT pm.key AS person_key, sm.key AS provider_key, s.kind, s.started_on, s.ended_on, s.outcome "
    "FROM src_services s JOIN pmap pm ON pm.id = s.person_id LEFT JOIN smap sm ON sm.id = s.provider_id",
    "providers": "SELECT sm.key AS provider_key, v.region_code, v.kind, v.active FROM src_providers v "
    "JOIN smap sm ON sm.id = v.provider_id",
    "townships": "SELECT region_code FROM src_townships ORDER BY region_code",
}


def _benefits_sql() -> str:
    """Per person and programme: eligible (screened) or receiving (a grant pays), or both."""
    parts = []
    for p in BENEFIT_PROGRAMMES:
        parts.append(
            f"SELECT coalesce(e.person_id, r.person_id) AS person_id, '{p}' AS programme, "
            f"coalesce(e.{p}__eligible, false) AS eligible, r.person_id IS NOT NULL AS receiving "
            f"FROM (SELECT person_id, {p}__eligible FROM src_eligible WHERE {p}__eligible) e FULL JOIN "
            f"(SELECT DISTINCT person_id FROM src_receiving WHERE programme = '{p}') r "
            f"ON r.person_id = e.person_id"
        )
    return " UNION ALL ".join(parts)


def _read_copy(con: duckdb.DuckDBPyConnection, cursor: Any, source: Source, scratch: Path) -> None:
    """PostgreSQL: the SELECT's rows by ``COPY … TO STDOUT`` as CSV into a scratch file,
    parsed by DuckDB with the columns' types (an empty string reads as NULL, like a
    missing answer)."""
    path = scratch / f"{source.name}.csv"
    query = cursor.mogrify(source.sql, source.params) if source.params else source.sql
    with open(path, "wb") as f, cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
        for data in copy:
            f.write(data)
    columns = ", ".join(f"'{c}': '{source.type(c)}'" for c in source.columns)
    con.execute(
        f"CREATE TABLE src_{source.name} AS SELECT * FROM read_csv('{_quoted(path)}', header = false, "
        f"auto_detect = false, columns = {{{columns}}})"
    )
    path.unlink()


def _read_rows(con: duckdb.DuckDBPyConnection, cursor: Any, source: Source) -> None:
    """Another database (SQLite): the SELECT's rows through the cursor, in chunks, cast
    to the columns' types by DuckDB."""
    cursor.execute(source.sql, source.params)
    chunks = []
    while rows := cursor.fetchmany(CHUNK):
        chunks.append(
            pa.table(
                {
                    c: pa.array([None if v == "" else v for v in values])
                    for c, values in zip(source.columns, zip(*rows, strict=True), strict=True)
                }
            )
        )
    casts = ", ".join(f"CAST({c} AS {source.type(c)}) AS {c}" for c in source.columns)
    empty = ", ".join(f"CAST(NULL AS {source.type(c)}) AS {c}" for c in source.columns)
    con.execute(f"CREATE TABLE src_{source.name} AS SELECT {empty} LIMIT 0")
    for i, chunk in enumerate(chunks):
        con.register(f"chunk_{i}", chunk)
        con.execute(f"INSERT INTO src_{source.name} SELECT {casts} FROM chunk_{i}")
        con.unregister(f"chunk_{i}")


#: The tables the screening reads (``benefits.facts.SNAPSHOT_COLUMNS``), by the name it
#: reads them under, as views of the sources.
_SCREENING_VIEWS = {
    Person: "SELECT person_id AS id, birth_date, deceased_date, region_code AS hukou_region_id, household_id "
    "FROM src_persons",
    Region: "SELECT code, urban_rural_class FROM src_regions",
    Certificate: "SELECT * FROM src_certificates",
    CertificateStatusChange: "SELECT * FROM src_changes",
    HouseholdStatus: "SELECT * FROM src_household_statuses",
    PersonFact: "SELECT * FROM src_facts",
    AnnualSurvey: "SELECT person_id, year, reached, pension_insurance, device_need, device_fitted, care_received, "
    "survey_date FROM src_surveys",
}


def _screen(con: duckdb.DuckDBPyConnection, as_of: datetime.date) -> None:
    """``src_eligible``: the persons eligible for some programme of ``BENEFIT_PROGRAMMES``
    on ``as_of``, screened on DuckDB in one pass (``benefits.rules.screening_sql``)."""
    for model, sql in _SCREENING_VIEWS.items():
        con.execute(f"CREATE VIEW {model._meta.db_table} AS {sql}")
    query, _layout = benefit_rules.screening_sql(BENEFIT_PROGRAMMES, as_of, dialect="duckdb")
    verdicts = ", ".join(f"{p}__eligible = 1 AS {p}__eligible" for p in BENEFIT_PROGRAMMES)
    any_of = " OR ".join(f"{p}__eligible = 1" for p in BENEFIT_PROGRAMMES)
    con.execute(f"CREATE TABLE src_eligible AS SELECT id AS person_id, {verdicts} FROM ({query}) s WHERE {any_of}")


def _quoted(path: Path) -> str:
    """A path inside a SQL string literal."""
    return str(path).replace("'", "''")


def _keys(count: int) -> np.ndarray:
    """``count`` distinct random 63-bit keys from the operating system's random source."""
    while True:
        keys = np.frombuffer(secrets.token_bytes(8 * count), dtype=np.uint64) >> np.uint64(1)
        drawn = np.sort(keys)  # (np.unique took 20 times as long)
        if not (drawn[1:] == drawn[:-1]).any():
            return keys.astype(np.int64)


@contextmanager
def _certified(cursor: Any, as_of: datetime.date) -> Iterator[None]:
    """The temporary table ``CERTIFIED`` of the persons certified on ``as_of``, listed once."""
    sql, params = (
        Person.objects.filter(certified_q(as_of))
        .values("id", "household_id", "hukou_region_id", "birth_date", "deceased_date")
        .query.sql_with_params()
    )
    cursor.execute(f"DROP TABLE IF EXISTS {CERTIFIED}")
    cursor.execute(f"CREATE TEMPORARY TABLE {CERTIFIED} AS {sql}", params)
    try:
        if cursor.db.vendor == "postgresql":
            cursor.execute(f"ANALYZE {CERTIFIED}")
        yield
    finally:
        cursor.execute(f"DROP TABLE IF EXISTS {CERTIFIED}")


def write(as_of: datetime.date, out: Path, *, timings: dict[str, float] | None = None) -> dict[str, int]:
    """Write the snapshot for ``as_of`` into ``out``; the row counts per table (and into
    ``timings``, when given, the seconds of each step: a benchmark's breakdown)."""
    timings = {} if timings is None else timings
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[step] = round(now - clock, 2)
        clock = now

    out.mkdir(parents=True, exist_ok=True)
    connection = connections["default"]
    con = duckdb.connect()
    with tempfile.TemporaryDirectory(dir=out) as scratch, transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")  # compiling plain scans costs more than it saves
        with _certified(cursor, as_of):
            lap("certified")
            for source in _sources(as_of):
                if connection.vendor == "postgresql":
                    _read_copy(con, cursor.cursor, source, Path(scratch))
                else:
                    _read_rows(con, cursor, source)
                lap(f"read_{source.name}")
    _screen(con, as_of)
    lap("screening")
    ids = {
        name: con.execute(f"SELECT DISTINCT {column} AS id FROM src_{table} WHERE {column} IS NOT NULL").fetchnumpy()[
            "id"
        ]
        for name, table, column in [
            ("pmap", "persons", "person_id"),
            ("hmap", "persons", "household_id"),
            ("smap", "providers", "provider_id"),
        ]
    }
    keys = _keys(sum(len(v) for v in ids.values()))
    start = 0
    for name, values in ids.items():
        con.register(f"{name}_arrow", pa.table({"id": values, "key": keys[start : start + len(values)]}))
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")
        con.unregister(f"{name}_arrow")
        start += len(values)
    lap("keys")
    age = _AGE.format(d=as_of.isoformat(), m=as_of.month, day=as_of.day)
    counts: dict[str, int] = {}
    for name in TABLES:
        query = _OUTPUT[name].format(
            age=age, d=as_of.isoformat(), survey=", ".join(f"s.{c}" for c in SURVEY_COLUMNS), benefits=_benefits_sql()
        )
        path = _quoted(out / f"{name}.parquet")
        con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet)")
        counts[name] = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
        lap(f"write_{name}")
    con.close()
    (out / "manifest.json").write_text(
        json.dumps({"as_of": as_of.isoformat(), "version": SNAPSHOT_VERSION, "rows": counts}, ensure_ascii=False)
    )
    return counts
