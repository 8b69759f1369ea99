"""Survey import benchmark: one year's survey through the shared import framework
against django-import-export (bulk mode), on the same file, in the same run.

    .venv/bin/python benchmarks/survey_import.py [--persons N] [--year Y] [--pg-url URL | --sqlite]

On a fresh database (PostgreSQL: ``yg_survey_bench_<pid>`` created on ``--pg-url``'s
server and dropped at the end; or a SQLite file in a temporary directory): migrate,
register N generated persons (the demo generator, the registry's import), then write
one CSV (UTF-8 with BOM, the template's headers, Chinese names in the coded columns)
with a survey of year Y for every person certified in Y, answers drawn as the demo
draws them (``demo.surveys``). Then, timed:

1. **yangguang**: ``yangguang import survey FILE --json`` (``call_command``: reading,
   checking every row with ``survey.rules.check``, the block lookups, the bulk insert,
   an audit event per survey in a sealed segment);
2. **re-import** of the same file (every row ``unchanged``, nothing written);
3. the surveys deleted (their audit events stay: the log is append-only), then the
   **baseline**: ``SurveyResource`` below with ``import_data(dataset, dry_run=False,
   use_transactions=True)`` on the dataset import-export's ``CSV`` format reads — the
   library's "Bulk imports → Performance tuning" advice (``use_bulk``, ``batch_size =
   1000``, instances loaded in chunks keyed by (person, year), ``skip_diff`` off so
   ``skip_unchanged`` works, no HTML diff), doing the same job: every cell through the
   same parsers (codes or names), the person found by the ID number's keyed hash (the
   persons preloaded in chunks, as ours), certification in the year looked up once per
   year, ``survey.rules.check`` per row, duplicates in the file refused, and an audit
   event per new survey (``record_many``) plus one for the import.

Both must store the same surveys (compared field by field). Prints rows/s of both,
the ratio, and the re-import's rows/s, as one JSON line at the end. Targets (issue 18):
1,000,000 rows on PostgreSQL in under 3 minutes, and at least 10× the baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOOKUP_CHUNK = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--baseline-rows", type=int, metavar="N",
                        help="time the baseline (and yangguang again, for the ratio) on the "
                             "file's first N rows only")
    parser.add_argument("--keep", metavar="DIR",
                        help="work in DIR and keep it and the database; run again with the "
                             "same DIR to reuse both (persons, file, keys) and skip the set-up")
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile the first import into FILE (pstats)")
    args = parser.parse_args()
    with (contextlib.nullcontext(args.keep) if args.keep
          else tempfile.TemporaryDirectory()) as tmp:
        Path(tmp).mkdir(parents=True, exist_ok=True)
        os.environ["YANGGUANG_VAR_DIR"] = tmp
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yangguang.settings")
        database = None
        kept = Path(tmp) / "database"
        reuse = args.keep is not None and kept.exists()
        if args.sqlite:
            os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        else:
            database = kept.read_text().strip() if reuse else f"yg_survey_bench_{os.getpid()}"
            if not reuse:
                _admin(args.pg_url, f'CREATE DATABASE "{database}"')
            os.environ["DATABASE_URL"] = args.pg_url.rstrip("/") + "/" + database
        if args.keep:
            kept.write_text(database or "sqlite")
        sys.path.insert(0, str(ROOT))
        try:
            import django

            django.setup()
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            result = run(args, Path(tmp), reuse=reuse)
        finally:
            if database is not None and not args.keep:
                from django.db import connections

                connections.close_all()
                _admin(args.pg_url, f'DROP DATABASE IF EXISTS "{database}"')
    print(json.dumps(result, ensure_ascii=False))


def _admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(statement)


# ---------------------------------------------------------------------------
# The data


def write_file(path: Path, year: int) -> int:
    """A survey of ``year`` for every person certified in it; returns the rows."""
    from yangguang.core.crypto import decrypt_id
    from yangguang.demo.surveys import _answers
    from yangguang.registry.models import Certificate, CertificateStatus, Person
    from yangguang.survey import rules
    from yangguang.survey import vocabulary as words

    kinds = dict(((pid, (c, lv)) for pid, c, lv in Certificate.objects
                  .exclude(status=CertificateStatus.CANCELLED)
                  .values_list("person_id", "category", "level")))
    last_day = min(dt.date(year, 12, 31), dt.date.today())
    rows = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(words.HEADERS)
        persons = (Person.objects.filter(rules.certified_q(year)).order_by("pk")
                   .values_list("pk", "id_number_encrypted", "birth_date", "deceased_date",
                                "id_number_hash"))
        for pk, encrypted, birth, deceased, id_hash in persons.iterator(chunk_size=5000):
            rng = random.Random(f"bench:{id_hash}:{year}")
            category, level = kinds.get(pk, (4, 3))
            data = _answers(rng, year, birth, category, level, deceased, last_day)
            try:
                rules.check(data, birth_date=birth, certified=True, today=dt.date.today())
            except Exception:  # noqa: BLE001 - a combination the rules refuse: not in the file
                continue
            cells = {"id_number": decrypt_id(encrypted), "year": str(year)}
            for key, _header, _required in words.COLUMNS[2:]:
                value = getattr(data, key)
                if key in words.CODED:
                    value = words.CODED[key].get(value, "")
                elif isinstance(value, bool):
                    value = words.YES_NO[value]
                elif value is None:
                    value = ""
                elif isinstance(value, dt.date):
                    value = value.isoformat()
                cells[key] = value
            cells["reached"] = words.YES_NO[data.reached]
            out.writerow([cells[key] for key, _h, _r in words.COLUMNS])
            rows += 1
    return rows


def stored() -> list[tuple[Any, ...]]:
    from yangguang.survey.models import ANSWERS, AnnualSurvey

    return list(AnnualSurvey.objects.order_by("person_id", "year")
                .values_list("person_id", "year", *ANSWERS))


# ---------------------------------------------------------------------------
# The baseline


def make_resource(year_today: dt.date):
    """The django-import-export resource (built after Django is set up)."""
    from django.core.exceptions import ValidationError
    from import_export import resources
    from import_export.fields import Field
    from import_export.instance_loaders import ModelInstanceLoader
    from import_export.widgets import Widget

    from yangguang.audit.models import AuditAction
    from yangguang.audit.services import Actor, Event, record, record_many
    from yangguang.core import bulk
    from yangguang.core.crypto import hash_id
    from yangguang.core.errors import ValidationFailed
    from yangguang.registry import validation as v
    from yangguang.registry.models import Person
    from yangguang.survey import rules, services
    from yangguang.survey import vocabulary as words
    from yangguang.survey.models import ANSWERS, AnnualSurvey
    from yangguang.survey.rules import SurveyData

    class Parsed(Widget):
        """A cell through the survey's own parser (codes or Chinese names)."""

        def __init__(self, parse) -> None:
            super().__init__()
            self.parse = parse

        def clean(self, value, row=None, **kwargs):
            return self.parse(value)

    def parser(key: str):
        if key in words.CODED:
            return lambda cell: rules.parse_code(key, cell)
        if key in words.FLAGS:
            return lambda cell: rules.parse_flag(key, cell)
        return {"household_income": rules.parse_income, "surveyor": rules.parse_surveyor,
                "survey_date": rules.parse_survey_date}[key]

    class PairLoader(ModelInstanceLoader):
        """Stored surveys of the dataset's persons, loaded in chunks, by (person, year)."""

        def __init__(self, resource, dataset=None):
            super().__init__(resource, dataset)
            self.stored: dict[tuple[int, int], AnnualSurvey] = {}
            ids = sorted({p for p, _y, _r, _b in resource.persons.values()})
            for start in range(0, len(ids), LOOKUP_CHUNK):
                for s in AnnualSurvey.objects.filter(person_id__in=ids[start:start + LOOKUP_CHUNK]):
                    self.stored[(s.person_id, s.year)] = s

        def get_instance(self, row):
            return self.stored.get((row["person_id"], row["year_value"]))

    class SurveyResource(resources.ModelResource):
        person_id = Field(attribute="person_id", column_name="person_id")
        year = Field(attribute="year", column_name="year_value")

        class Meta:
            model = AnnualSurvey
            fields = ("person_id", "year", *ANSWERS)
            import_id_fields = ("person_id", "year")
            use_bulk = True
            batch_size = 1000
            skip_unchanged = True
            skip_diff = False
            skip_html_diff = True
            report_skipped = False
            instance_loader_class = PairLoader

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            for key, header, _required in words.COLUMNS[2:]:
                self.fields[key] = Field(attribute=key, column_name=header,
                                         widget=Parsed(parser(key)))
            self.actor = Actor("bench:import-export")
            self.persons: dict[str, tuple[int, int, str, dt.date]] = {}
            self.certified: dict[int, set[int]] = {}
            self.seen: set[tuple[int, int]] = set()

        def before_import(self, dataset, **kwargs):
            """The ID's keyed hash per row, the persons named (in chunks) and who of them
            is certified in each year named (one query per year)."""
            hashes = []
            for cell in dataset["公民身份号码"]:
                try:
                    hashes.append(hash_id(v.parse_id_number(cell).normalized))
                except ValidationFailed:
                    hashes.append("")
            dataset.append_col(hashes, header="id_hash")
            wanted = sorted({h for h in hashes if h})
            for start in range(0, len(wanted), LOOKUP_CHUNK):
                for h, pk, region, birth in (Person.objects.filter(
                        id_number_hash__in=wanted[start:start + LOOKUP_CHUNK])
                        .values_list("id_number_hash", "pk", "hukou_region_id", "birth_date")):
                    self.persons[h] = (pk, 0, region, birth)
            years = set()
            for cell in dataset["调查年度"]:
                with contextlib.suppress(ValidationFailed):
                    years.add(rules.parse_year(cell))
            ids = [pk for pk, _y, _r, _b in self.persons.values()]
            for year in years:
                self.certified[year] = set()
                for start in range(0, len(ids), LOOKUP_CHUNK):
                    self.certified[year] |= services.certified_persons(
                        ids[start:start + LOOKUP_CHUNK], year)
            dataset.append_col([self.persons.get(h, (None,))[0] for h in hashes],
                               header="person_id")
            dataset.append_col([rules.parse_year(c) for c in dataset["调查年度"]],
                               header="year_value")

        def before_import_row(self, row, **kwargs):
            """The row's rules: registered, certified, once in the file, ``rules.check``."""
            person = self.persons.get(row["id_hash"])
            if person is None:
                raise ValidationError({"公民身份号码": "公民身份号码尚未登记"})
            pk, _unused, _region, birth = person
            year = row["year_value"]
            if (pk, year) in self.seen:
                raise ValidationError({"调查年度": "同一人同一年度的调查重复"})
            self.seen.add((pk, year))
            values = {key: parser(key)(row.get(header))
                      for key, header, _r in words.COLUMNS[2:]}
            data = SurveyData.of({"year": year, **values})
            try:
                rules.check(data, birth_date=birth, certified=pk in self.certified[year],
                            today=year_today)
            except ValidationFailed as exc:
                raise ValidationError({p.field: p.message for p in exc.problems}) from None

        def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None,
                        result=None):
            """The batch's surveys, then an audit event for each."""
            created = list(self.create_instances)
            super().bulk_create(using_transactions, dry_run, raise_errors, batch_size, result)
            if dry_run or not created:
                return
            regions = {pk: region for pk, _u, region, _b in self.persons.values()}
            record_many(self.actor, [
                Event(AuditAction.CREATE, "survey", str(s.pk), s.person_id,
                      regions[s.person_id],
                      services.event_data(SurveyData.of(
                          {"year": s.year, **{k: getattr(s, k) for k in ANSWERS}}), None))
                for s in created])

        def after_import(self, dataset, result, **kwargs):
            super().after_import(dataset, result, **kwargs)
            if not kwargs.get("dry_run") and result.totals["new"]:
                record(self.actor, AuditAction.IMPORT, "import", "bench",
                       data={"rows": result.total_rows, "created": result.totals["new"]})

    del bulk
    return SurveyResource


