"""SQLite's journal: WAL as each connection opens, and a first load's direct writes
(``bulk.sqlite_direct_writes``), on database files of their own (the test database is
in memory, or PostgreSQL), opened with the project's SQLite options."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import OperationalError, connections, transaction

from yangguang.core import bulk, locks


@pytest.fixture
def sqlite_file(tmp_path, django_db_blocker):
    """Two connections, ``file_a`` and ``file_b``, to one new SQLite file, opened as the
    settings open the default database."""
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3"),
                "OPTIONS": dict(settings.YANGGUANG_SQLITE_OPTIONS)}
    aliases = ("file_a", "file_b")
    configured = connections.configure_settings(
        {"default": connections.settings["default"], **{alias: dict(database) for alias in aliases}})
    for alias in aliases:
        connections.settings[alias] = configured[alias]
    with django_db_blocker.unblock():
        try:
            with connections["file_a"].cursor() as cursor:
                cursor.execute("CREATE TABLE t (x integer)")
            yield connections["file_a"], connections["file_b"]
        finally:
            for alias in aliases:
                connections[alias].close()
                del connections[alias]
                del connections.settings[alias]


def _pragma(wrapper, name):
    with wrapper.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def _count(wrapper):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        return cursor.fetchone()[0]


def test_connections_open_the_database_in_wal_mode(sqlite_file):
    a, _b = sqlite_file
    assert _pragma(a, "journal_mode") == "wal"
    assert _pragma(a, "synchronous") == 1  # NORMAL
    assert _pragma(a, "page_size") == 16384


def test_direct_writes_use_a_rollback_journal_then_put_the_log_back(sqlite_file):
    a, _b = sqlite_file
    with bulk.sqlite_direct_writes(a) as switched:
        assert switched
        assert (_pragma(a, "journal_mode"), _pragma(a, "synchronous")) == ("truncate", 2)
        with transaction.atomic(using="file_a"), a.cursor() as cursor:
            cursor.executemany("INSERT INTO t VALUES (%s)", [(i,) for i in range(1000)])
    assert (_pragma(a, "journal_mode"), _pragma(a, "synchronous")) == ("wal", 1)
    assert _count(a) == 1000


def test_a_failure_inside_rolls_back_and_still_puts_the_log_back(sqlite_file):
    a, _b = sqlite_file
    with (pytest.raises(ZeroDivisionError), bulk.sqlite_direct_writes(a),
          transaction.atomic(using="file_a"), a.cursor() as cursor):
        cursor.execute("INSERT INTO t VALUES (1)")
        1 / 0  # noqa: B018
    assert _pragma(a, "journal_mode") == "wal"
    assert _count(a) == 0


def test_nothing_changes_while_another_connection_has_the_database_open(sqlite_file):
    a, b = sqlite_file
    assert _count(b) == 0  # b has it open (in WAL mode)
    with bulk.sqlite_direct_writes(a) as switched:
        assert not switched
        assert _pragma(a, "journal_mode") == "wal"
        with transaction.atomic(using="file_a"), a.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
    assert _pragma(a, "journal_mode") == "wal"
    assert _count(b) == 1


def test_inside_a_transaction_nothing_changes(sqlite_file):
    a, _b = sqlite_file
    with transaction.atomic(using="file_a"), bulk.sqlite_direct_writes(a) as switched:
        assert not switched
        assert _pragma(a, "journal_mode") == "wal"


def test_a_connection_opened_during_direct_writes_reads_and_the_log_comes_back(sqlite_file):
    a, b = sqlite_file
    with bulk.sqlite_direct_writes(a) as switched:
        assert switched
        with transaction.atomic(using="file_a"), a.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
            # b opens now: it cannot put the database back in WAL mode while a writes,
            # and opens all the same, reading what was committed.
            assert _count(b) == 0
            assert _pragma(b, "journal_mode") == "delete"  # (a rollback journal, its own kind)
        assert _count(b) == 1
    assert _pragma(a, "journal_mode") == "wal"
    assert _count(b) == 1


def test_a_request_waits_briefly_for_a_first_load_holding_the_file(sqlite_file, settings):
    """While a first load holds the file (its changes spill from the page cache, or it
    commits), another connection cannot read; a request's connection waits only
    YANGGUANG_REQUEST_LOCK_TIMEOUT_MS (core.locks), not the settings' 30 s, and the
    error is the lock wait that the busy page and the API's 503 answer."""
    a, b = sqlite_file
    settings.YANGGUANG_REQUEST_LOCK_TIMEOUT_MS = 200
    with bulk.sqlite_direct_writes(a) as switched:
        assert switched
        a.ensure_connection()
        a.connection.execute("BEGIN EXCLUSIVE")  # as the load holds it once it spills
        try:
            a.connection.execute("INSERT INTO t VALUES (1)")
            started = time.monotonic()
            with b.cursor() as cursor:  # b opens at once, without its pragmas
                opened = time.monotonic() - started
                cursor.execute(locks.request_lock_limit("sqlite"))
                started = time.monotonic()
                with pytest.raises(OperationalError) as raised:
                    cursor.execute("SELECT count(*) FROM t")
                waited = time.monotonic() - started
        finally:
            a.connection.execute("ROLLBACK")
    assert opened < 1
    assert locks.lock_not_available(raised.value)
    assert 0.2 <= waited < 5
    assert _count(b) == 0
    b.close()
    assert (_pragma(b, "journal_mode"), _pragma(b, "synchronous")) == ("wal", 1)


def test_other_database_errors_are_not_lock_waits(sqlite_file):
    a, _b = sqlite_file
    with pytest.raises(OperationalError) as raised, a.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    assert not locks.lock_not_available(raised.value)

