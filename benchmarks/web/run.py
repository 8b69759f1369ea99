"""Web benchmark: person search and the person page under 20 concurrent staff users.

    .venv/bin/python benchmarks/web/run.py [--rows N] [--keep] [--users 20] [--duration 60]
        [--think 1.0] [--workers W] [--threads T] [--skip-baseline]

Loads N persons (default 1,000,000) into the PostgreSQL database ``yg_webbench`` with
the project's importer, serves the platform with gunicorn on 127.0.0.1, and runs
locust (headless, loopback only, a bounded time per phase) twice against the same
server and data: once on the real pages (``/registry/persons/?name=…``,
``/registry/persons/<id>/``), once on the baseline pages (``baseline.py``: the same
pages written the obvious Django way). Prints p50/p95/p99 for each page, both runs
side by side, and the ratio. See README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_DB = "yg_webbench"
TARGET_P95_MS = 150.0
PAGES = ("search", "person")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Environment and database


def step_env(database_url: str, var_dir: Path, settings: str = "yangguang.settings") -> dict[str, str]:
    """The environment of every child process: this checkout, the benchmark database and
    var directory (its keys decrypt the stored IDs), no other YANGGUANG_* variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YANGGUANG_")}
    env.update({
        "DATABASE_URL": database_url,
        "YANGGUANG_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": settings,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]),
    })
    return env


