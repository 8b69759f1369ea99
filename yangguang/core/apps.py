import contextlib
import sqlite3
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created

from yangguang.core.bulk import sqlite_no_busy_wait


def configure_sqlite(sender: object, connection: Any, **kwargs: object) -> None:
    """Set the settings' ``YANGGUANG_SQLITE_PRAGMAS`` on an SQLite connection as it
    opens (WAL: readers work while an import writes), without waiting for a lock.

    While another connection writes the file directly (``bulk.sqlite_direct_writes``, a
    first load) they cannot all be set: SQLite refuses the switch to WAL, and once the
    writer holds the file it refuses even ``synchronous`` and ``cache_size``, which read
    the schema. The connection then opens all the same, as a rollback journal's reader
    with SQLite's defaults, and its first query waits for the writer as long as its
    ``busy_timeout`` allows (a request's: ``core.locks``). The writer puts WAL back when
    it is done."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    with sqlite_no_busy_wait(raw):
        for pragma in settings.YANGGUANG_SQLITE_PRAGMAS:
            with contextlib.suppress(sqlite3.OperationalError):  # "database is locked"
                raw.execute(f"PRAGMA {pragma}")


class CoreConfig(AppConfig):
    name = "yangguang.core"
    label = "core"

    def ready(self) -> None:
        connection_created.connect(configure_sqlite,
                                   dispatch_uid="yangguang.core.configure_sqlite")
