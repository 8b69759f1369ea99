"""Fast bulk inserts for imports: COPY on PostgreSQL, executemany on SQLite.

Rows are inserted with their primary keys allocated up front (``allocate_ids``),
so dependent rows can refer to them without a round trip per row. Call inside a
transaction; on SQLite the write lock taken at BEGIN IMMEDIATE keeps the
allocated range free for us.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve ``count`` new primary keys for ``model``."""
    if count == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def insert_rows(model: type[models.Model], fields: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> int:
    """Insert raw rows (values in the order of ``fields``, by model attribute name).

    JSON fields take Python objects; foreign keys take the ``*_id`` attribute name.
    Returns the number of rows inserted.
    """
    opts = model._meta
    model_fields = [opts.get_field(name) for name in fields]  # accepts "region_id" too
    table = opts.db_table
    quoted = ", ".join(f'"{f.column}"' for f in model_fields)
    count = 0
    if connection.vendor == "postgresql":
        json_positions = [i for i, f in enumerate(model_fields) if isinstance(f, models.JSONField)]
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    if json_positions:
                        row = list(row)
                        for i in json_positions:
                            row[i] = json.dumps(row[i], ensure_ascii=False)
                    copy.write_row(row)
                    count += 1
        return count
    placeholders = ", ".join(["%s"] * len(model_fields))
    sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({placeholders})'
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append([f.get_db_prep_save(v, connection) for f, v in zip(model_fields, row,
                                                                             strict=True)])
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count