def run(cmd: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess:
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run(cmd, env=env, check=True, cwd=ROOT, **kwargs)


def _connect(server_url: str, dbname: str):
    import psycopg

    return psycopg.connect(server_url, dbname=dbname, autocommit=True)


def persons_in(server_url: str, dbname: str) -> int | None:
    """How many persons the database holds (None if it or the table does not exist)."""
    import psycopg

    try:
        with _connect(server_url, dbname) as conn:
            return conn.execute("SELECT count(*) FROM registry_person").fetchone()[0]
    except psycopg.Error:
        return None


def recreate(server_url: str, dbname: str) -> None:
    with _connect(server_url, "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')


def load(args: argparse.Namespace, env: dict[str, str], yg: str) -> dict[str, Any]:
    """A fresh database with ``args.rows`` persons, imported from a generated CSV file."""
    recreate(args.pg_url, args.db)
    run([yg, "migrate", "--noinput", "-v", "0"], env)
    with tempfile.TemporaryDirectory(prefix="webbench-") as tmp:
        path = Path(tmp) / "persons.csv"
        log(f"generating {args.rows:,} rows")
        run([sys.executable, "-c",
             "import sys; from yangguang.demo.generator import iter_rows, write_rows; "
             "write_rows(iter_rows(int(sys.argv[1]), seed=int(sys.argv[2])), sys.argv[3])",
             str(args.rows), str(args.seed), str(path)], env)
        started = time.perf_counter()
        done = run([yg, "import", "persons", str(path), "--json"], env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    result = json.loads(done.stdout.strip().splitlines()[-1])
    log(f"imported {result['created']:,} persons in {seconds:.0f} s ({result['rejected']} rejected)")
    return {"seconds": seconds, **{k: result[k] for k in ("rows", "created", "rejected")}}


# ---------------------------------------------------------------------------
# Server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen:
    cmd = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
           "--threads", str(threads), "--worker-class", "gthread", "--timeout", "120",
           "--log-level", "warning", "yangguang.wsgi:application"]
    log("$ " + " ".join(cmd))
    server = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# ---------------------------------------------------------------------------
# Load


def run_locust(args: argparse.Namespace, env: dict[str, str], port: int, plan: Path,
               phase: str, out_dir: Path) -> dict[str, Any]:
    out = out_dir / f"{phase}.json"
    phase_env = {**env, "WEBBENCH_PLAN": str(plan), "WEBBENCH_PHASE": phase,
                 "WEBBENCH_OUT": str(out), "WEBBENCH_THINK": str(args.think),
                 "WEBBENCH_USERS": str(args.users), "WEBBENCH_DURATION": str(args.duration)}
    # The locustfile ends the run after --duration seconds of measuring, which start
    # once every user has signed in; --run-time only bounds the whole in case of trouble.
    run([str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless",
         "--users", str(args.users), "--spawn-rate", str(args.users),
         "--run-time", f"{args.duration + 300}s", "--stop-timeout", "10",
         "--host", f"http://127.0.0.1:{port}", "--only-summary", "--loglevel", "WARNING",
         "--exit-code-on-error", "0"], phase_env, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text(encoding="utf-8"))


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summarise(result: dict[str, Any]) -> dict[str, dict[str, float]]:
    summary = {}
    for page in PAGES:
        times = result["times"][page]
        summary[page] = {"n": len(times), "rps": len(times) / result["seconds"],
                         **{f"p{p}": percentile(times, p) for p in (50, 95, 99)}}
    return summary


def report(args: argparse.Namespace, loaded: dict[str, Any] | None, persons: int,
           results: dict[str, dict[str, Any]]) -> bool:
    measured = {phase: summarise(r) for phase, r in results.items()}
    print()
    print(f"Web benchmark: {persons:,} persons in PostgreSQL, {args.users} concurrent users "
          f"(think time {args.think:g} s), {args.duration} s per run, gunicorn "
          f"{args.workers}×{args.threads} threads, loopback")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    if loaded:
        print(f"import: {loaded['created']:,} persons in {loaded['seconds']:.0f} s")
    print()
    header = f"{'page':<8} {'run':<10} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    print(header)
    print("-" * len(header))
    for page in PAGES:
        for phase, summary in measured.items():
            s = summary[page]
            print(f"{page:<8} {phase:<10} {s['n']:>8} {s['rps']:>7.1f} {s['p50']:>8.1f} "
                  f"{s['p95']:>8.1f} {s['p99']:>8.1f}")
        if "baseline" in measured:
            ours, base = measured["yangguang"][page], measured["baseline"][page]
            print(f"{page:<8} {'ratio':<10} {'':>8} {'':>7} "
                  + " ".join(f"{base[k] / ours[k]:>7.1f}×" for k in ("p50", "p95", "p99"))
                  + "   (baseline ÷ yangguang)")
    print()
    ok = True
    for page in PAGES:
        p95 = measured["yangguang"][page]["p95"]
        met = p95 < TARGET_P95_MS
        ok &= met
        print(f"target p95 < {TARGET_P95_MS:.0f} ms for {page}: {p95:.1f} ms — "
              f"{'met' if met else 'NOT met'}")
    failures = {phase: r["failure_count"] for phase, r in results.items()}
    if any(failures.values()):
        print(f"failed requests: {failures}; first: "
              f"{[f for r in results.values() for f in r['failures']][:5]}")
    return ok and not failures["yangguang"]


# ---------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="persons to load (default 1,000,000)")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the database when it already holds --rows persons")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--db", default=DEFAULT_DB, help=f"database name (default {DEFAULT_DB})")
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var" / "webbench",
                        help="keys and uploads of the benchmark database (default var/webbench)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per run")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds a user waits between requests (0: none)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    args.var_dir.mkdir(parents=True, exist_ok=True)
    database_url = args.pg_url.rstrip("/") + "/" + args.db
    env = step_env(database_url, args.var_dir)
    yg = str(BIN / "yangguang")

    # What the last load put in the database, so that --keep knows whether it fits.
    marker = args.var_dir / f"{args.db}.json"
    persons = persons_in(args.pg_url, args.db)
    previous = json.loads(marker.read_text()) if marker.exists() else {}
    loaded = None
    if args.keep and previous.get("rows") == args.rows and previous.get("persons") == persons:
        log(f"reusing {args.db}: {persons:,} persons from a file of {args.rows:,} rows")
        run([yg, "migrate", "--noinput", "-v", "0"], env)  # the code may have moved on
    else:
        if args.keep:
            log(f"{args.db} does not hold a load of {args.rows:,} rows: loading anew")
        marker.unlink(missing_ok=True)
        loaded = load(args, env, yg)
        persons = persons_in(args.pg_url, args.db) or 0
        marker.write_text(json.dumps({"rows": args.rows, "persons": persons}))

    with tempfile.TemporaryDirectory(prefix="webbench-") as tmp:
        out_dir = Path(tmp)
        plan = out_dir / "plan.json"
        run([sys.executable, str(HERE / "prepare.py"), str(plan), "--seed", str(args.seed)], env)
        server_env = step_env(database_url, args.var_dir, "bench_settings")
        server = start_server(server_env, free_port(), args.workers, args.threads)
        port = int(server.args[server.args.index("--bind") + 1].rsplit(":", 1)[1])
        results = {}
        try:
            for phase in ("yangguang", "baseline")[: 1 if args.skip_baseline else 2]:
                log(f"load: {phase} pages, {args.users} users, {args.duration} s")
                results[phase] = run_locust(args, env, port, plan, phase, out_dir)
        finally:
            stop_server(server)
    return 0 if report(args, loaded, persons, results) else 1


if __name__ == "__main__":
    sys.exit(main())
