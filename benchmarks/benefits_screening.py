"""Benefit screening benchmark: set-based screening against the per-person loop.

    .venv/bin/python benchmarks/benefits_screening.py [--persons N] [--loop-persons L] [--on DAY]
    .venv/bin/python benchmarks/benefits_screening.py --snapshot [--persons N] [--loop-persons L]

**--snapshot** (millions of persons): the tables the screening reads (``benefits.facts.
SNAPSHOT_COLUMNS``: persons, certificates and their status changes, household
statuses, other benefits, surveys, regions) generated in DuckDB for N persons of the
five jurisdictions and written as Parquet (``GENERATE`` says what is in them); then,
timed, every programme screened set-based on DuckDB over those files in one statement
(``benefits.rules.screening_sql``: each fact computed once per person, every
jurisdiction's rule, eligibility, amount and each condition for every person and
programme, written to a table); the decisions of the first 20,000 persons eligible for
the care allowance written with their reasons (``rules.screen_snapshot``), timed apart;
then L sampled persons (every N/L-th) copied with their facts into the database and the
per-person loop (``rules.decide``, every programme) run on them, its time scaled to N.
The loop's eligibility and amounts must equal the set-based ones for those persons
(checked).

Without --snapshot:

On a fresh SQLite database in a temporary var directory (or DATABASE_URL's database,
which must then be empty): migrate, import N generated persons of the five
jurisdictions (the demo generator, the registry's import), give their households
economic statuses (dibao 15 %, near-dibao 5 %, tekun 2 %) and a few persons other
benefits (elderly care allowance, orphan support, work-injury care fee, a motorized
wheelchair), then screen every programme on DAY two ways, in the same run on the same
data:

- set-based: ``benefits.rules.screen`` per programme over all persons, the rule as SQL
  (every eligible person's decision with its reasons materialised);
- the loop: ``benefits.rules.decide`` for each person in turn, every programme (what
  OpenSPP-style systems do: evaluate each registrant), on the first L persons
  (default all), its time scaled to N when L < N.

Both must find the same eligible persons among the first L (checked); prints both
timings, persons per second and the ratio as one JSON line at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--loop-persons", type=int, default=0, help="0: all")
    parser.add_argument("--on", default="2025-06-01")
    parser.add_argument("--snapshot", action="store_true",
                        help="generate the tables in DuckDB/Parquet and screen there")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        os.environ.setdefault("YANGGUANG_VAR_DIR", var)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yangguang.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        on = dt.date.fromisoformat(args.on)
        if args.snapshot:
            result = run_snapshot(args.persons, args.loop_persons or 2000, on, Path(var))
        else:
            result = run(args.persons, args.loop_persons or args.persons, on)
        print(json.dumps(result, ensure_ascii=False, default=str))


def populate(persons: int) -> None:
    from decimal import Decimal

    from yangguang.audit.services import Actor
    from yangguang.benefits.models import PersonFact
    from yangguang.demo.generator import iter_rows
    from yangguang.registry.importing import import_rows
    from yangguang.registry.models import Household, HouseholdStatus, Person

    import_rows(iter_rows(persons), actor=Actor("benchmark"))
    rng = random.Random(19)
    statuses = []
    for household in Household.objects.values_list("pk", flat=True).iterator():
        draw = rng.random()
        status = "dibao" if draw < 0.15 else "near_dibao" if draw < 0.20 else \
            "tekun" if draw < 0.22 else None
        if status:
            start = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(3600))
            statuses.append(HouseholdStatus(household_id=household, status=status, start_date=start))
    HouseholdStatus.objects.bulk_create(statuses, batch_size=5000)
    facts = []
    kinds = [("elderly_care_allowance", 150), ("orphan_support", 1200),
             ("work_injury_care_fee", 900), ("motorized_wheelchair", None)]
    for pk in Person.objects.values_list("pk", flat=True).iterator():
        if rng.random() < 0.03:
            kind, amount = rng.choice(kinds)
            facts.append(PersonFact(person_id=pk, kind=kind, start_date=dt.date(2020, 1, 1),
                                    monthly_amount=Decimal(amount) if amount else None,
                                    source="benchmark"))
    PersonFact.objects.bulk_create(facts, batch_size=5000)


def run(persons: int, loop_persons: int, on: dt.date) -> dict[str, object]:
    from django.db import connection

    from yangguang.benefits import policy, rules
    from yangguang.registry.models import Person

    started = time.perf_counter()
    populate(persons)
    setup_s = time.perf_counter() - started
    pol = policy.policies()
    stored = Person.objects.count()

    started = time.perf_counter()
    eligible_set: dict[str, set[int]] = {}
    for key in pol.programmes:
        eligible_set[key] = {d.person_id for d in rules.screen(Person.objects.all(), key, on,
                                                                eligible=True)}
    set_s = time.perf_counter() - started

    sample = list(Person.objects.order_by("id")[:loop_persons])
    started = time.perf_counter()
    eligible_loop: dict[str, set[int]] = {key: set() for key in pol.programmes}
    for person in sample:
        for decision in rules.decide(person, on):
            if decision.eligible:
                eligible_loop[decision.programme].add(person.pk)
    loop_s = time.perf_counter() - started
    sampled = {p.pk for p in sample}
    agree = all(eligible_set[k] & sampled == eligible_loop[k] for k in pol.programmes)
    loop_all_s = loop_s * stored / max(len(sample), 1)
    return {
        "persons": stored, "on": on.isoformat(), "programmes": len(pol.programmes),
        "database": connection.vendor,
        "setup_s": round(setup_s, 1),
        "eligible": {k: len(v) for k, v in eligible_set.items()},
        "set_based_s": round(set_s, 2),
        "set_based_persons_per_s": round(stored / set_s),
        "loop_persons": len(sample), "loop_s": round(loop_s, 2),
        "loop_s_for_all": round(loop_all_s, 1),
        "loop_persons_per_s": round(len(sample) / loop_s),
        "ratio": round(loop_all_s / set_s, 1),
        "agree_on_loop_persons": agree,
    }


# ---------------------------------------------------------------------------
# --snapshot: the set-based screening on DuckDB over generated Parquet tables

#: The generated data (per person unless said): a certificate 92 % with its issue in its
#: status history (one in 40 expired, one in 30 cancelled or frozen since; a 多重 one with
#: two components, the first at its level), the household's economic status (dibao 15 %,
#: near-dibao 5 %, tekun 2 %, one in 10 ended), another benefit 3 %, a survey 50 %,
#: deceased 3 %. Households of one or two persons.
GENERATE = {
    "registry_person": """
        SELECT i AS id,
               DATE '1940-01-01' + CAST(hash(i, 1) % 30500 AS INTEGER) AS birth_date,
               CASE WHEN hash(i, 2) % 100 < 3 THEN DATE '2016-01-01' + CAST(hash(i, 3) % 3800 AS INTEGER)
               END AS deceased_date,
               r.code AS hukou_region_id, i // 2 AS household_id
        FROM range(1, {n} + 1) t(i) JOIN regions r ON r.n = hash(i, 4) % {regions}""",
    "regions_region": "SELECT code, urban_rural_class FROM regions",
    "registry_certificate": """
        SELECT i AS id, i AS person_id, CAST(1 + hash(i, 5) % 4 AS SMALLINT) AS level,
               CAST(1 + hash(i, 6) % 7 AS SMALLINT) AS category,
               DATE '2014-01-01' + CAST(hash(i, 7) % 4300 AS INTEGER) AS issue_date,
               DATE '2014-01-01' + CAST(hash(i, 7) % 4300 AS INTEGER)
                 + CASE WHEN hash(i, 8) % 40 = 0 THEN 1000 ELSE 3650 END AS valid_until,
               CASE WHEN 1 + hash(i, 6) % 7 = 7 THEN '[{{"category": ' || (1 + hash(i, 24) % 6)
                 || ', "level": ' || (1 + hash(i, 5) % 4) || '}}, {{"category": ' || (1 + (hash(i, 24) + 1) % 6)
                 || ', "level": 4}}]' ELSE '[]' END AS components
        FROM range(1, {n} + 1) t(i) WHERE hash(i, 9) % 100 < 92""",
    "registry_certificatestatuschange": """
        SELECT 2 * i AS id, i AS certificate_id, 'valid' AS status,
               DATE '2014-01-01' + CAST(hash(i, 7) % 4300 AS INTEGER) AS effective_date
        FROM range(1, {n} + 1) t(i) WHERE hash(i, 9) % 100 < 92
        UNION ALL
        SELECT 2 * i + 1, i, CASE WHEN hash(i, 10) % 2 = 0 THEN 'cancelled' ELSE 'frozen' END,
               DATE '2014-01-01' + CAST(hash(i, 7) % 4300 AS INTEGER) + CAST(hash(i, 11) % 3000 AS INTEGER)
        FROM range(1, {n} + 1) t(i) WHERE hash(i, 9) % 100 < 92 AND hash(i, 12) % 30 = 0""",
    "registry_householdstatus": """
        SELECT h AS household_id,
               CASE WHEN hash(h, 13) % 100 < 15 THEN 'dibao' WHEN hash(h, 13) % 100 < 20 THEN 'near_dibao'
                    ELSE 'tekun' END AS status,
               DATE '2016-01-01' + CAST(hash(h, 14) % 3600 AS INTEGER) AS start_date,
               CASE WHEN hash(h, 15) % 10 = 0 THEN DATE '2026-01-01' + CAST(hash(h, 14) % 3600 AS INTEGER)
                    - 3600 END AS end_date
        FROM range(0, {n} // 2 + 1) t(h) WHERE hash(h, 13) % 100 < 22""",
    "benefits_personfact": """
        SELECT i AS person_id,
               ['elderly_care_allowance', 'orphan_support', 'work_injury_care_fee',
                'motorized_wheelchair', 'elderly_living_allowance'][CAST(1 + hash(i, 17) % 5 AS BIGINT)] AS kind,
               DATE '2020-01-01' AS start_date, CAST(NULL AS DATE) AS end_date,
               CAST([150, 1200, 900, NULL, 100][CAST(1 + hash(i, 17) % 5 AS BIGINT)] AS DECIMAL(12,2)) AS monthly_amount
        FROM range(1, {n} + 1) t(i) WHERE hash(i, 16) % 100 < 3""",
    "survey_annualsurvey": """
        SELECT i AS person_id, CAST(2024 AS SMALLINT) AS year, TRUE AS reached,
               ['paying', 'government_paid', 'not_insured', ''][CAST(1 + hash(i, 19) % 4 AS BIGINT)]
                 AS pension_insurance,
               ['', 'none', 'mobility'][CAST(1 + hash(i, 20) % 3 AS BIGINT)] AS device_need,
               [NULL, TRUE, FALSE][CAST(1 + hash(i, 21) % 3 AS BIGINT)] AS device_fitted,
               [NULL, TRUE, FALSE][CAST(1 + hash(i, 22) % 3 AS BIGINT)] AS care_received,
               DATE '2024-03-01' + CAST(hash(i, 23) % 200 AS INTEGER) AS survey_date
        FROM range(1, {n} + 1) t(i) WHERE hash(i, 18) % 2 = 0""",
}


