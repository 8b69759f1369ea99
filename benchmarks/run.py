"""Import benchmark: ``yangguang import`` against django-import-export (bulk mode).

    .venv/bin/python benchmarks/run.py [--quick|--full] [--rows N] [--baseline-rows N]
        [--skip-baseline-above N] [--db sqlite|postgres|both] [--format csv|xlsx]

Generates one file of N persons with the project's demo generator, then for each
database: a fresh database, ``migrate``, yangguang's import into the empty database,
a re-import of the same file (every row unchanged), and, on another fresh database,
the baseline (``baseline_import_export.py``) on the same file, or on its first
``--baseline-rows`` rows. When the baseline runs on fewer rows, yangguang is also
timed on that same prefix (fresh database), and the ratio compares the two on the
same rows. Each step runs in its own process (``step.py``) with DATABASE_URL and
YANGGUANG_VAR_DIR set, so settings are clean. See README.md.

``--repeat R`` (3 in the quick setting, 1 in the full one) times yangguang on the
baseline's rows R times, each on a fresh database, the first before the baseline and
the others after it, and the ratio takes their median: one import takes a few seconds,
the baseline a minute or more, and the speed of a shared machine drifts in between
(by a third within minutes on these machines), so one short run says more about the
moment than about the import. Every run is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STEP = HERE / "step.py"

QUICK_ROWS = 100_000
FULL_ROWS = 1_000_000
FULL_BASELINE_ROWS = 200_000
RATIO_TARGET = 20.0
PG_MILLION_SECONDS = 60.0
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/"


class StepFailed(Exception):
    pass


# ---------------------------------------------------------------------------
# Databases


class SQLiteDatabase:
    label = "sqlite"

    def __init__(self, workdir: Path):
        self.dir = workdir / "sqlite"
        self.dir.mkdir()
        self.count = 0
        self.path: Path | None = None

    def fresh(self) -> str:
        self.drop()
        self.count += 1
        self.path = self.dir / f"bench-{self.count}.sqlite3"
        return f"sqlite:///{self.path}"

    def before_step(self) -> None:
        pass

    def drop(self) -> None:
        if self.path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.path = None

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"


class PostgresDatabase:
    label = "postgres"

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/") + "/"
        self.name = f"yg_bench_{os.getpid()}"
        self.exists = False

    def _admin(self):
        import psycopg

        return psycopg.connect(self.base_url + "postgres", autocommit=True)

    def fresh(self) -> str:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.exists = True
        return self.base_url + self.name

    def before_step(self) -> None:
        # Write out what the previous step left dirty, so it isn't billed to this one.
        with self._admin() as conn:
            conn.execute("CHECKPOINT")

    def drop(self) -> None:
        if self.exists:
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.exists = False

    def version(self) -> str:
        with self._admin() as conn:
            return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0]


# ---------------------------------------------------------------------------
# Steps


@dataclass
class Timed:
    seconds: float  # in the step's process, around the work
    wall: float  # the step's process, start-up included (checks after the import excluded)
    data: dict[str, Any]

    @property
    def rows(self) -> int:
        return self.data["result"]["rows"]

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class DbResult:
    label: str
    version: str = ""
    error: str = ""
    yangguang: Timed | None = None
    reimport: Timed | None = None
    yangguang_prefix: Timed | None = None  # yangguang on the baseline's rows, if fewer
    again: list[Timed] = field(default_factory=list)  # more runs on the baseline's rows
    baseline: Timed | None = None
    baseline_note: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def runs(self) -> list[Timed]:
        """yangguang's runs on exactly the rows the baseline imported."""
        first = self.yangguang_prefix or self.yangguang
        return ([first] if first else []) + self.again

    @property
    def same_rows(self) -> Timed | None:
        """The median of ``runs`` (by time; the upper one of an even count)."""
        runs = sorted(self.runs, key=lambda t: t.seconds)
        return runs[len(runs) // 2] if runs else None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.same_rows is None or not self.baseline.rate:
            return None
        return self.same_rows.rate / self.baseline.rate


def step_env(db_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("YANGGUANG_") and k not in ("DATABASE_URL",
                                                           "DJANGO_SETTINGS_MODULE")}
    env["DATABASE_URL"] = db_url
    env["YANGGUANG_VAR_DIR"] = str(var_dir)
    env["DJANGO_SETTINGS_MODULE"] = "yangguang.settings"
    # Measure this checkout, whatever is installed in the environment.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return env


def run_step(name: str, *args: str, db_url: str, var_dir: Path) -> tuple[dict[str, Any], float]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(STEP), name, *args], cwd=ROOT,
                          env=step_env(db_url, var_dir), capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise StepFailed(f"step {name} failed (exit {proc.returncode}):\n{tail}")
    lines = proc.stdout.strip().splitlines()
    return json.loads(lines[-1]), wall


