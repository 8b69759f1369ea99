"""Fast bulk inserts for imports: COPY on PostgreSQL, executemany on SQLite.

Rows are inserted with their primary keys allocated up front (``allocate_ids``),
so dependent rows can refer to them without a round trip per row. Call inside a
transaction; on SQLite the write lock taken at BEGIN IMMEDIATE keeps the
allocated range free for us.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import queue
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import connection, connections, models

#: A second connection for reads during a threaded bulk write (see ``Writer``).
READS = "bulk_reads"
# The GIL switch interval while a ``Writer`` thread writes to SQLite beside the caller
# (seconds). 20 µs rather than 200 since the statements got longer: four runs each way,
# 100,000 persons, 20 µs was faster in all four (by 0.03 to 0.6 s).
SWITCH_INTERVAL = 0.00002


class JsonText(str):
    """A JSON column's value already serialised: ``insert_rows`` writes it as it is."""


def _dumps_json(value: Any) -> str:
    return value if type(value) is JsonText else json.dumps(value)


def filter_in(queryset: models.QuerySet, field: str, values: Sequence[Any]) -> models.QuerySet:
    """``field IN values`` for thousands of values: one array parameter on PostgreSQL
    (``IN (SELECT unnest(%s))``) instead of thousands of bound parameters."""
    if connection.vendor == "postgresql":
        from django.db.models.expressions import RawSQL

        meta = queryset.model._meta
        db_type = pg_type(meta.pk if field == "pk" else meta.get_field(field))
        if all(type(value) is str and value and "," not in value for value in values):
            # One text parameter split by the server: psycopg's quoting of a text
            # array's elements costs more than the query for thousands of ID hashes.
            array = RawSQL(f"SELECT unnest(string_to_array(%s, ',')::{db_type}[])",
                           [",".join(values)])
        else:
            array = RawSQL(f"SELECT unnest(%s::{db_type}[])", [list(values)])
        return queryset.filter(**{f"{field}__in": array})
    return queryset.filter(**{f"{field}__in": values})


def allocate_ids(model: type[models.Model], count: int, using: str = "default") -> list[int]:
    """Reserve ``count`` new primary keys for ``model``."""
    if count == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connections[using].cursor() as cursor:
        if connection.vendor == "postgresql":
            # The values come back as runs of consecutive ids (one, unless other
            # sessions took values meanwhile): a few rows rather than ``count``.
            cursor.execute(
                "SELECT min(id), max(id) FROM ("
                " SELECT id, id - row_number() OVER (ORDER BY id) AS run FROM ("
                "  SELECT nextval(sequence.name) AS id FROM generate_series(1, %s),"
                # Looked up once (OFFSET 0 keeps it from being inlined into each row).
                "   (SELECT pg_get_serial_sequence(%s, %s)::regclass AS name OFFSET 0) AS sequence"
                " ) AS taken) AS numbered"
                " GROUP BY run ORDER BY 1",
                [count, table, pk],
            )
            return [value for first, last in cursor.fetchall() for value in range(first, last + 1)]
        cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


