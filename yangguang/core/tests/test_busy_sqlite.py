"""A page on SQLite while a first load holds the database file: the request waits only
YANGGUANG_REQUEST_LOCK_TIMEOUT_MS and gets the busy page (503), even though the wait runs
out in a middleware (the session's lookup), not in a view; once the load is done the page
works again. The server runs in a process of its own on a database file of its own (the
test database is in memory, or PostgreSQL); another connection holds the file as
``bulk.sqlite_direct_writes`` and a first load's spilled pages do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

SCRIPT = r'''
import json, os, sqlite3, time
import django
django.setup()
from django.db import connection
from django.test import Client
from yangguang.accounts import services
from yangguang.audit.services import Actor

user = services.create_user("busy", "Sunny-Test-Passphrase-2025",
                            [("registrar", "140922")], actor=Actor("test"))
client = Client(SERVER_NAME="localhost", raise_request_exception=False)
client.force_login(user)
connection.close()


def get():
    started = time.monotonic()
    response = client.get("/registry/persons/")
    connection.close()
    return {"status": response.status_code, "seconds": time.monotonic() - started,
            "retry_after": response.get("Retry-After"),
            "page": response.content.decode()}


holder = sqlite3.connect(os.environ["BUSY_DB"], isolation_level=None)
assert holder.execute("PRAGMA journal_mode = truncate").fetchone()[0] == "truncate"
holder.execute("BEGIN EXCLUSIVE")
held = get()
holder.execute("ROLLBACK")
holder.execute("PRAGMA journal_mode = wal")
holder.close()
print(json.dumps({"held": held, "after": get()}))
'''


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A migrated SQLite file (made once: ``migrate`` loads the region tree) and the
    environment of a process using it."""
    var = tmp_path_factory.mktemp("busy")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
           "YANGGUANG_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "yangguang.settings"}
    subprocess.run([sys.executable, "-m", "yangguang", "migrate", "-v0"], env=env, check=True,
                   timeout=120)
    return var / "db.sqlite3", env


@pytest.mark.parametrize("debug", ["0", "1"])
def test_a_page_answers_busy_soon_while_a_first_load_holds_the_sqlite_file(
        migrated, tmp_path, debug):
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(migrated[0], database)  # (its last connection has closed the log)
    env = {**migrated[1], "DATABASE_URL": f"sqlite:///{database}", "YANGGUANG_DEBUG": debug,
           "YANGGUANG_REQUEST_LOCK_TIMEOUT_MS": "300", "BUSY_DB": str(database)}

    run = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=120, check=False)

    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.splitlines()[-1])
    held, after = result["held"], result["after"]
    assert held["status"] == 503 and held["retry_after"] == "30"
    assert "数据正在导入，请稍后再试" in held["page"] and "没有数据丢失" in held["page"]
    # It waited for the request's limit (0.3 s) before answering, but not for the
    # settings' 30 s. The upper bound is far from both, so that a busy machine's
    # slowness (2.6 s seen once) never decides the result; only waiting for the
    # SQLite timeout would.
    assert 0.3 <= held["seconds"] < 20
    assert after["status"] == 200 and "数据正在导入" not in after["page"]
