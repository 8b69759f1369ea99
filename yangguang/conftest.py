"""Fixtures shared by every app's tests.

Tests run against a real database (SQLite, and PostgreSQL in CI) that pytest-django
builds by running the migrations, so the region tree is there as in production.
Nothing here replaces our code or the database with stand-ins.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from yangguang.audit.services import Actor


@pytest.fixture(autouse=True)
def _default_language():
    """Start every test in the default language (zh-hans).

    A request through the test client leaves the language it chose active in the
    thread, and commands run in whatever language is active; without this reset a
    test that asked for English would change the output of the tests after it.
    """
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _audit_checkpoint(tmp_path_factory, settings) -> Path:
    """Each test its own audit checkpoint file: one written by a test (after a commit, or
    by ``audit checkpoint``) names an event of that test's database only."""
    path = tmp_path_factory.mktemp("audit") / "checkpoint.json"
    settings.YANGGUANG_AUDIT_CHECKPOINT = path
    return path


@pytest.fixture(autouse=True)
def _sign_in_counts(tmp_path_factory, settings) -> None:
    """Each test its own counts of failed sign-ins per address (``accounts.throttle``):
    every test client signs in from 127.0.0.1."""
    settings.CACHES = {**settings.CACHES, "throttle": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": tmp_path_factory.mktemp("throttle")}}


@pytest.fixture
def actor() -> Actor:
    """The actor that tests act as in service calls and audit events."""
    return Actor("test")


@pytest.fixture
def tmp_var(tmp_path: Path, settings, monkeypatch) -> Path:
    """A fresh var directory for files the code writes (uploads, reports, exports).

    The keys stay those loaded at start-up: changing them mid-run would make rows
    already encrypted in the test database unreadable.
    """
    var = tmp_path / "var"
    var.mkdir()
    monkeypatch.setenv("YANGGUANG_VAR_DIR", str(var))
    settings.VAR_DIR = var
    settings.MEDIA_ROOT = var / "media"
    return var


@pytest.fixture
def connect_elsewhere():
    """``connect_elsewhere()``: a second psycopg connection to the test database (on
    PostgreSQL), which sees only what is committed and waits for others' locks."""
    from django.db import connection

    def connect(**options):
        import psycopg

        params = {k: v for k, v in connection.get_connection_params().items()
                  if k != "cursor_factory"}
        return psycopg.connect(**params, **options)

    return connect


@pytest.fixture
def locked_elsewhere(connect_elsewhere):
    """``with locked_elsewhere(table, …):`` the tables locked (ACCESS EXCLUSIVE) by
    another connection for the block, as a first load holds the registry's. On SQLite,
    whose test database lives in this connection's memory, nothing is locked."""
    import contextlib

    from django.db import connection

    @contextlib.contextmanager
    def held(*tables: str):
        if connection.vendor != "postgresql":
            yield
            return
        with connect_elsewhere() as other:  # one transaction, rolled back below
            other.execute("SET lock_timeout = '5s'")  # never wait for ever in a test
            other.execute("LOCK TABLE " + ", ".join(tables) + " IN ACCESS EXCLUSIVE MODE")
            try:
                yield
            finally:
                other.rollback()

    return held
