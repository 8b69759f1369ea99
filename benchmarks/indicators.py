"""Indicator benchmark: snapshot + Ibis/DuckDB against the same indicators as plain SQL
GROUP BY on PostgreSQL, in one run, on the same generated data.

    .venv/bin/python benchmarks/indicators.py [--persons N] [--as-of DAY] [--keep]

On a fresh PostgreSQL database ``yg_bench_ind_<pid>`` (dropped at the end unless
``--keep``): migrate, then generate N persons in 青海省 (every village of the province
in turn) with SQL (``generate_series``; deterministic, no randomness): two persons a
household, one certificate each (some expired, 2 % dead), surveys of the as-of year and
the year before, household statuses (低保 1/7, 低保边缘 1/7, 特困 1/31), living and care
allowance applications and grants, home modifications (service records) for 1 in 40,
and a 残疾人之家 in 3 townships of 5. Then, timed:

- **ours**: ``analytics.snapshot.write`` (the de-identified Parquet snapshot, from
  PostgreSQL) and every catalogue entry (``analytics.catalogue``) summed by region at
  every level — province, prefecture, county, township — on DuckDB
  (``analytics.engine.sums``), each region's value worked out (``Definition.result``);
- **baseline**: the same twelve indicators as plain SQL on PostgreSQL — a temporary
  table of the persons certified on the day and of the persons eligible for each
  programme (the SQL of ``registry.rules.certified_q`` and ``benefits.rules``, the same
  rules), then one ``GROUP BY substr(region, 1, n)`` query per indicator and level.

Both must give the same sums for every indicator, level and region (checked; exit 1
if not). Prints both timings, the ratio and the row counts as one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432/"
LEVEL_PREFIX = {1: 2, 2: 4, 3: 6, 4: 9}
STUDYING = "('preschool', 'compulsory', 'home_delivered', 'high_school', 'special_school')"
HARDSHIP = "('dibao', 'near_dibao', 'tekun', 'low_income', 'monitored')"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--as-of", default="2024-06-30")
    parser.add_argument("--start-year", type=int, default=2021)
    parser.add_argument("--pg-url", default=PG)
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument("--reuse", metavar="NAME", help="time on a database a --keep run left (no generation)")
    args = parser.parse_args()
    import psycopg

    name = args.reuse or f"yg_bench_ind_{os.getpid()}"
    admin = psycopg.connect(args.pg_url + "postgres", autocommit=True)
    if not args.reuse:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = args.pg_url + name
    try:
        with tempfile.TemporaryDirectory() as var:
            os.environ.setdefault("YANGGUANG_VAR_DIR", var)
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yangguang.settings")
            sys.path.insert(0, str(ROOT))
            import django

            django.setup()
            from django.core.management import call_command

            if not args.reuse:
                call_command("migrate", verbosity=0)
            result = run(
                args.persons, dt.date.fromisoformat(args.as_of), args.start_year, Path(var), generate=not args.reuse
            )
            print(json.dumps(result, ensure_ascii=False))
            from django.db import connections

            connections.close_all()
    finally:
        if not (args.keep or args.reuse):
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    sys.exit(0 if result["equal"] else 1)


def populate(persons: int, as_of: dt.date) -> dict[str, int]:
    """The generated world, in SQL; the row counts per table."""
    from django.db import connection

    year = as_of.year
    statements = [
        "CREATE TEMP TABLE vill AS SELECT row_number() OVER (ORDER BY code) - 1 AS idx, code FROM regions_region "
        "WHERE code LIKE '63%%' AND level = 5 AND valid_until IS NULL",
        f"INSERT INTO registry_household (id, number, region_id, created_at, updated_at) "
        f"SELECT j + 1, 'B' || j, v.code, now(), now() FROM generate_series(0::bigint, {persons} / 2) j "
        f"JOIN vill v ON v.idx = (2 * j) % (SELECT count(*) FROM vill)",
        f"INSERT INTO registry_person (id, id_number_encrypted, id_number_hash, id_number_masked, name, sex, "
        f"birth_date, ethnicity, hukou_region_id, phone, guardian_name, guardian_phone, guardian_relation, "
        f"household_id, relation_to_head, deceased_date, created_at, updated_at) "
        f"SELECT i + 1, '\\x00'::bytea, md5(i::text), '****', 'P' || i, 1 + i % 2, "
        f"DATE '1935-01-01' + ((i * 7919) % 32000)::int, '01', v.code, '', '', '', '', i / 2 + 1, '', "
        f"CASE WHEN i % 50 = 0 THEN DATE '2023-03-01' END, now(), now() "
        f"FROM generate_series(0::bigint, {persons - 1}) i JOIN vill v ON v.idx = i % (SELECT count(*) FROM vill)",
        "INSERT INTO registry_certificate (person_id, reissue_count, category, level, components, issue_date, "
        "valid_until, status, created_at, updated_at) "
        "SELECT id, 0, 1 + id % 7, 1 + (id * 13) % 4, '[]'::jsonb, DATE '2018-01-01' + ((id * 31) % 2200)::int, "
        "CASE WHEN id % 37 = 0 THEN DATE '2023-12-31' ELSE DATE '2018-01-01' + ((id * 31) % 2200)::int + 3652 END, "
        "'valid', now(), now() FROM registry_person",
        "INSERT INTO registry_certificatestatuschange (certificate_id, status, reason, effective_date, note, "
        "recorded_at) SELECT id, 'valid', 'issued', issue_date, '', now() FROM registry_certificate",
        "INSERT INTO registry_certificatestatuschange (certificate_id, status, reason, effective_date, note, "
        "recorded_at) SELECT id, 'cancelled', 'no_longer_eligible', DATE '2023-01-01', '', now() "
        "FROM registry_certificate WHERE person_id % 53 = 0 AND issue_date < DATE '2023-01-01'",
        f"INSERT INTO survey_annualsurvey (person_id, year, reached, not_reached_reason, employment_status, "
        f"employment_form, vocational_training, household_income, pension_insurance, medical_insurance, "
        f"schooling, rehabilitation_need, rehabilitation_received, device_need, device_fitted, care_need, "
        f"care_received, accessibility_need, accessibility_done, support, main_difficulty, surveyor, "
        f"created_at, updated_at) "
        f"SELECT p.id, y, p.id % 20 <> 0, '', '', '', (p.id + y) % 13 = 0, 3000 + ((p.id / 2) * 37 + y * 101) % 30000, "
        f"(ARRAY['paying', 'government_paid', 'receiving', 'not_insured'])[1 + (p.id + y) % 4], "
        f"(ARRAY['insured', 'government_subsidised', 'not_insured'])[1 + (p.id * 3 + y) % 3], "
        f"CASE WHEN date_part('year', age(DATE '{as_of}', p.birth_date)) BETWEEN 3 AND 17 THEN "
        f"(ARRAY['compulsory', 'special_school', 'home_delivered', 'not_enrolled', 'high_school'])[1 + p.id % 5] "
        f"ELSE '' END, "
        f"(ARRAY['none', 'medical', 'training', 'support', ''])[1 + (p.id + y) % 5], (p.id * 7 + y) % 3 = 0, "
        f"(ARRAY['none', 'mobility', 'visual', 'hearing', 'none', ''])[1 + (p.id * 5 + y) % 6], "
        f"(p.id + y) % 4 = 0, '', NULL, NULL, NULL, '', '', '', now(), now() "
        f"FROM registry_person p CROSS JOIN (VALUES ({year - 1}), ({year})) AS ys(y)",
        "INSERT INTO registry_householdstatus (household_id, status, start_date, end_date) "
        "SELECT id, CASE WHEN id % 7 = 0 THEN 'dibao' WHEN id % 7 = 1 THEN 'near_dibao' ELSE 'tekun' END, "
        "DATE '2019-01-01' + (id % 1500)::int, CASE WHEN id % 11 = 0 THEN DATE '2023-06-30' END "
        "FROM registry_household WHERE id % 7 IN (0, 1) OR id % 31 = 2",
        "INSERT INTO benefits_benefitapplication (id, person_id, programme, applicant_type, applicant_name, "
        "state, applied_on, unit, reasons, rejection_reason, created_at) "
        "SELECT row_number() OVER (), p.id, g.programme, 'person', '', 'granted', DATE '2021-01-01', '', "
        "'[]'::jsonb, '', now() FROM registry_person p JOIN registry_certificate c ON c.person_id = p.id "
        "CROSS JOIN (VALUES ('living_allowance'), ('care_allowance')) AS g(programme) "
        "WHERE (g.programme = 'living_allowance' AND p.household_id % 7 = 0 AND p.id % 5 <> 0) "
        "OR (g.programme = 'care_allowance' AND c.level <= 2 AND p.id % 10 < 7)",
        f"INSERT INTO benefits_benefitgrant (person_id, programme, application_id, start_month, unit, reasons, "
        f"stop_month, stop_reason, created_at) "
        f"SELECT person_id, programme, id, DATE '2021-02-01', '', '[]'::jsonb, "
        f"CASE WHEN id % 9 = 0 THEN DATE '{year}-03-01' END, '', now() FROM benefits_benefitapplication",
        "INSERT INTO services_provider (id, name, kind, region_id, capacity, designated_from, status, phone, "
        "created_at, updated_at) "
        "SELECT row_number() OVER (ORDER BY code), '残疾人之家' || code, "
        "CASE WHEN row_number() OVER (ORDER BY code) % 5 < 3 THEN 'community_centre' ELSE 'rehabilitation' END, "
        "code, 20, DATE '2020-01-01', 'active', '', now(), now() FROM regions_region "
        "WHERE code LIKE '63%%' AND level = 4 AND valid_until IS NULL",
        "INSERT INTO services_need (id, person_id, kind, source, opened_on, state, state_since, note, survey_detail, "
        "created_at, updated_at) SELECT id, id, 'home_modification', 'direct', DATE '2021-03-01', 'met', "
        "DATE '2021-03-01', '', '', now(), now() FROM registry_person WHERE id % 40 = 0",
        "INSERT INTO services_referral (id, need_id, provider_id, referred_on, state, reason, created_at) "
        "SELECT n.id, n.id, 1, DATE '2021-03-01', 'accepted', '', now() FROM services_need n",
        "INSERT INTO services_servicerecord (referral_id, need_id, provider_id, kind, loan_action, started_on, "
        "ended_on, staff, cost, payer, outcome, note, created_at) "
        "SELECT id, id, 1, 'home_modification', '', DATE '2020-06-01' + (id % 1400)::int, "
        "CASE WHEN id % 3 <> 0 THEN DATE '2020-06-01' + (id % 1400)::int + 60 END, 'bench', 0, 'federation', "
        "CASE WHEN id % 3 <> 0 THEN 'met' ELSE 'ongoing' END, '', now() FROM services_need",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        for table in (
            "registry_household",
            "registry_person",
            "benefits_benefitapplication",
            "services_provider",
            "services_need",
            "services_referral",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
            )
        cursor.execute("ANALYZE")
    return table_counts()


def table_counts() -> dict[str, int]:
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in (
            "registry_person",
            "registry_household",
            "survey_annualsurvey",
            "registry_householdstatus",
            "benefits_benefitgrant",
            "services_servicerecord",
            "services_provider",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


def baseline(as_of: dt.date, start_year: int, timings: dict[str, float]) -> dict[str, dict[str, dict[str, int]]]:
    """The twelve indicators as plain SQL on PostgreSQL, each one GROUP BY over the four
    levels (GROUPING SETS of the code's prefixes)."""
    from django.db import connection

    from yangguang.analytics.snapshot import BENEFIT_PROGRAMMES
    from yangguang.benefits import rules as benefit_rules
    from yangguang.registry.models import Person
    from yangguang.registry.rules import certified_q

    started = time.perf_counter()
    d, y = f"DATE '{as_of.isoformat()}'", as_of.year
    month = f"DATE '{as_of.replace(day=1).isoformat()}'"
    certified = Person.objects.filter(certified_q(as_of)).values("id", "household_id", "hukou_region_id", "birth_date")
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")  # as the screening does (benefits.rules._no_jit)
        sql, params = certified.query.sql_with_params()
        cursor.execute(f"CREATE TEMP TABLE b_cert AS {sql}", params)
        cursor.execute("ANALYZE b_cert")
        timings["baseline_certified_s"] = round(time.perf_counter() - started, 2)
        # Eligibility: the screening's SQL (the policy rules), all three programmes at once.
        query, _layout = benefit_rules.screening_sql(
            BENEFIT_PROGRAMMES, as_of, dialect="postgresql", persons="SELECT id FROM b_cert"
        )
        cursor.execute(
            f"CREATE TEMP TABLE b_elig AS SELECT id, "
            f"{', '.join(f'{p}__eligible = 1 AS {p}' for p in BENEFIT_PROGRAMMES)} FROM ({query}) s"
        )
        cursor.execute(
            f"CREATE TEMP TABLE b_p AS SELECT pe.id, pe.household_id, pe.hukou_region_id AS region, "
            f"date_part('year', age({d}, pe.birth_date))::int AS age, l.level FROM b_cert pe LEFT JOIN "
            f"(SELECT person_id, min(level) AS level FROM registry_certificate WHERE issue_date <= {d} "
            f"AND valid_until >= {d} GROUP BY person_id) l ON l.person_id = pe.id"
        )
        cursor.execute(
            f"CREATE TEMP TABLE b_s AS SELECT b_p.region, b_p.age, s.schooling, s.pension_insurance, "
            f"s.medical_insurance, s.rehabilitation_need, s.rehabilitation_received, s.device_need, s.device_fitted "
            f"FROM b_p JOIN survey_annualsurvey s "
            f"ON s.person_id = b_p.id AND s.year = {y} AND s.reached"
        )
        cursor.execute(
            f"CREATE TEMP TABLE b_status AS SELECT household_id, status FROM registry_householdstatus "
            f"WHERE start_date <= {d} AND (end_date IS NULL OR end_date >= {d})"
        )
        cursor.execute(
            f"CREATE TEMP TABLE b_recv AS SELECT DISTINCT person_id AS id, programme FROM benefits_benefitgrant "
            f"WHERE start_month <= {month} AND NOT coalesce(stop_month <= {month}, false)"
        )

        def income(year: int) -> str:
            return (
                f"SELECT coalesce(h.region_id, p.region) AS region, "
                f"coalesce(p.household_id::text, 'p' || p.id) AS unit, max(s.household_income) AS income "
                f"FROM b_p p JOIN survey_annualsurvey s ON s.person_id = p.id AND s.year = {year} AND s.reached "
                f"AND s.household_income IS NOT NULL LEFT JOIN registry_household h ON h.id = p.household_id "
                f"GROUP BY 1, 2"
            )

        def allowance(programme: str) -> str:
            return (
                f"SELECT p.region, coalesce(e.{programme}, false) AS den, "
                f"coalesce(e.{programme}, false) AND r.id IS NOT NULL AS num "
                f"FROM b_p p LEFT JOIN b_elig e ON e.id = p.id "
                f"LEFT JOIN b_recv r ON r.id = p.id AND r.programme = '{programme}' "
                f"WHERE e.{programme} OR r.id IS NOT NULL"
            )

        rows = {
            "pension_insurance_rate": (
                f"SELECT region, age >= 16 AND schooling NOT IN {STUDYING} AS den, age >= 16 AND schooling NOT IN "
                f"{STUDYING} AND pension_insurance IN ('paying', 'government_paid', 'receiving') AS num FROM b_s"
            ),
            "medical_insurance_rate": (
                "SELECT region, true AS den, medical_insurance IN ('insured', 'government_subsidised') AS num FROM b_s"
            ),
            "compulsory_education_rate": (
                "SELECT region, age BETWEEN 6 AND 15 AS den, age BETWEEN 6 AND 15 AND schooling IN "
                "('compulsory', 'home_delivered', 'special_school') AS num FROM b_s"
            ),
            "rehab_coverage": (
                "SELECT region, rehabilitation_need NOT IN ('', 'none') AS den, rehabilitation_need NOT IN "
                "('', 'none') AND coalesce(rehabilitation_received, false) AS num FROM b_s"
            ),
            "device_fitting_rate": (
                "SELECT region, device_need NOT IN ('', 'none') AS den, device_need NOT IN ('', 'none') "
                "AND coalesce(device_fitted, false) AS num FROM b_s"
            ),
            "vocational_training": (
                f"SELECT p.region, true AS den, bool_or(coalesce(s.vocational_training, false)) AS num "
                f"FROM b_p p JOIN survey_annualsurvey s ON s.person_id = p.id "
                f"AND s.year BETWEEN {start_year} AND {y} GROUP BY p.id, p.region"
            ),
            "income_growth": (
                f"SELECT region, income AS income_now, 1 AS n_now, 0 AS income_before, 0 AS n_before "
                f"FROM ({income(y)}) a UNION ALL SELECT region, 0, 0, income, 1 FROM ({income(y - 1)}) b"
            ),
            "dibao_coverage": (
                "SELECT p.region, d.household_id IS NOT NULL OR coalesce(e.dibao_single_household, false) AS den, "
                "d.household_id IS NOT NULL OR (coalesce(e.dibao_single_household, false) AND r.id IS NOT NULL) "
                "AS num FROM b_p p LEFT JOIN (SELECT DISTINCT household_id FROM b_status WHERE status = "
                "'dibao') d ON d.household_id = p.household_id LEFT JOIN b_elig e ON e.id = p.id "
                "LEFT JOIN b_recv r ON r.id = p.id AND r.programme = 'dibao_single_household'"
            ),
            "living_allowance_coverage": allowance("living_allowance"),
            "care_allowance_coverage": allowance("care_allowance"),
            "home_modification_households": (
                f"SELECT h.region_id AS region, true AS den, m.household_id IS NOT NULL AS num "
                f"FROM registry_household h LEFT JOIN (SELECT DISTINCT p.household_id FROM b_p p "
                f"JOIN services_need n ON n.person_id = p.id JOIN services_servicerecord r ON r.need_id = n.id "
                f"JOIN (SELECT DISTINCT household_id FROM b_status WHERE status IN {HARDSHIP}) st "
                f"ON st.household_id = p.household_id WHERE p.level <= 2 AND r.kind = 'home_modification' "
                f"AND r.outcome = 'met' AND r.started_on <= {d} "
                f"AND r.ended_on BETWEEN DATE '{start_year}-01-01' AND {d}) m ON m.household_id = h.id "
                f"WHERE h.id IN (SELECT household_id FROM b_p)"
            ),
            "township_service_coverage": (
                f"SELECT t.code AS region, true AS den, v.township IS NOT NULL AS num FROM regions_region t "
                f"LEFT JOIN (SELECT DISTINCT substr(region_id, 1, 9) AS township FROM services_provider "
                f"WHERE kind = 'community_centre' AND status = 'active' AND (designated_from IS NULL OR "
                f"designated_from <= {d}) AND (designated_until IS NULL OR designated_until >= {d})) v "
                f"ON v.township = substr(t.code, 1, 9) WHERE t.level = 4 AND "
                f"(t.valid_from IS NULL OR t.valid_from <= {d}) AND (t.valid_until IS NULL OR t.valid_until > {d})"
            ),
        }
        from yangguang.analytics.catalogue import CATALOGUE

        timings["baseline_tables_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        prefixes = ", ".join(f"substr(region, 1, {n}) AS g{n}" for n in LEVEL_PREFIX.values())
        sets = ", ".join(f"(g{n})" for n in LEVEL_PREFIX.values())
        region = f"coalesce({', '.join(f'g{n}' for n in reversed(LEVEL_PREFIX.values()))})"
        found: dict[str, dict[str, dict[str, int]]] = {}
        for key, select in rows.items():
            sums = CATALOGUE[key].sums
            columns = ", ".join(f"sum({s}::int)::bigint" for s in sums)
            cursor.execute(
                f"SELECT {region}, {columns} FROM (SELECT {prefixes}, x.* FROM ({select}) x "
                f"WHERE region LIKE '63%%') y GROUP BY GROUPING SETS ({sets})"
            )
            found[key] = {
                region: {s: int(v or 0) for s, v in zip(sums, values, strict=True)}
                for region, *values in cursor.fetchall()
            }
            timings.setdefault("baseline_queries_s", {})[key] = round(time.perf_counter() - started, 2)
            started = time.perf_counter()
        for table in ("b_cert", "b_elig", "b_p", "b_s", "b_status", "b_recv"):
            cursor.execute(f"DROP TABLE {table}")
    return found


def ours(as_of: dt.date, start_year: int, directory: Path) -> tuple[dict[str, dict[str, dict[str, int]]], dict]:
    from yangguang.analytics import catalogue, engine, snapshot

    started = time.perf_counter()
    steps: dict[str, float] = {}
    rows = snapshot.write(as_of, directory, timings=steps)
    snapshot_s = time.perf_counter() - started
    con = engine.connect("duckdb", directory)
    found = {}
    values = 0
    per_definition = {}
    for key, definition in catalogue.CATALOGUE.items():
        clock = time.perf_counter()
        sums = engine.sums(con, definition, as_of=as_of, start_year=start_year, options={}, levels=list(LEVEL_PREFIX))
        per_definition[key] = round(time.perf_counter() - clock, 2)
        found[key] = {region: s for region, s in sums.items() if region.startswith("63")}
        values += sum(definition.result(s)[0] is not None for s in found[key].values())
    return found, {
        "snapshot_s": round(snapshot_s, 2),
        "engine_s": round(time.perf_counter() - started - snapshot_s, 2),
        "snapshot_steps_s": steps,
        "engine_definitions_s": per_definition,
        "snapshot_rows": rows,
        "values": values,
    }


class Cpu:
    """CPU seconds since it was made: this process (DuckDB's threads included), the
    PostgreSQL backend serving its connection, and the server's processes that ended
    meanwhile (parallel query workers; on a shared server also other sessions' ended
    connections, so an upper bound). Read from ``/proc``: the server runs on this machine."""

    def __init__(self) -> None:
        self.start = self._now()

    @staticmethod
    def _now() -> tuple[float, float, float]:
        import resource

        from django.db import connection

        usage = resource.getrusage(resource.RUSAGE_SELF)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        tick = os.sysconf("SC_CLK_TCK")
        fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        parent = Path(f"/proc/{fields[1]}/stat").read_text().rsplit(")", 1)[1].split()
        return (
            usage.ru_utime + usage.ru_stime,
            (int(fields[11]) + int(fields[12])) / tick,
            (int(parent[13]) + int(parent[14])) / tick,
        )

    def read(self) -> dict[str, float]:
        now = self._now()
        return {
            name: round(b - a, 1)
            for name, a, b in zip(("process", "backend", "server_ended"), self.start, now, strict=True)
        }


def run(persons: int, as_of: dt.date, start_year: int, var: Path, *, generate: bool = True) -> dict[str, Any]:
    started = time.perf_counter()
    counts = populate(persons, as_of) if generate else table_counts()
    generated = time.perf_counter() - started
    load = {"before_ours": os.getloadavg()}
    cpu = Cpu()
    started = time.perf_counter()
    mine, extra = ours(as_of, start_year, var / "snapshot")
    ours_s = time.perf_counter() - started
    cpu_ours = cpu.read()
    load["before_baseline"] = os.getloadavg()
    cpu = Cpu()
    started = time.perf_counter()
    timings: dict[str, float] = {}
    theirs = baseline(as_of, start_year, timings)
    baseline_s = time.perf_counter() - started
    cpu_baseline = cpu.read()
    load["after"] = os.getloadavg()
    differences = [
        (key, region, mine[key].get(region), theirs[key].get(region))
        for key in theirs
        for region in sorted(set(mine[key]) | set(theirs[key]))
        if mine[key].get(region) != theirs[key].get(region)
    ]
    return {
        "persons": persons,
        "as_of": as_of.isoformat(),
        "generated": counts,
        "generate_s": round(generated, 1),
        "ours_s": round(ours_s, 2),
        "baseline_s": round(baseline_s, 2),
        "ratio": round(baseline_s / ours_s, 2),
        "indicators": len(theirs),
        "regions_summed": sum(len(v) for v in theirs.values()),
        **extra,
        **timings,
        "cpu_ours_s": cpu_ours,
        "cpu_baseline_s": cpu_baseline,
        "load_average": {k: [round(x, 1) for x in v] for k, v in load.items()},
        "equal": not differences,
        "differences": differences[:10],
    }


if __name__ == "__main__":
    main()