def _regions() -> list[tuple[str, str]]:
    """The villages (Zhejiang: townships) of the jurisdictions the policies name."""
    from django.db.models import Q

    from yangguang.registry.models import Region

    return list(Region.objects.filter(Q(level=5) | Q(level=4, code__startswith="33"))
                .filter(Q(code__startswith="63") | Q(code__startswith="14") | Q(code__startswith="62")
                        | Q(code__startswith="61") | Q(code__startswith="37") | Q(code__startswith="33"))
                .order_by("code").values_list("code", "urban_rural_class"))


def generate(con, persons: int, folder: Path) -> dict[str, Path]:
    """The tables ``facts.sql`` reads, generated in DuckDB and written as Parquet."""
    import pyarrow as pa

    from yangguang.benefits import facts

    regions = _regions()
    con.register("regions_list", pa.table({"n": list(range(len(regions))),
                                           "code": [c for c, _u in regions],
                                           "urban_rural_class": [u for _c, u in regions]}))
    con.execute("CREATE TEMP TABLE regions AS SELECT * FROM regions_list")
    files = {}
    for table, columns in facts.snapshot_tables().items():
        names = ", ".join(column.split()[0] for column in columns.split(", "))
        files[table] = folder / f"{table}.parquet"
        select = GENERATE[table].format(n=persons, regions=len(regions))
        con.execute(f"COPY (SELECT {names} FROM ({select})) TO '{files[table]}' (FORMAT parquet)")
    return files


