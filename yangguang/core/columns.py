"""Bulk inserts given by columns (polars), for imports into an empty registry.

``insert_columns`` (and ``bulk.Writer.insert_columns``, which runs the COPY or the
SQLite statements in the writer thread) takes a dict of attribute name → values (a
list, a polars Series) or one value for every row. On PostgreSQL the columns become
Arrow arrays that pgpq encodes in COPY's binary format; on SQLite polars converts dates
and times as SQLite stores them and the rows go in as multi-row ``VALUES`` whose
parameters are the columns' slices laid in row by row (no row tuples are built), a
column with one value for every row bound once a statement. A module of its own,
so that only the processes that import in bulk load polars, pyarrow and pgpq.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from typing import Any

import polars as pl
import pyarrow as pa
from django.db import connection, models
from pgpq import ArrowToPostgresBinaryEncoder
from pgpq.encoders import StringEncoderBuilder
from pgpq.schema import Jsonb

from yangguang.core.bulk import copy_statement, pg_type, sqlite_converter, values_statement


def _frame(model: type[models.Model], columns: dict[str, Any]) -> pl.DataFrame:
    """The columns as a polars frame typed as the model's fields are stored."""
    schema = {name: _polars_type(model._meta.get_field(name)) for name in columns}
    height = _height(columns)
    return pl.DataFrame({name: pl.repeat(value, height, dtype=schema[name], eager=True)
                         if _is_scalar(value) else pl.Series(name, value, dtype=schema[name],
                                                             strict=False)
                         for name, value in columns.items()})


def _height(columns: dict[str, Any]) -> int:
    lengths = {len(c) for c in columns.values() if not _is_scalar(c)}
    if len(lengths) != 1:
        raise ValueError(f"columns differ in length: {lengths}")
    return lengths.pop()


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bytes | int | float | dt.date)


def _polars_type(field: models.Field) -> Any:
    kind = pg_type(field) if connection.vendor == "postgresql" else None
    target = _target(field)
    if isinstance(target, models.DateTimeField):
        return pl.Datetime("us", "UTC")
    if isinstance(target, models.DateField):
        return pl.Date
    if isinstance(target, models.BinaryField):
        return pl.Binary
    if isinstance(target, models.SmallIntegerField | models.PositiveSmallIntegerField):
        return pl.Int16
    if isinstance(target, models.BigIntegerField | models.BigAutoField):
        return pl.Int64
    if isinstance(target, models.IntegerField | models.AutoField):
        return pl.Int32 if kind in ("integer", "serial") else pl.Int64
    if isinstance(target, models.BooleanField):
        return pl.Boolean
    return pl.String  # text, JSON already serialised (``JsonText``)


def encoded(model: type[models.Model], columns: dict[str, Any]) -> tuple[str, list[bytes]]:
    """The COPY statement and data that insert ``columns``: PostgreSQL's binary format,
    encoded by pgpq from Arrow arrays."""
    fields = [model._meta.get_field(name) for name in columns]
    table = _frame(model, columns).to_arrow()
    plain = {pa.types.is_large_string: pa.string(), pa.types.is_string_view: pa.string(),
             pa.types.is_large_binary: pa.binary()}
    table = table.cast(pa.schema([
        pa.field(f.name, next((t for test, t in plain.items() if test(f.type)), f.type))
        for f in table.schema]))
    json_columns = {f.attname for f in fields if isinstance(f, models.JSONField)}
    encoder = ArrowToPostgresBinaryEncoder.new_with_encoders(table.schema, {
        field.name: StringEncoderBuilder.new_with_output(field, Jsonb())
        if field.name in json_columns else ArrowToPostgresBinaryEncoder.infer_encoder(field)
        for field in table.schema})
    data = [encoder.write_header(), *(encoder.write_batch(b) for b in table.to_batches()),
            encoder.finish()]
    return copy_statement(model, list(columns)), data


def send(raw: Any, statement: str, data: list[bytes]) -> None:
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for part in data:
            copy.write(part)


