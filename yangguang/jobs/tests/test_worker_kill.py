"""``kill -9`` of a worker in the middle of an import: nothing is half-written, and the
job, retried, runs to completion.

Everything here is real: a database of its own (an SQLite file, or a new PostgreSQL
database on the server the suite runs on), built by ``yangguang migrate``; the import
submitted as the import page does; ``yangguang worker`` processes; SIGKILL. The test
waits on what it can observe (the job's progress, its state), with generous limits,
and never on time.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache.backends.filebased import FileBasedCache

#: Three blocks of the import's 20,000 rows: the job is killed after the first one is
#: reported and before the last, so the import is inside its transaction. 60,000 rows
#: into an empty registry is also a first load (on SQLite the file written directly
#: under a rollback journal, on PostgreSQL the indexes dropped and rebuilt).
ROWS = 60_000
#: The limit for each wait: far beyond what any of them needs on a busy machine.
PATIENCE = 900
REGISTRY_TABLES = ("registry_person", "registry_household", "registry_certificate",
                   "registry_certificatestatuschange")
#: The registry's tables and the audit log: what an import writes.
WRITTEN = (*REGISTRY_TABLES, "audit_auditevent")

SUBMIT = f"""
from django.core.files.uploadedfile import SimpleUploadedFile
from yangguang.accounts.services import create_user
from yangguang.audit.services import Actor
from yangguang.demo import generator
from yangguang.registry.services import import_jobs
path = {{path!r}}
generator.write_rows(generator.iter_rows({ROWS}, seed=7), path)
user = create_user("importer", "a long password 1", [
    ("registrar", code) for code in ("630000", "620000", "140000", "610000", "370000")],
    actor=Actor("test"))
with open(path, "rb") as f:
    job = import_jobs.start_import(user, SimpleUploadedFile("big.csv", f.read()), dry_run=False)
print(job.job_id)
"""

RETRY = """
from yangguang.jobs import services
from yangguang.jobs.models import Job
job = services.retry(Job.objects.get(pk={job_id!r}), actor="test")
print(job.state)
"""


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, Callable[[str], Any]]]:
    """``(DATABASE_URL, query)``: a new empty database of the kind the suite runs on,
    and a function returning the first value of a query on it."""
    default = settings.DATABASES["default"]
    if default["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path / "kill.sqlite3"

        def query(sql: str) -> Any:
            with sqlite3.connect(path) as conn:
                return conn.execute(sql).fetchone()[0]

        yield f"sqlite:///{path}", query
        return
    import psycopg

    name = f"yg_kill_{uuid.uuid4().hex[:12]}"
    server = {"host": default["HOST"] or "127.0.0.1", "port": default["PORT"] or 5432,
              "user": default["USER"], "password": default["PASSWORD"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def query(sql: str) -> Any:
        with psycopg.connect(dbname=name, **server) as conn:
            return conn.execute(sql).fetchone()[0]

    password = f":{server['password']}" if server["password"] else ""
    try:
        yield (f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}",
               query)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_for(what: str, check: Callable[[], Any], worker: subprocess.Popen | None = None) -> Any:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}) before {what}")
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what}")


def test_a_worker_killed_mid_import_leaves_nothing_and_the_retried_job_completes(
        database, tmp_path):
    url, query = database
    var = tmp_path / "var"
    env = {**os.environ, "DATABASE_URL": url, "YANGGUANG_VAR_DIR": str(var),
           "YANGGUANG_IMPORT_INLINE_BYTES": "0"}  # the upload goes to the worker

    def yangguang(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "yangguang", *args], env=env,
                              capture_output=True, text=True, timeout=PATIENCE)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    def start_worker() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "yangguang", "worker", "--interval", "0.2"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    yangguang("migrate", "--noinput", "-v", "0")
    job_id = yangguang("shell", "-c", SUBMIT.format(path=str(tmp_path / "big.csv")))
    progress = FileBasedCache(str(var / "cache" / "progress"), {})
    before = {table: query(f"SELECT count(*) FROM {table}") for table in WRITTEN}
    assert [before[table] for table in REGISTRY_TABLES] == [0] * len(REGISTRY_TABLES)

    worker = start_worker()
    try:
        def mid_way() -> bool:
            latest = progress.get(f"job:{job_id}") or {}
            return bool(latest.get("total") and 0 < latest["done"] < latest["total"])

        _wait_for("the import to be mid-way", mid_way, worker)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=PATIENCE)
    finally:
        if worker.poll() is None:
            worker.kill()

    after = {table: query(f"SELECT count(*) FROM {table}") for table in WRITTEN}
    assert after == before
    assert query("SELECT status FROM registry_importjob") == "running"
    assert query("SELECT state FROM jobs_job WHERE kind = 'import'") == "running"

    # The retry settles the job of the dead worker as failed and queues it again.
    assert yangguang("shell", "-c", RETRY.format(job_id=job_id)) == "queued"
    worker = start_worker()
    try:
        _wait_for("the retried job to end",
                  lambda: query("SELECT state FROM jobs_job WHERE kind = 'import'") in ("done", "failed"), worker)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=PATIENCE)

    assert query("SELECT state FROM jobs_job WHERE kind = 'import'") == "done"
    assert query("SELECT attempts FROM jobs_job WHERE kind = 'import'") == 2
    assert query("SELECT status FROM registry_importjob") == "done"
    assert query("SELECT count(*) FROM registry_person") == ROWS
    assert query("SELECT count(*) FROM registry_certificate") >= ROWS
    assert not list((var / "media" / "imports").glob("*.csv"))  # the upload, once imported