def load_sample(con, ids: list[int]) -> None:
    """The sampled persons with their facts, from the snapshot into the database (the
    loop reads them there, as ``decide`` does in production)."""
    from decimal import Decimal

    from yangguang.benefits.models import PersonFact
    from yangguang.registry.models import (
        Certificate,
        CertificateStatusChange,
        Household,
        HouseholdStatus,
        Person,
    )
    from yangguang.survey.models import AnnualSurvey

    chosen = ", ".join(map(str, ids))

    def rows(sql: str) -> list[dict]:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

    people = rows(f"SELECT * FROM registry_person WHERE id IN ({chosen})")
    households = {p["household_id"]: p["hukou_region_id"] for p in people}
    Household.objects.bulk_create([Household(id=h, number=f"B{h}", region_id=r) for h, r in households.items()])
    Person.objects.bulk_create([
        Person(id=p["id"], id_number_encrypted=b"", id_number_hash=f"bench{p['id']}", id_number_masked="",
               name=f"P{p['id']}", sex=1, birth_date=p["birth_date"], hukou_region_id=p["hukou_region_id"],
               household_id=p["household_id"], deceased_date=p["deceased_date"]) for p in people])
    Certificate.objects.bulk_create([
        Certificate(id=c["id"], person_id=c["person_id"], level=c["level"], category=c["category"],
                    issue_date=c["issue_date"], valid_until=c["valid_until"],
                    components=json.loads(c["components"]))
        for c in rows(f"SELECT * FROM registry_certificate WHERE person_id IN ({chosen})")])
    CertificateStatusChange.objects.bulk_create([
        CertificateStatusChange(id=c["id"], certificate_id=c["certificate_id"], status=c["status"],
                                effective_date=c["effective_date"], reason="issued")
        for c in rows(f"SELECT * FROM registry_certificatestatuschange WHERE certificate_id IN ({chosen})")])
    HouseholdStatus.objects.bulk_create([
        HouseholdStatus(**s) for s in rows(
            f"SELECT * FROM registry_householdstatus WHERE household_id IN "
            f"({', '.join(map(str, households))})")])
    PersonFact.objects.bulk_create([
        PersonFact(**{**f, "monthly_amount": Decimal(f["monthly_amount"]) if f["monthly_amount"] is not None
                      else None}, source="benchmark")
        for f in rows(f"SELECT * FROM benefits_personfact WHERE person_id IN ({chosen})")])
    AnnualSurvey.objects.bulk_create([
        AnnualSurvey(**s) for s in rows(f"SELECT * FROM survey_annualsurvey WHERE person_id IN ({chosen})")])