def insert_columns(model: type[models.Model], columns: dict[str, Any]) -> int:
    """Insert rows given by columns (attribute name → values, or one value for all):
    through pgpq's binary COPY on PostgreSQL, multi-row ``VALUES`` on SQLite. JSON fields
    take JSON text. Returns the number of rows inserted."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.wrap_database_errors:
            send(connection.connection, *encoded(model, columns))
        return _height(columns)
    statements = sqlite_statements(model, columns)
    with connection.wrap_database_errors:
        send_sqlite(connection.connection, statements)
    return _height(columns)


def sqlite_statements(model: type[models.Model],
                      columns: dict[str, Any]) -> list[tuple[str, list[list[Any]]]]:
    """The statements that insert ``columns`` on SQLite, each with its parameter lists
    (for ``executemany``): multi-row ``VALUES`` (``bulk.values_statement``) whose
    parameters are the columns' slices laid in row by row, so that no row tuples are
    built; a column with one value for every row is bound once a statement."""
    # As SQLite stores the fields (see ``bulk.sqlite_converter``), made by column: dates as
    # ISO text, times as Django writes them; JSON is already text. Other values are bound
    # as they are: a list as it is, a polars column as its list.
    height = _height(columns)
    constant = [name for name, value in columns.items() if _is_scalar(value)]
    varying = [name for name in columns if name not in constant]
    temporal = [name for name in varying if isinstance(
        _target(model._meta.get_field(name)), models.DateField)]  # DateTimeField too
    frame = _frame(model, {name: columns[name] for name in temporal}) if temporal else None
    adapt = connection.ops.adapt_datetimefield_value
    converted = {}
    for name in temporal:
        column = frame.get_column(name)
        if column.dtype == pl.Date:
            column = column.dt.to_string("%Y-%m-%d")
        else:
            times = column.drop_nulls().unique().to_list()
            column = column.replace_strict(times, [adapt(t) for t in times], default=None,
                                           return_dtype=pl.String)
        converted[name] = column.to_list()
    values = [converted[name] if name in converted
              else columns[name].to_list() if isinstance(columns[name], pl.Series)
              else columns[name] if isinstance(columns[name], list)
              else list(columns[name]) for name in varying]
    # One value for every row: bound once a statement (values_statement's ``constant``).
    constants = [_sqlite_value(model._meta.get_field(name), columns[name])
                 for name in constant]
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = rows_per_statement(len(values), limit - len(constants))
    full = height - height % per
    statements = []
    if full:
        statements.append((values_statement(model, varying, per, constant),
                           list(_by_rows(constants, values, 0, full, per))))
    if full < height:
        statements.append((values_statement(model, varying, height - full, constant),
                           list(_by_rows(constants, values, full, height, height - full))))
    return statements


def _target(field: models.Field) -> models.Field:
    return field.target_field if field.is_relation else field


def _sqlite_value(field: models.Field, value: Any) -> Any:
    """A value for every row, as SQLite stores it (``bulk.sqlite_converter``; JSON is
    already text here, as in the columns)."""
    if value is None or isinstance(field, models.JSONField):
        return value
    convert = sqlite_converter(field)
    return value if convert is None else convert(value)


def send_sqlite(raw: Any, statements: list[tuple[str, list[list[Any]]]]) -> None:
    """Run ``sqlite_statements``' statements on a raw sqlite3 connection."""
    for statement, parameters in statements:
        raw.executemany(statement, parameters)


# SQLite: rows go in as multi-row ``VALUES`` of this many rows, fewer for wide tables
# (a statement takes at most SQLite's SQLITE_LIMIT_VARIABLE_NUMBER parameters, 32,766
# by default since 3.32). Longer statements cost less per row up to several hundred rows,
# then more: 100,000 persons (2026-12-03, three runs each on a machine whose speed varied
# by a third meanwhile) took 4.8–5.4 s at 800 rows, 4.5–6.0 at 1,200, 5.5–5.7 at 2,400;
# 400 and 1,200 could not be told from 800.
ROWS_PER_STATEMENT = 800


def rows_per_statement(width: int, max_parameters: int) -> int:
    return max(1, min(ROWS_PER_STATEMENT, max_parameters // width))


def _by_rows(constants: list[Any], values: list[list[Any]], start: int, stop: int,
             per: int) -> Iterator[list[Any]]:
    """Each statement's parameters, for rows ``start``–``stop`` in steps of ``per``: the
    constants, then the rows' values row by row (each column's slice laid in with a
    stride: no row tuples are built)."""
    width, first = len(values), len(constants)
    for i in range(start, stop, per):
        parameters: list[Any] = constants + [None] * (width * per)
        for j, column in enumerate(values):
            parameters[first + j::width] = column[i:i + per]
        yield parameters