def say(text: str = "") -> None:
    print(text, flush=True)


def fmt_int(n: float | None) -> str:
    return "—" if n is None else f"{n:,.0f}"


# ---------------------------------------------------------------------------
# The benchmark


class Benchmark:
    def __init__(self, args: argparse.Namespace, workdir: Path):
        self.args = args
        self.workdir = workdir
        self.rows = args.rows
        self.baseline_rows = args.baseline_rows
        self.file: Path = workdir / f"persons-{self.rows}.{args.format}"
        self.baseline_file: Path = self.file
        self.file_info: dict[str, Any] = {}
        self.checking: dict[str, Any] = {}
        self.checking_after: dict[str, Any] = {}

    def generate(self) -> None:
        prefix = 0 < self.baseline_rows < self.rows
        extra: list[str] = []
        if prefix:
            self.baseline_file = self.workdir / f"persons-{self.rows}-first-{self.baseline_rows}.{self.args.format}"
            extra = ["--prefix-rows", str(self.baseline_rows), "--prefix-out",
                     str(self.baseline_file)]
        say(f"Generating {self.rows:,} persons with yangguang.demo.generator "
            f"(seed {self.args.seed}) into one {self.args.format.upper()} file …")
        data, wall = run_step("generate", "--rows", str(self.rows), "--out", str(self.file),
                              "--seed", str(self.args.seed), *extra,
                              db_url="sqlite:///" + str(self.workdir / "unused.sqlite3"),
                              var_dir=self.workdir / "var-generate")
        if data["rows"] != self.rows:
            raise StepFailed(f"generator wrote {data['rows']} rows, not {self.rows}")
        self.file_info = data
        say(f"  {data['rows']:,} rows, {data['bytes'] / 1e6:.1f} MB in {data['seconds']:.1f} s"
            + (f"; baseline file: its first {data['prefix_rows']:,} rows" if prefix else ""))

    def measure_checking(self, after: bool = False) -> None:
        """Checking alone, in one process, without a database (``step.py check-rows``):
        at the start, and with ``after`` at the end, as a yardstick of the machine's speed."""
        data, _wall = run_step("check-rows", str(self.file),
                               db_url="sqlite:///" + str(self.workdir / "unused.sqlite3"),
                               var_dir=self.workdir / "var-generate")
        if after:
            self.checking_after = data
            return
        self.checking = data
        say(f"  checking alone (one process, no database): {data['rows']:,} rows in "
            f"{data['seconds']:.1f} s, {1e6 * data['seconds'] / data['rows']:.1f} µs a row")

    def timed(self, db, url: str, var_dir: Path, what: str, kind: str, path: Path) -> Timed:
        db.before_step()
        data, wall = run_step(kind, str(path), db_url=url, var_dir=var_dir)
        # The step's wall time without the checks that follow the import.
        timed = Timed(data["seconds"], wall - data.get("check_seconds", 0.0), data)
        say(f"  [{db.label}] {what:<28} {timed.rows:>9,} rows {timed.seconds:8.1f} s "
            f"{timed.rate:>9,.0f} rows/s   (process wall {timed.wall:.1f} s)")
        return timed

    def fresh_migrated(self, db, var_dir: Path) -> str:
        url = db.fresh()
        data, wall = run_step("migrate", db_url=url, var_dir=var_dir)
        say(f"  [{db.label}] fresh database, migrate: {data['seconds']:.1f} s")
        return url

    def run_db(self, db) -> DbResult:
        res = DbResult(db.label)
        try:
            res.version = db.version()
        except Exception as exc:  # e.g. PostgreSQL not running
            res.error = f"cannot connect: {exc}"
            say(f"[{db.label}] skipped: {res.error}")
            return res
        say(f"[{db.label}] {res.version}")
        # One var dir (hence one key set) per database run: the re-import must hash the
        # IDs with the keys of the import.
        var_dir = self.workdir / f"var-{db.label}"
        try:
            url = self.fresh_migrated(db, var_dir)
            res.yangguang = self.timed(db, url, var_dir, "yangguang import (empty db)",
                                       "yangguang", self.file)
            res.reimport = self.timed(db, url, var_dir, "yangguang re-import (same)",
                                      "yangguang", self.file)
            self.check_yangguang(res)
            if self.args.skip_baseline:
                res.baseline_note = self.args.skip_baseline
            else:
                if self.baseline_file != self.file:
                    url = self.fresh_migrated(db, var_dir)
                    res.yangguang_prefix = self.timed(
                        db, url, var_dir, f"yangguang import, {self.baseline_rows:,} rows",
                        "yangguang", self.baseline_file)
                url = self.fresh_migrated(db, var_dir)
                res.baseline = self.timed(db, url, var_dir, "import-export (bulk) import",
                                          "baseline", self.baseline_file)
                self.check_baseline(res)
                for run in range(2, self.args.repeat + 1):
                    url = self.fresh_migrated(db, var_dir)
                    res.again.append(self.timed(
                        db, url, var_dir, f"yangguang import, run {run}", "yangguang",
                        self.baseline_file))
                    self.check_same(res.runs[0], res.again[-1])
        except StepFailed as exc:
            res.error = str(exc)
            say(f"[{db.label}] {exc}")
        finally:
            db.drop()
        return res

    def check_yangguang(self, res: DbResult) -> None:
        r = res.yangguang.data["result"]
        if r["created"] != self.rows or r["rejected"]:
            res.warnings.append(f"yangguang import: {r} (expected {self.rows} created); "
                                f"first errors: {res.yangguang.data['first_errors']}")
        r2 = res.reimport.data["result"]
        if r2["unchanged"] != self.rows:
            res.warnings.append(f"re-import: {r2} (expected {self.rows} unchanged)")
        before, after = res.yangguang.data["counts"], res.reimport.data["counts"]
        if before != after:
            res.warnings.append(f"re-import changed the tables: {before} → {after}")

    @staticmethod
    def check_same(first: Timed, again: Timed) -> None:
        """A repeated run must write what the first did."""
        if (again.data["result"] != first.data["result"]
                or again.data["counts"] != first.data["counts"]
                or again.data["digest"] != first.data["digest"]):
            raise StepFailed(f"a repeated yangguang import wrote something else: "
                             f"{again.data['result']} {again.data['counts']}")

    def check_baseline(self, res: DbResult) -> None:
        b = res.baseline.data
        expected = self.baseline_rows
        if b["rolled_back"] or b["result"]["created"] != expected or b["result"]["rejected"]:
            res.warnings.append(f"baseline: {b['result']}, rolled back: {b['rolled_back']} "
                                f"(expected {expected} created); first errors: "
                                f"{b['first_errors']}")
        ours = res.same_rows.data["counts"]
        if ours != b["counts"]:
            diff = {k: (ours[k], b["counts"].get(k)) for k in ours if ours[k] != b["counts"].get(k)}
            res.warnings.append("baseline and yangguang wrote different row counts "
                                f"(yangguang, baseline): {diff}")
        elif res.same_rows.data["digest"] != b["digest"]:
            res.warnings.append("baseline and yangguang wrote the same number of rows but "
                                "different content (persons, households, certificates or "
                                "status history)")