def _cpu() -> float:
    """CPU seconds of this process so far (every thread: DuckDB's too)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_snapshot(persons: int, loop_persons: int, on: dt.date, folder: Path) -> dict[str, object]:
    import duckdb

    from yangguang.benefits import policy, rules
    from yangguang.registry.models import Person

    pol = policy.policies()
    keys = list(pol.programmes)
    started = time.perf_counter()
    files = generate(duckdb.connect(), persons, folder)
    generate_s = time.perf_counter() - started

    # Set-based: a fresh connection, the Parquet files as the tables; the day's facts
    # written once, one row per person (``rules.snapshot_facts``); then every programme
    # in one statement over them, the result (per person and programme: the rule's
    # area, amount, each condition, eligible) written to a table. Wall and CPU seconds
    # (this process, all DuckDB threads: the machine is shared, CPU is what we spend).
    con = duckdb.connect()
    for table, path in files.items():
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
    started, cpu = time.perf_counter(), _cpu()
    rules.snapshot_facts(con, on, table="facts", pol=pol)
    facts_s, facts_cpu = time.perf_counter() - started, _cpu() - cpu
    query, layout = rules.screening_sql(keys, on, dialect="duckdb", pol=pol, facts_table="facts")
    kept = ", ".join(c for key, parts in layout.items() for c in
                     [f"{key}__part", f"{key}__row", f"{key}__amount", f"{key}__eligible",
                      *(f"{key}__c{j}" for j in range(max((len(r.conditions) for _a, r in parts),
                                                          default=0)))])
    con.execute(f"CREATE TABLE screened AS SELECT id, {kept} FROM ({query}) s")
    eligible = dict(zip(keys, con.execute(
        f"SELECT {', '.join(f'SUM({k}__eligible)' for k in keys)} FROM screened").fetchone(), strict=True))
    set_s, set_cpu = time.perf_counter() - started, _cpu() - cpu
    stored = con.execute("SELECT COUNT(*) FROM screened").fetchone()[0]

    # Reasons: the decisions of the first 20,000 eligible for the care allowance, written
    # from the facts and flags (what a list page or the command line does).
    started = time.perf_counter()
    written = sum(1 for _d in itertools.islice(
        rules.screen_snapshot(con, "care_allowance", on, pol=pol, eligible=True, facts_table="facts"),
        20_000))
    reasons_s = time.perf_counter() - started

    # The loop: a sample of persons into the database, ``decide`` for each in turn.
    step = max(persons // loop_persons, 1)
    ids = [row[0] for row in con.execute(
        f"SELECT id FROM registry_person WHERE id % {step} = 0 ORDER BY id LIMIT {loop_persons}").fetchall()]
    load_sample(con, ids)
    sample = list(Person.objects.order_by("id"))
    started = time.perf_counter()
    loop: dict[tuple[int, str], tuple[bool, object]] = {}
    for person in sample:
        for d in rules.decide(person, on, pol=pol):
            loop[(person.pk, d.programme)] = (d.eligible, d.amount if d.eligible else None)
    loop_s = time.perf_counter() - started
    ours = {}
    for row in con.execute(f"SELECT id, {', '.join(f'{k}__eligible, {k}__amount' for k in keys)} "
                           f"FROM screened WHERE id IN ({', '.join(map(str, ids))})").fetchall():
        for i, key in enumerate(keys):
            ours[(row[0], key)] = (bool(row[1 + 2 * i]), row[2 + 2 * i] if row[1 + 2 * i] else None)
    differ = sorted(k for k in loop if ours.get(k) != loop[k])
    loop_all_s = loop_s * stored / max(len(sample), 1)
    return {
        "engine": "duckdb over parquet", "persons": stored, "on": on.isoformat(), "programmes": len(keys),
        "generate_s": round(generate_s, 1),
        "eligible": eligible,
        "set_based_s": round(set_s, 2), "set_based_cpu_s": round(set_cpu, 2),
        "facts_s": round(facts_s, 2), "facts_cpu_s": round(facts_cpu, 2),
        "rules_s": round(set_s - facts_s, 2), "rules_cpu_s": round(set_cpu - facts_cpu, 2),
        "set_based_persons_per_s": round(stored / set_s),
        "reasons_written": written, "reasons_s": round(reasons_s, 2),
        "loop_persons": len(sample), "loop_s": round(loop_s, 2),
        "loop_s_for_all": round(loop_all_s, 1), "loop_persons_per_s": round(len(sample) / loop_s),
        "ratio": round(loop_all_s / set_s, 1),
        "agree_on_loop_persons": not differ,
        "differ": [[*k, str(ours.get(k)), str(loop[k])] for k in differ[:5]],
    }


if __name__ == "__main__":
    main()