class IdPool:
    """Hands out primary keys reserved in blocks, so a long import asks the database
    for ids rarely (and never while a COPY holds the connection).

    On PostgreSQL the block comes from the table's sequence, and each block of a
    table is twice the one before (up to ``max_block``), so a million-row import asks
    a few times rather than fifty; ids left unused at the end are gaps, as after any
    rolled-back insert. On SQLite the ids follow the largest one in the table: the
    import's write lock keeps others out.

    With ``ahead`` (PostgreSQL), the ids a table's next take will need are reserved in a
    thread of the pool's own, through a connection of its own, while the current ones
    are used, so the caller does not wait for the sequence (the server takes about
    50 ms for 100,000 values, and a first load of 100,000 persons reserves some
    400,000). ``close`` ends the thread and its connection.
    """

    def __init__(self, block: int = 20000, using: str = "default",
                 max_block: int = 160000, *, ahead: bool = False) -> None:
        self.block = block
        self.max_block = max_block
        self.using = using  # sequences are outside transactions: any connection will do
        self._free: dict[type[models.Model], list[int]] = {}
        self._next: dict[type[models.Model], int] = {}
        self._blocks: dict[type[models.Model], int] = {}
        self._ahead = ahead
        self._pending: dict[type[models.Model], Future[list[int]]] = {}
        self._executor: ThreadPoolExecutor | None = None

    def take(self, model: type[models.Model], count: int) -> list[int]:
        if count == 0:
            return []
        if connection.vendor != "postgresql":
            start = self._next.get(model) or allocate_ids(model, 1)[0]
            self._next[model] = start + count
            return list(range(start, start + count))
        free = self._free.setdefault(model, [])
        if len(free) < count and model in self._pending:
            free.extend(self._pending.pop(model).result())
        if len(free) < count:
            free.extend(allocate_ids(model, max(self._grown(model), count - len(free)),
                                     self.using))
        taken, self._free[model] = free[:count], free[count:]
        if self._ahead and model not in self._pending and len(self._free[model]) < count:
            # A take as large as this one would run short: reserve that many now (no
            # more, so that the last ones, which nobody takes, cost little).
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="id-pool")
            self._pending[model] = self._executor.submit(
                allocate_ids, model, max(count, self.block), self.using)
        return taken

    def _grown(self, model: type[models.Model]) -> int:
        """The size of ``model``'s next block (each twice the one before)."""
        block = self._blocks.get(model, self.block)
        self._blocks[model] = min(2 * block, self.max_block)
        return block

    def close(self) -> None:
        """End the thread that reserves blocks ahead, and close its connection."""
        if self._executor is not None:
            for pending in self._pending.values():
                pending.exception()  # (wait; ids reserved and not used are gaps)
            self._pending.clear()
            self._executor.submit(lambda: connections[self.using].close()).result()
            self._executor.shutdown()
            self._executor = None