# ---------------------------------------------------------------------------
# Report


def machine() -> list[str]:
    cpus = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cpus
    model = ""
    mem = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                break
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "?"

    return [
        f"nproc {usable} (of {cpus}){', ' + model if model else ''}; {mem}; "
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}, Django {version('Django')}, "
        f"django-import-export {version('django-import-export')}, "
        f"python-stdnum {version('python-stdnum')}, psycopg {version('psycopg')}",
    ]


def code_version() -> str:
    """The checkout measured (read-only git queries)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head}" + (" with uncommitted changes" if dirty else "")


def print_report(bench: Benchmark, results: list[DbResult], load_before: tuple, args) -> None:
    rows = bench.rows
    say()
    say("=" * 100)
    mode = "full" if args.full else "quick"
    if args.rows_given:
        mode += " settings, --rows " + f"{rows:,}"
    say(f"Import benchmark ({mode}): {rows:,} persons, {args.format.upper()} file "
        f"({bench.file_info.get('bytes', 0) / 1e6:.1f} MB) generated by "
        f"yangguang.demo.generator (seed {args.seed})")
    hardware, software = machine()
    say("Machine: " + hardware)
    say("Software: " + software + "; code: " + code_version())
    say("Databases: " + "; ".join(r.version or f"{r.label} (unavailable)" for r in results))
    say("Timed: inside each step's process, after start-up — yangguang: the command "
        "`yangguang import persons FILE --json` (call_command); baseline: import-export's "
        "format class reading the file + resource.import_data. Wall times below include "
        "start-up.")
    load_after = os.getloadavg()
    say(f"Load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/"
        f"{load_before[2]:.2f}, after {load_after[0]:.2f}/{load_after[1]:.2f}/"
        f"{load_after[2]:.2f} (other work on the machine skews the figures)")
    say()
    header = (f"{'db':<9}{'rows':>11}{'yangguang rows/s':>18}{'baseline rows/s':>17}"
              f"{'ratio':>9}{'re-import rows/s':>18}")
    say(header)
    say("-" * len(header))
    for r in results:
        if r.yangguang is None:
            say(f"{r.label:<9}{'error: ' + (r.error.splitlines()[0] if r.error else '?')}")
            continue
        baseline = fmt_int(r.baseline.rate) if r.baseline else "skipped"
        if r.baseline and r.baseline.rows != r.yangguang.rows:
            baseline += "*"
        ratio = f"{r.ratio:.1f}x" if r.ratio else "—"
        reimport = fmt_int(r.reimport.rate) if r.reimport else "—"
        # On the whole file: the median of the runs when they are all on it.
        ours = r.same_rows if r.yangguang_prefix is None and r.same_rows else r.yangguang
        say(f"{r.label:<9}{rows:>11,}{fmt_int(ours.rate):>18}{baseline:>17}{ratio:>9}"
            f"{reimport:>18}")
    say()
    notes = []
    for r in results:
        if r.baseline and r.yangguang_prefix:
            notes.append(
                f"* {r.label}: the baseline figure is from the first {r.baseline.rows:,} rows of "
                f"the same file (rows/s is comparable); the ratio compares it with yangguang "
                f"on those same {r.yangguang_prefix.rows:,} rows: "
                f"{fmt_int(r.yangguang_prefix.rate)} rows/s.")
        if r.baseline is None and r.yangguang is not None:
            notes.append(f"{r.label}: baseline skipped: {r.baseline_note or r.error}")
        if len(r.runs) > 1:
            notes.append(
                f"{r.label}: yangguang on the baseline's {r.runs[0].rows:,} rows, "
                f"{len(r.runs)} runs, each on a fresh database (the first before the "
                f"baseline, the others after it): "
                + ", ".join(f"{t.seconds:.2f} s ({fmt_int(t.rate)} rows/s)" for t in r.runs)
                + f"; the ratio takes the median, {r.same_rows.seconds:.2f} s"
                + (f" (the fastest run {max(t.rate for t in r.runs) / r.baseline.rate:.1f}x, "
                   f"the slowest {min(t.rate for t in r.runs) / r.baseline.rate:.1f}x)"
                   if r.baseline and r.baseline.rate else "") + ".")
    for note in notes:
        say(note)
    if notes:
        say()

    say("Seconds (in-process, around the import; wall = the step's process incl. start-up):")
    for r in results:
        parts = []
        for name, t in (("yangguang", r.yangguang), ("re-import", r.reimport),
                        ("yangguang on baseline rows", r.yangguang_prefix),
                        ("baseline", r.baseline)):
            if t is not None:
                parts.append(f"{name} {t.seconds:.1f} (wall {t.wall:.1f})")
        if parts:
            say(f"  {r.label}: " + "; ".join(parts))
    say()

    say("CPU seconds of each import, by process (a machine of n cores gives at most n per "
        "second of wall time; the PostgreSQL server's work for one transaction runs in one "
        "process, so its busiest process's figure is a floor under the wall time):")
    for r in results:
        for name, t in (("yangguang", r.yangguang), ("re-import", r.reimport),
                        ("baseline", r.baseline)):
            cpu = t.data.get("cpu") if t is not None else None
            if cpu:
                say(f"  {r.label} {name}: " + cpu_line(cpu, t.seconds))
    say()

    compared = [r for r in results if r.baseline is not None and r.same_rows is not None]
    if compared:
        say("Rows written (yangguang on the baseline's file / baseline):")
    for r in compared:
        ours, theirs = r.same_rows.data["counts"], r.baseline.data["counts"]
        same = r.same_rows.data["digest"] == r.baseline.data["digest"]
        say(f"  {r.label}: " + ", ".join(
            f"{k.replace('_', ' ')} {ours[k]:,}" + ("" if ours[k] == theirs.get(k)
                                                    else f" vs {theirs.get(k, 0):,} (DIFFERENT)")
            for k in ours) + ("; content identical" if same else "; CONTENT DIFFERS"))
    if compared:
        say("  Both sides validate every cell, encrypt, hash and mask the ID, resolve regions, "
            "create households, the certificate, its status history and the audit events. "
            "The baseline checks the ID with python-stdnum (birthplace: the project catalog) "
            "and writes audit events through record_many; see baseline_import_export.py.")
        say()

    if bench.checking:
        per_row = bench.checking["seconds"] / bench.checking["rows"]
        say(f"Checking alone (the columns' check, parse_row for the rows it leaves, the ID's "
            f"hash and encryption; one process, no database, first {bench.checking['rows']:,} "
            f"rows): {1e6 * per_row:.1f} µs a row, so checking caps an import at "
            f"{1 / per_row:,.0f} rows/s."
            + (f" The same at the end of the run: "
               f"{1e6 * bench.checking_after['seconds'] / bench.checking_after['rows']:.1f} µs "
               f"a row (the machine's speed meanwhile)." if bench.checking_after else ""))
        say()

    say("Targets:")
    for r in results:
        if r.ratio is not None:
            ok = "met" if r.ratio >= RATIO_TARGET else "NOT met"
            say(f"  {r.label}: ≥ {RATIO_TARGET:.0f}x the baseline: {r.ratio:.1f}x — {ok}")
    for r in results:
        if r.label == "postgres" and r.yangguang is not None:
            if rows >= FULL_ROWS:
                ok = "met" if r.yangguang.seconds < PG_MILLION_SECONDS else "NOT met"
                server = (r.yangguang.data.get("cpu") or {}).get("server_busiest")
                say(f"  postgres: {rows:,} rows in {r.yangguang.seconds:.1f} s "
                    f"(target < {PG_MILLION_SECONDS:.0f} s for 1,000,000) — {ok}"
                    + (f"; the writing server process's CPU alone: {server:.1f} s"
                       if server else ""))
            else:
                est = FULL_ROWS / r.yangguang.rate
                say(f"  postgres: 1,000,000 rows < {PG_MILLION_SECONDS:.0f} s: not measured in "
                    f"this run ({rows:,} rows); at this rate ≈ {est:.0f} s (linear "
                    f"extrapolation; run --full to measure)")
    warnings = [w for r in results for w in r.warnings]
    errors = [f"{r.label}: {r.error}" for r in results if r.error]
    if warnings or errors:
        say()
        say("PROBLEMS:")
        for w in warnings + errors:
            say("  " + w)


def cpu_line(cpu: dict[str, float | None], seconds: float) -> str:
    parts = [f"importing process {cpu['process']:.1f}"]
    if cpu["workers"]:
        parts.append(f"child processes {cpu['workers']:.1f}")
    if cpu["server"] is not None:
        parts.append(f"PostgreSQL server {cpu['server']:.1f} (its busiest process "
                     f"{cpu['server_busiest']:.1f})")
    total = sum(cpu[k] for k in ("process", "workers", "server") if cpu[k] is not None)
    return ", ".join(parts) + f" — {total:.1f} in all, over {seconds:.1f} s"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help=f"{QUICK_ROWS:,} rows, baseline on all of them (default)")
    size.add_argument("--full", action="store_true",
                      help=f"{FULL_ROWS:,} rows, baseline on the first {FULL_BASELINE_ROWS:,}")
    parser.add_argument("--rows", type=int, help="persons in the file")
    parser.add_argument("--baseline-rows", type=int,
                        help="time the baseline on the first N rows of the file")
    parser.add_argument("--skip-baseline-above", type=int, metavar="N",
                        help="skip the baseline if it would import more than N rows")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv",
                        help="file format (default csv)")
    parser.add_argument("--seed", type=int, default=2021, help="generator seed")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL,
                        help=f"PostgreSQL server (default {DEFAULT_PG_URL}); the benchmark "
                             "creates and drops the database yg_bench_<pid> there")
    parser.add_argument("--repeat", type=int, metavar="R",
                        help="time yangguang on the baseline's rows R times and compare the "
                             "median (default 3 quick, 1 full)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    args.rows_given = args.rows is not None
    if args.rows is None:
        args.rows = FULL_ROWS if args.full else QUICK_ROWS
    if args.baseline_rows is None:
        args.baseline_rows = min(args.rows, FULL_BASELINE_ROWS) if args.full else args.rows
    args.baseline_rows = min(args.baseline_rows, args.rows)
    if args.rows <= 0 or args.baseline_rows <= 0:
        parser.error("--rows and --baseline-rows must be positive")
    if args.repeat is None:
        args.repeat = 1 if args.full else 3
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.skip_baseline = ""
    if args.skip_baseline_above is not None and args.baseline_rows > args.skip_baseline_above:
        args.skip_baseline = (f"{args.baseline_rows:,} rows is above --skip-baseline-above "
                              f"{args.skip_baseline_above:,}")
        args.baseline_rows = args.rows  # no prefix file needed
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="yg_bench_"))
    results: list[DbResult] = []
    try:
        bench = Benchmark(args, workdir)
        bench.generate()
        bench.measure_checking()
        dbs = []
        if args.db in ("sqlite", "both"):
            dbs.append(SQLiteDatabase(workdir))
        if args.db in ("postgres", "both"):
            dbs.append(PostgresDatabase(args.pg_url))
        for db in dbs:
            results.append(bench.run_db(db))
        bench.measure_checking(after=True)
        print_report(bench, results, load_before, args)
    finally:
        if args.keep:
            say(f"(kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    failed = any(r.error or r.warnings for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