def baseline(path: Path) -> dict[str, Any]:
    from import_export.formats.base_formats import CSV

    with open(path, encoding="utf-8-sig") as f:
        dataset = CSV().create_dataset(f.read())
    result = make_resource(dt.date.today())().import_data(dataset, dry_run=False,
                                                          use_transactions=True)
    return {"new": result.totals["new"], "invalid": result.totals["invalid"],
            "error": result.totals["error"], "rows": result.total_rows}


# ---------------------------------------------------------------------------


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def run(args: argparse.Namespace, tmp: Path, *, reuse: bool = False) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from yangguang.audit.services import Actor
    from yangguang.demo.generator import iter_rows
    from yangguang.registry.importing import import_rows
    from yangguang.survey.models import AnnualSurvey

    started = time.perf_counter()
    path = tmp / "survey.csv"
    if reuse and path.exists():  # --keep DIR of an earlier run: its persons and file
        AnnualSurvey.objects.all().delete()
        with open(path, encoding="utf-8-sig") as f:
            rows = sum(1 for _line in f) - 1
    else:
        import_rows(iter_rows(args.persons), actor=Actor("benchmark"))
        rows = write_file(path, args.year)
    setup_s = time.perf_counter() - started
    out: dict[str, Any] = {"database": connection.vendor, "persons": args.persons,
                           "year": args.year, "rows": rows, "setup_s": round(setup_s, 1),
                           "load_before": os.getloadavg()}

    def timed(fn) -> tuple[float, Any]:
        print(f"{time.strftime('%H:%M:%S', time.gmtime())} load {os.getloadavg()[0]:.1f}: {out}",
              file=sys.stderr, flush=True)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("CHECKPOINT")
        begin, cpu = time.perf_counter(), time.process_time()
        value = fn()
        cpu_s.append(round(time.process_time() - cpu, 2))
        return time.perf_counter() - begin, value

    cpu_s: list[float] = []

    def ours(file: Path = path) -> dict[str, Any]:
        buffer = io.StringIO()
        call_command("import", "survey", str(file), "--json", stdout=buffer)
        return json.loads(buffer.getvalue())

    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        seconds, first = timed(lambda: profiler.runcall(ours))
        profiler.dump_stats(args.profile)
    else:
        seconds, first = timed(ours)
    out["yangguang_cpu_s"] = cpu_s[-1]
    out["yangguang"] = {k: first[k] for k in ("created", "unchanged", "rejected")}
    out["yangguang_s"] = round(seconds, 2)
    out["yangguang_rows_per_s"] = round(rows / seconds)
    ours_rows = stored()
    seconds, again = timed(ours)
    out["reimport"] = {k: again[k] for k in ("created", "updated", "unchanged", "rejected")}
    out["reimport_s"] = round(seconds, 2)
    out["reimport_cpu_s"] = cpu_s[-1]
    out["reimport_rows_per_s"] = round(rows / seconds)
    if not args.skip_baseline:
        base_path, base_rows = path, rows
        if args.baseline_rows and args.baseline_rows < rows:
            # The baseline on the file's first N rows, and yangguang on the same rows
            # into the same state (the surveys deleted), so the ratio compares like with
            # like.
            base_path, base_rows = tmp / "survey_prefix.csv", args.baseline_rows
            with open(path, encoding="utf-8-sig") as f, \
                    open(base_path, "w", encoding="utf-8-sig") as prefix:
                for _n, line in zip(range(base_rows + 1), f, strict=False):
                    prefix.write(line)
            AnnualSurvey.objects.all().delete()
            seconds, part = timed(lambda: ours(base_path))
            out["prefix"] = {"rows": base_rows, "yangguang_s": round(seconds, 2),
                             "yangguang_cpu_s": cpu_s[-1],
                             "yangguang_rows_per_s": round(base_rows / seconds)}
            ours_rows = stored()
        AnnualSurvey.objects.all().delete()
        seconds, base = timed(lambda: baseline(base_path))
        out["baseline"] = base
        out["baseline_s"] = round(seconds, 2)
        out["baseline_cpu_s"] = cpu_s[-1]
        out["baseline_rows_per_s"] = round(base_rows / seconds)
        same_rows = out["prefix"]["yangguang_rows_per_s"] if "prefix" in out \
            else out["yangguang_rows_per_s"]
        out["ratio"] = round(same_rows / out["baseline_rows_per_s"], 1)
        out["same_surveys"] = stored() == ours_rows
    out["million_rows_s_extrapolated"] = round(1_000_000 / out["yangguang_rows_per_s"], 1)
    out["load"] = os.getloadavg()
    return out


if __name__ == "__main__":
    main()