class Writer:
    """Runs inserts in order, in a background thread.

    The database's work on one batch (COPY or SQLite's inserts, index and constraint
    upkeep) then overlaps the caller's preparing the next batch. The thread uses the
    caller's connection, so everything stays in the caller's transaction: psycopg's
    connection lock makes the caller's own queries wait for a COPY in progress, and
    SQLite's (serialized threading mode, ``sqlite3.threadsafety`` 3) the caller's
    statements for the thread's. On SQLite only inserts by columns go to the thread
    (their statements are made in the caller's); ``insert`` waits for those, then
    runs inline.

    ``reads`` names the connection the caller should read pre-existing rows through:
    with ``separate_reads`` (pass it when the caller's transaction is the outermost,
    so no uncommitted rows of its own precede the writer), a second connection
    (``READS``) whose reads need not wait for a COPY; otherwise the caller's own.
    ``ids`` hands out primary keys, through the second connection with ``separate_ids``
    (pass it as ``separate_reads``), otherwise through the caller's.
    Use as a context manager; leaving it waits for the queue and re-raises any error.
    """

    def __init__(self, *, separate_reads: bool = False, separate_ids: bool = False) -> None:
        self.postgres = postgres = connection.vendor == "postgresql"
        self.reads = READS if postgres and separate_reads else "default"
        self.error: BaseException | None = None
        # Sequences stand outside transactions and table locks: ids taken through the
        # second connection need not wait for a COPY, even when the caller's locks keep
        # that connection from reading the tables (``separate_ids`` without
        # ``separate_reads``).
        self.ids = IdPool(using=READS if postgres and separate_ids else "default",
                          ahead=postgres and separate_ids)
        connection.ensure_connection()
        self._wrapper = connection  # the caller's: its transaction, its error mapping
        self._raw = connection.connection
        # Jobs: (a function of the raw connection, its other arguments).
        self._queue: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]] | None] = (
            queue.Queue(maxsize=8))
        self._thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
        # On SQLite the thread needs the GIL back after every statement, and a thread
        # running Python code hands it over only each switch interval (5 ms): shorter
        # while the two share it (100,000 rows: 3.5 → 3.2 s; no difference measured on
        # PostgreSQL). Only in a process with no other thread, for the others' sake.
        self._switch_interval: float | None = None  # to restore, if changed
        if not postgres and threading.active_count() == 1:
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)
        self._thread.start()

    def insert(self, model: type[models.Model], fields: Sequence[str],
               rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if not self.postgres:
            self.flush()
            insert_rows(model, fields, rows)
            return
        if self.error is not None:
            raise self.error
        self._queue.put((_copy, (model, fields, rows)))

    def insert_columns(self, model: type[models.Model], columns: dict[str, Any]) -> None:
        """Insert rows given by columns: attribute name → a sequence of values (a list, a
        polars Series) or one value for every row. See ``columns.insert_columns``."""
        if self.error is not None:
            raise self.error
        from yangguang.core import columns as by_columns

        if self.postgres:
            # Encoded here: the writer thread only sends, so the server need not wait for
            # the next batch's encoding between one COPY and the next.
            self._queue.put((by_columns.send, by_columns.encoded(model, columns)))
        else:
            self._queue.put((by_columns.send_sqlite,
                             (by_columns.sqlite_statements(model, columns),)))

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                if self.error is None:
                    send, args = job
                    with self._wrapper.wrap_database_errors:  # driver → django.db errors
                        send(self._raw, *args)
            except BaseException as exc:  # re-raised in the caller's thread
                self.error = exc
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every queued insert is done: call before writing through the ORM
        rows that refer to queued ones."""
        self._queue.join()
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self._stop()
        if self.error is not None:
            raise self.error

    def _stop(self) -> None:
        """Let the thread finish the queue and end; close the id pool."""
        self._queue.put(None)
        self._thread.join()
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None
        self.ids.close()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self._stop()


def lock_exclusively(tables: Sequence[type[models.Model]]) -> None:
    """Lock ``tables`` until the caller's transaction ends: no one else reads or writes
    them meanwhile (PostgreSQL's ACCESS EXCLUSIVE; SQLite's write lock is the
    database's, taken at BEGIN IMMEDIATE)."""
    if connection.vendor != "postgresql":
        return
    names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")


#: Memory for re-creating each index in ``indexes_deferred`` (PostgreSQL's default,
#: 64 MB, sorts a million persons' name index in several passes on disk).
INDEX_BUILD_MEMORY = "256MB"


def _deferrable_schema(tables: Sequence[str]) -> tuple[list[str], list[str]]:
    """What ``indexes_deferred`` drops and re-creates on ``tables``: the statements that
    drop them and the ones that re-create them, in order."""
    with connection.cursor() as cursor:
        # Unique and foreign-key constraints (not primary keys, checks, NOT NULL).
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('u', 'f')"
            " ORDER BY contype = 'f', conrelid::regclass::text, conname", [list(tables)])
        constraints = cursor.fetchall()
        # Indexes of no constraint (plain, partial, unique ones made by CREATE INDEX).
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)"
            " FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[])"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid"
            "                 AND c.conrelid = i.indrelid)"
            " ORDER BY 1", [list(tables)])
        indexes = cursor.fetchall()
    quote = connection.ops.quote_name
    drop = [f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}"
            for table, name, _kind, _definition in reversed(constraints)]
    drop += [f"DROP INDEX {name}" for name, _definition in indexes]
    create = [definition for _name, definition in indexes]
    # Unique constraints before the foreign keys (which may refer to them).
    create += [f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
               for table, name, _kind, definition in constraints]
    return drop, create


