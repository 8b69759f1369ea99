import contextlib
import sqlite3

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def use_write_ahead_log(sender: object, connection: object, **kwargs: object) -> None:
    """Put an SQLite database in WAL mode as each connection opens (readers work while
    an import writes), unless another connection is writing it directly just then
    (``bulk.sqlite_direct_writes``, a first load): SQLite refuses the change at once
    rather than wait, and the connection reads as a rollback journal's readers do,
    waiting for the writer. The writer puts WAL back when it is done."""
    if connection.vendor != "sqlite":  # type: ignore[attr-defined]
        return
    with contextlib.suppress(sqlite3.OperationalError):  # "database is locked"
        connection.connection.execute("PRAGMA journal_mode = WAL")  # type: ignore[attr-defined]


class CoreConfig(AppConfig):
    name = "yangguang.core"
    label = "core"

    def ready(self) -> None:
        connection_created.connect(use_write_ahead_log,
                                   dispatch_uid="yangguang.core.use_write_ahead_log")
