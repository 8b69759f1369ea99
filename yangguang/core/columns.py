"""Bulk inserts given by columns (polars), for imports into an empty registry.

``insert_columns`` (and ``bulk.Writer.insert_columns``, which runs the COPY in the
writer thread) takes a dict of attribute name → values (a list, a polars Series) or
one value for every row. On PostgreSQL the columns become Arrow arrays that pgpq
encodes in COPY's binary format; on SQLite polars converts dates and times as SQLite
stores them and the rows go to ``executemany``. A module of its own, so that only
the processes that import in bulk load polars, pyarrow and pgpq.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pyarrow as pa
from django.db import connection, models
from pgpq import ArrowToPostgresBinaryEncoder
from pgpq.encoders import StringEncoderBuilder
from pgpq.schema import Jsonb

from yangguang.core.bulk import copy_statement, insert_statement, pg_type


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
    target = field.target_field if field.is_relation else field
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
    through pgpq's binary COPY on PostgreSQL, ``executemany`` on SQLite. JSON fields
    take JSON text. Returns the number of rows inserted."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.wrap_database_errors:
            send(connection.connection, *encoded(model, columns))
        return _height(columns)
    # As SQLite stores the fields (see ``bulk._sqlite_converter``), made by column: dates as
    # ISO text, times as Django writes them; JSON is already text.
    frame = _frame(model, columns)
    adapt = connection.ops.adapt_datetimefield_value
    converted = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Date:
            converted.append(pl.col(name).dt.to_string("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            times = frame[name].drop_nulls().unique().to_list()
            converted.append(pl.col(name).replace_strict(
                times, [adapt(t) for t in times], default=None, return_dtype=pl.String))
    rows = frame.with_columns(converted).rows() if converted else frame.rows()
    with connection.cursor() as cursor:
        cursor.executemany(insert_statement(model, list(columns)), rows)
    return len(rows)