@contextlib.contextmanager
def indexes_deferred(tables: Sequence[type[models.Model]],
                     sqlite_indexes: Sequence[str] = ()) -> Iterator[None]:
    """PostgreSQL's way of loading many rows into empty tables ("Populating a Database"
    in its manual): the tables' secondary indexes, unique and foreign-key constraints
    are dropped, and re-created when the block ends, in the caller's transaction.

    Each index is then built once, from sorted rows, and each foreign key checked by
    one join, instead of both being kept up row by row: for a first load of a million
    persons, several times less work for the server. Nothing is given up: a duplicate
    or a dangling reference fails the re-creation with the same ``IntegrityError``,
    and the caller's transaction (which must hold ``lock_exclusively`` on the tables,
    so that no one sees them without their indexes) is undone with everything in it.
    If the block raises, nothing is re-created: the rollback restores the tables as
    they were.

    On SQLite (whose DDL is transactional too, and whose write lock, taken at BEGIN
    IMMEDIATE, is the whole database's) only the indexes named in ``sqlite_indexes``:
    there, building an index at the end costs about what keeping it up costs, unless its
    keys come in no order (see ``imports.SQLITE_DEFERRED_INDEXES``).
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            definitions = []
            for name in sqlite_indexes:
                cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' "
                               "AND name = %s", [name])
                definitions.extend(row[0] for row in cursor.fetchall())
                cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
        yield
        with connection.cursor() as cursor:
            for definition in definitions:
                cursor.execute(definition)
        return
    if connection.vendor != "postgresql":
        yield
        return
    drop, create = _deferrable_schema([m._meta.db_table for m in tables])
    with connection.cursor() as cursor:
        for statement in drop:
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = %s", [INDEX_BUILD_MEMORY])
        for statement in create:
            cursor.execute(statement)


@contextlib.contextmanager
def sqlite_direct_writes(wrapper: Any = None) -> Iterator[bool]:
    """On SQLite, outside a transaction: for the block, the database file is written
    directly, under a rollback journal (TRUNCATE, ``synchronous=FULL``), instead of
    through the write-ahead log (the settings' WAL, ``synchronous=NORMAL``), which is
    restored when the block ends, however it ends. Yields whether the switch was made.

    A first load's pages are all new: a rollback journal keeps nothing for them, so each
    is written and synced once, where under WAL each is written to the log, synced,
    copied into the file by the checkpoint at the commit and synced again (a first load
    of 100,000 persons writes 130 MB; measured 0.3 to 1.1 s less of 3.2 to 4.6 s).
    The price: while the block writes, other connections cannot read the database as a
    WAL reader could; they wait (a request at most ``YANGGUANG_REQUEST_LOCK_TIMEOUT_MS``,
    then the busy page: ``core.locks``). SQLite changes the journal only when no other
    connection has the database open: if one has, nothing changes and the block runs
    under WAL as any other. If the switch back finds one open, the database stays as it
    is until the next connection opens it (``core.apps.configure_sqlite`` puts it back
    in WAL).
    """
    wrapper = wrapper or connection
    if wrapper.vendor != "sqlite" or wrapper.in_atomic_block:
        yield False
        return
    wrapper.ensure_connection()
    raw = wrapper.connection
    switched = (raw.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
                and _journal_mode(raw, "truncate"))
    if switched:
        raw.execute("PRAGMA synchronous = FULL")
    try:
        yield switched
    finally:
        if switched:
            raw.execute("PRAGMA synchronous = NORMAL")
            _journal_mode(raw, "wal")


def _journal_mode(raw: sqlite3.Connection, mode: str) -> bool:
    """Set SQLite's journal mode if no one else has the database open, without waiting
    for them; returns whether it is now ``mode``."""
    with sqlite_no_busy_wait(raw):
        try:
            return raw.execute(f"PRAGMA journal_mode = {mode}").fetchone()[0].lower() == mode
        except sqlite3.OperationalError:  # "database is locked": another has it open
            return False


@contextlib.contextmanager
def sqlite_no_busy_wait(raw: sqlite3.Connection) -> Iterator[None]:
    """For the block, a statement on ``raw`` (the driver's SQLite connection) that finds
    the database locked fails at once ("database is locked") instead of waiting the
    connection's ``busy_timeout``."""
    timeout = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(timeout)}")


def pg_type(field: models.Field) -> str:
    """The PostgreSQL type name of a column, for binary COPY (``varchar(64)`` → ``varchar``)."""
    target = field.target_field if field.is_relation else field
    return target.db_type(connection).split("(")[0].strip()


def _copy(raw: Any, model: type[models.Model], fields: Sequence[str],
          rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows in PostgreSQL's binary format: far less work, on both sides, than text."""
    from psycopg.types.json import set_json_dumps

    types = [pg_type(model._meta.get_field(name)) for name in fields]
    count = 0
    with raw.cursor() as cursor, cursor.copy(copy_statement(model, fields)) as copy:
        set_json_dumps(_dumps_json, cursor)
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _table_and_columns(model: type[models.Model], fields: Sequence[str]) -> str:
    """``"table" ("column", …)`` for ``fields`` (attribute names)."""
    quoted = ", ".join(f'"{model._meta.get_field(name).column}"' for name in fields)
    return f'"{model._meta.db_table}" ({quoted})'


def copy_statement(model: type[models.Model], fields: Sequence[str]) -> str:
    """``COPY table (columns) FROM STDIN (FORMAT BINARY)`` for ``fields``."""
    return f"COPY {_table_and_columns(model, fields)} FROM STDIN (FORMAT BINARY)"


def insert_statement(model: type[models.Model], fields: Sequence[str]) -> str:
    """``INSERT INTO table (columns) VALUES (%s, …)`` for ``fields`` (attribute names)."""
    placeholders = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {_table_and_columns(model, fields)} VALUES ({placeholders})"


def values_statement(model: type[models.Model], fields: Sequence[str], rows: int,
                     constant: Sequence[str] = ()) -> str:
    """``INSERT INTO table (columns) VALUES (?1, ?, …), (?1, ?, …), …`` (SQLite): ``rows``
    rows of ``fields``. A field in ``constant`` has one value for every row: it comes
    first, as one numbered parameter (``?1``, ``?2`` …) used in every row; the other
    fields take a ``?`` each, row after row. So the parameters are the constants' values,
    then the rows' values row by row.

    (Only the constants are numbered: SQLite takes time quadratic in the count of
    numbered parameters to prepare a statement, 44–78 ms for 400 rows of 13 columns
    against 5 ms with ``?``.)"""
    varying = [name for name in fields if name not in constant]
    row = "(" + ", ".join([f"?{k + 1}" for k in range(len(constant))]
                          + ["?"] * len(varying)) + ")"
    return (f"INSERT INTO {_table_and_columns(model, [*constant, *varying])} "
            f"VALUES {', '.join([row] * rows)}")


def insert_rows(model: type[models.Model], fields: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> int:
    """Insert raw rows (values in the order of ``fields``, by model attribute name).

    JSON fields take Python objects or ``JsonText``; foreign keys take the ``*_id`` attribute name.
    Returns the number of rows inserted.
    """
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.wrap_database_errors:
            return _copy(connection.connection, model, fields, rows)
    model_fields = [model._meta.get_field(name) for name in fields]  # accepts "region_id" too
    table = model._meta.db_table
    count = 0
    sql = insert_statement(model, fields)
    # Only the columns whose values need converting are touched.
    converted = [(i, convert) for i, f in enumerate(model_fields)
                 if (convert := sqlite_converter(f)) is not None]
    width = len(model_fields)
    batch: list[Sequence[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            if len(row) != width:
                raise ValueError(f"{len(row)} values for {width} columns of {table}")
            if converted:
                row = list(row)
                for i, convert in converted:
                    if (value := row[i]) is not None:
                        row[i] = convert(value)
            batch.append(row)
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def sqlite_converter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a Python value of ``field`` is stored in SQLite, without Django's per-value
    field machinery (too slow for millions of values); mirrors its storage formats."""
    if isinstance(field, models.JSONField):
        return lambda value: (value if type(value) is JsonText
                              else json.dumps(value, ensure_ascii=False))
    if isinstance(field, models.DateTimeField):
        adapt = connection.ops.adapt_datetimefield_value
        return functools.lru_cache(maxsize=64)(adapt)
    if isinstance(field, models.DateField):
        return lambda value: value.isoformat()
    return None


@contextlib.contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused, in a process with no other thread to affect.

    Bulk work (an import, a match run's exact pass) makes millions of short-lived
    tuples and dicts and hardly any reference cycles, and the collector's passes over
    the ones alive took a third of the registry import's time (and 4 of 10 CPU-seconds
    of the exact pass's 5M matches). Whatever cycles the work leaves are collected when
    the collector resumes.
    """
    if not gc.isenabled() or threading.active_count() > 1:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
