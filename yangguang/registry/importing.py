"""Bulk import of persons from XLSX or CSV files in the template's format.

Three steps:

1. ``read_table`` reads the file (XLSX/XLS through calamine; CSV in UTF-8 with or
   without BOM, or GB18030 as Chinese Excel writes it) and maps the header row to
   column keys. A file that cannot be read raises ``UnreadableFile``.
2. The rows are checked a block at a time (``BLOCK``): by columns first
   (``columnar.check``, which applies the rules of ``validation.py`` once per distinct
   value), then row by row (``parse_row``, which says what is wrong) for the rows the
   columns do not plainly accept; then the checks across rows (an ID number twice in
   the file, two heads of a household, the importer's regions).
3. ``services.imports.BulkImport`` writes every valid row, all in one transaction
   (``dry_run`` stops before writing): into an empty registry by columns (``create``),
   otherwise comparing each with the stored person (``apply``). Re-importing a file
   changes nothing: such rows come back as ``unchanged``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core import bulk, xlsx
from yangguang.core.crypto import hash_ids
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.registry import rules, vocabulary
from yangguang.registry import validation as v
from yangguang.registry.models import Relation
from yangguang.registry.rules import UNCOMPUTED_FORMULA, parse_row
from yangguang.registry.services import DB_MESSAGES, PersonData
from yangguang.registry.services.imports import (
    REGISTRY_MODELS,
    SQLITE_DEFERRED_INDEXES,
    WRITTEN_TABLES,
    BulkImport,
    first_load,
    looks_like_first_load,
    planned_persons,
    refresh_statistics,
)

if TYPE_CHECKING:
    import polars as pl

    from yangguang.registry import columnar

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    help: Any


COLUMNS: list[Column] = [Column(key, header, required, rules.HELP[key])
                         for key, header, required in vocabulary.COLUMNS]
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
HEADER_TO_KEY = {c.header: c.key for c in COLUMNS}
REQUIRED_KEYS = [c.key for c in COLUMNS if c.required]

MESSAGES = {
    **rules.MESSAGES,
    "id_duplicate_in_file": _("与第{row}行的公民身份号码重复"),
    "household_two_heads": _("家庭编号{value}在第{row}行已有户主"),
}

#: Region code prefixes an import may write to (``Region.short_code`` of each region
#: of the importing user); None: everywhere (the CLI, the demo loader).
Scope = tuple[str, ...] | None


class UnreadableFile(Exception):
    """The file cannot be imported at all; nothing was written."""


class ImportConflict(UnreadableFile):
    """Someone else registered a person or household of the file while the import ran
    (a unique constraint stopped the import's insert); nothing was written."""


@dataclass
class RowError:
    row: int
    column: str
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    batch_id: str = ""
    # Original cells of rejected rows, for the error report: row → values by header.
    rejected_rows: dict[int, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "rejected": self.rejected,
            "errors": [e.to_json() for e in self.errors],
        }


# ---------------------------------------------------------------------------
# Reading


@dataclass
class Table:
    headers: list[str]
    keys: list[str | None]  # column key per position, None for columns we don't know
    rows: Iterator[tuple[int, list[Any]]]  # (spreadsheet row number, cells)
    total: int | None
    sha256: str = ""  # of the file's bytes, for the audit event
    # A CSV file's data rows read whole, as text by column key (see ``_text_frame``),
    # in place of ``rows``.
    frame: pl.DataFrame | None = None

    def blocks(self, size: int | None = None) -> Iterator[columnar.Block]:
        """The rows, in blocks for checking (``columnar``)."""
        from yangguang.registry import columnar

        size = size or BLOCK
        if self.frame is None:
            yield from _blocks(self.rows, row_cells(self), size)
            return
        for start in range(0, self.frame.height, size):
            part = self.frame.slice(start, size)
            yield columnar.text_block(list(range(start + 2, start + 2 + part.height)), part)


def _normalise_header(cell: Any) -> str:
    text = unicodedata.normalize("NFKC", str(cell or ""))
    return "".join(text.split()).strip("*＊").removesuffix("(必填)").removesuffix("（必填）")


def _map_headers(raw: list[Any]) -> tuple[list[str], list[str | None]]:
    headers = [_normalise_header(c) for c in raw]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise UnreadableFile(gettext("第1行没有表头：第1行应为列名（姓名、公民身份号码……）"))
    keys = [HEADER_TO_KEY.get(h) for h in headers]
    seen: set[str] = set()
    for header, key in zip(headers, keys, strict=True):
        if key is not None:
            if key in seen:
                raise UnreadableFile(gettext("表头“{header}”出现了两次").format(header=header))
            seen.add(key)
    missing = [COLUMN_BY_KEY[k].header for k in REQUIRED_KEYS if k not in seen]
    if missing:
        raise UnreadableFile(
            gettext("缺少必填列：{columns}。请使用 yangguang template persons 生成的模板").format(
                columns="、".join(missing))
        )
    return headers, keys


def _decode_csv(data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise UnreadableFile(gettext("文件不是表格：请上传 XLSX 或 CSV 文件"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(gettext("无法识别文件编码：CSV 文件应为 UTF-8 或 GB18030 编码"))


def _read_csv(data: bytes) -> Table:
    import csv
    import io

    text = _decode_csv(data)
    # Lines, for the progress bar (a quoted cell's line breaks count too, as an estimate).
    lines = (text.count("\n") + (not text.endswith("\n")) if "\n" in text
             else len(text.splitlines()))
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
    except csv.Error as exc:
        raise UnreadableFile(gettext("CSV 格式错误：{error}").format(error=exc)) from None
    if header is None:
        raise UnreadableFile(gettext("文件是空的"))
    headers, keys = _map_headers(header)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            yield from enumerate(reader, start=2)
        except csv.Error as exc:
            raise UnreadableFile(gettext("CSV 格式错误：{error}").format(error=exc)) from None

    frame = _text_frame(text, keys)
    if frame is not None:
        return Table(headers, keys, iter(()), frame.height, frame=frame)
    return Table(headers, keys, rows(), max(lines - 1, 0))


def _text_frame(text: str, keys: list[str | None]) -> pl.DataFrame | None:
    """The data rows of a CSV file read by polars (many times faster than ``csv``), when
    that reads them as ``csv.reader`` does: no quoted cells, no line break but ``\n``
    or ``\r\n``, no NUL. Blank lines stay rows, so row numbers agree; a short row's
    missing cells are blank. None for any other file (``csv.reader`` reads it)."""
    if '"' in text or "\x00" in text or text.count("\r") != text.count("\r\n"):
        return None
    import polars as pl

    frame = pl.read_csv(text.encode(), has_header=False, infer_schema=False,
                        truncate_ragged_lines=True, quote_char=None,
                        empty_string_is_null=False)
    names = frame.columns
    return frame.select([pl.col(names[i]).alias(key) for i, key in enumerate(keys)
                         if key is not None and i < len(names)]).slice(1)


def _read_workbook(path: Path) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        iterator = iter(sheet.iter_rows())
        header = next(iterator, None)
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise UnreadableFile(gettext("无法读取表格文件：{error}").format(error=exc)) from None
    if header is None:
        raise UnreadableFile(gettext("文件是空的"))
    headers, keys = _map_headers(header)

    uncomputed = _uncomputed_formulas(path)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        if not uncomputed:
            yield from enumerate(iterator, start=2)
            return
        for number, cells in enumerate(iterator, start=2):
            for column in uncomputed.get(number, ()):
                if column < len(cells) and cells[column] == "":
                    cells[column] = UNCOMPUTED_FORMULA
            yield number, cells

    return Table(headers, keys, rows(), max(sheet.height - 1, 0))


def _uncomputed_formulas(path: Path) -> dict[int, list[int]]:
    """Row → column indexes of formula cells in the first sheet that carry no value.

    Excel and WPS store each formula's last value, which calamine reads; files
    generated by programs often store only the formula, and those cells would read
    as blank. Only workbooks that contain formulas at all are opened a second time.
    """
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as archive:
            sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
            if not any(b"<f" in archive.read(name) for name in sheets):
                return {}
    except (zipfile.BadZipFile, OSError):
        return {}
    found: dict[int, list[int]] = {}
    values = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    formulas = load_workbook(path, read_only=True, data_only=False).worksheets[0]
    for row_values, row_formulas in zip(values.iter_rows(), formulas.iter_rows(), strict=False):
        for value_cell, formula_cell in zip(row_values, row_formulas, strict=False):
            if (getattr(formula_cell, "data_type", None) == "f" and value_cell.value is None):
                found.setdefault(formula_cell.row, []).append(formula_cell.column - 1)
    return found


def read_table(path: str | Path) -> Table:
    """Open an XLSX, XLS or CSV file and map its header row (row 1)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise UnreadableFile(gettext("无法打开文件：{error}").format(error=exc.strerror)) from None
    if not data.strip():
        raise UnreadableFile(gettext("文件是空的"))
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        table = _read_workbook(path)
    else:
        table = _read_csv(data)
    table.sha256 = hashlib.sha256(data).hexdigest()
    return table


# ---------------------------------------------------------------------------
# Applying rows to the database


def _problem(code: str, field_: str, **params: Any) -> Problem:
    return Problem(code=code, field=field_, template=MESSAGES[code], params=params)


CHUNK = 5000  # rows compared and written together, when the registry holds persons
BLOCK = 20_000  # rows checked together, by columns (``columnar``)


def import_rows(rows: Iterable[dict[str, Any] | tuple[int, dict[str, Any]]], *,
                actor: Actor | Any, dry_run: bool = False, progress: Progress | None = None,
                total: int | None = None, source: str = "", scope: Scope = None) -> ImportResult:
    """Import rows given as dicts keyed by Chinese header or column key.

    Rows may be ``(row_number, cells)`` pairs; bare dicts are numbered from 2 (the
    header being row 1). All valid rows are written in one transaction.
    """
    def numbered() -> Iterator[tuple[int, dict[str, Any]]]:
        for index, item in enumerate(rows, start=2):
            number, cells = item if isinstance(item, tuple) else (index, item)
            yield number, {HEADER_TO_KEY.get(k, k): val for k, val in cells.items()}

    return _import(_blocks(numbered(), lambda cells: cells), actor=actor, dry_run=dry_run,
                   progress=progress, total=total, source=source, scope=scope)


def _blocks(rows: Iterator[tuple[int, Any]], to_cells: Callable[[Any], dict[str, Any]],
            size: int | None = None) -> Iterator[columnar.Block]:
    """Numbered rows in blocks (``to_cells`` makes a row a dict by column key)."""
    from yangguang.registry import columnar

    size = size or BLOCK
    numbers: list[int] = []
    cells: list[dict[str, Any]] = []
    for number, raw in rows:
        numbers.append(number)
        cells.append(to_cells(raw))
        if len(numbers) >= size:
            yield columnar.block_of(numbers, cells)
            numbers, cells = [], []
    if numbers:
        yield columnar.block_of(numbers, cells)


def _import(blocks: Iterator[columnar.Block], *, actor: Actor | Any, dry_run: bool,
            progress: Progress | None, total: int | None, source: str,
            scope: Scope = None) -> ImportResult:
    """Import blocks of rows, in one transaction."""
    actor = Actor.of(actor)
    today = timezone.localdate()
    result = ImportResult(dry_run=dry_run, batch_id=uuid.uuid4().hex[:12])
    outermost = not connection.in_atomic_block
    try:
        with _without_cycle_collection():
            return _import_in(blocks, actor=actor, today=today, result=result,
                              outermost=outermost, dry_run=dry_run, progress=progress,
                              total=total, source=source, scope=scope)
    except IntegrityError as exc:
        if not _unique_violation(exc):
            raise
        raise ImportConflict(gettext(
            "导入期间，文件中的人员或家庭被其他用户同时登记了，为避免重复，本次导入已全部撤销，"
            "没有写入任何数据。请重新导入。")) from exc


def _unique_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return (getattr(cause, "sqlstate", None) == "23505"  # PostgreSQL's unique_violation
            or "UNIQUE constraint failed" in str(exc))  # SQLite's


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused, in a process with no other thread to affect.

    An import makes millions of short-lived tuples and dicts and hardly any reference
    cycles, and the collector's passes over the ones alive (chunks, the ID and
    household maps) took a third of the importing process's time. Whatever cycles
    the import leaves are collected when the collector resumes.
    """
    if not gc.isenabled() or threading.active_count() > 1:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _import_in(blocks: Iterator[columnar.Block], *, actor: Actor, today: dt.date,
               result: ImportResult, outermost: bool, dry_run: bool,
               progress: Progress | None, total: int | None, source: str,
               scope: Scope) -> ImportResult:
    # On SQLite, as Django's loaddata does: foreign keys are not looked up row by row
    # (the pragma takes effect outside a transaction only, so when the import's is the
    # outermost) but checked once, table by table, before the commit (below). 100,000
    # persons: 0.2 s less. A first load writes SQLite's file directly, not through its
    # write-ahead log (bulk.sqlite_direct_writes, also outside a transaction only).
    outermost_sqlite = connection.vendor == "sqlite" and outermost and not dry_run
    with (bulk.sqlite_direct_writes() if outermost_sqlite and looks_like_first_load(total)
          else contextlib.nullcontext()), \
         (connection.constraint_checks_disabled() if outermost_sqlite
          else contextlib.nullcontext()), transaction.atomic():
        persons_before = planned_persons()
        loading = not dry_run and first_load(total)
        if connection.vendor == "postgresql" and not dry_run:
            # Check foreign keys as each COPY runs (in the writer thread, overlapping
            # our checking of the next rows) rather than all at once at commit.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # A first load's locks would keep a second connection from reading the tables
        # (but not from taking ids: sequences are not locked with their tables).
        with (bulk.indexes_deferred(REGISTRY_MODELS, SQLITE_DEFERRED_INDEXES) if loading
              else contextlib.nullcontext(),
              bulk.Writer(separate_reads=outermost and not loading,
                          separate_ids=outermost) as writer):
            writes = BulkImport(actor, writer=writer, dry_run=dry_run, today=today,
                                batch_id=result.batch_id, scope=scope, registry_empty=loading)
            _import_blocks(blocks, writes, result, progress, total, today, scope)
        if connection.vendor == "postgresql" and not dry_run:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        elif not dry_run:
            # SQLite checks foreign keys at commit, if at all (above): check now, inside
            # the import, so a violation fails the import rather than some outer
            # transaction.
            connection.check_constraints(table_names=WRITTEN_TABLES)
        if not dry_run:
            refresh_statistics(result.created + result.updated, persons_before)
        if not dry_run and (result.created or result.updated):
            record(actor, AuditAction.IMPORT, "import", result.batch_id,
                   data={"source": source, **{k: v_ for k, v_ in result.to_json().items()
                                              if k != "errors"}, **writes.chain.seal()})
    result.errors.sort(key=lambda e: e.row)
    return result


def _import_blocks(blocks: Iterable[columnar.Block], writes: BulkImport, result: ImportResult,
                   progress: Progress | None, total: int | None, today: dt.date,
                   scope: Scope = None) -> None:
    """Check and apply blocks of rows, in row order.

    Each block is checked by columns; the rows that check does not accept are checked
    one by one (``parse_row``, which says what is wrong). Then, in row order, the checks
    across rows: the scope, an ID number seen before in the file, a second head of a
    household. Into an empty registry the block's rows are written by columns
    (``BulkImport.create``), otherwise compared with the registry and written a chunk
    of persons at a time (``BulkImport.apply``).
    """
    import polars as pl

    from yangguang.registry import columnar

    rules = columnar.Rules(today)
    first_row_of_id: dict[str, int] = {}
    head_row_of_household: dict[str, int] = {}
    done = 0

    def reject(number: int, problems: list[Problem], cells: dict[str, Any]) -> None:
        result.rejected += 1
        for p in problems:
            column = COLUMN_BY_KEY[p.field].header if p.field in COLUMN_BY_KEY else p.field
            result.errors.append(RowError(number, column, p.code, p.message))
        result.rejected_rows[number] = cells

    for block in blocks:
        done += len(block)
        checked = columnar.check(block, rules)
        accepted = checked.accepted
        # The rows the columns did not accept, one by one.
        singly: list[tuple[int, PersonData]] = []
        for i in checked.others:
            cells = block.cells(i)
            if all(v.clean_text(x) == "" for x in cells.values()):
                continue  # blank rows are skipped, not counted
            try:
                singly.append((i, parse_row(cells, today=today)))
            except ValidationFailed as exc:
                result.rows += 1
                reject(block.numbers[i], exc.problems, cells)
        if singly:
            accepted = pl.concat([accepted, columnar.frame_of(
                [i for i, _d in singly], [block.numbers[i] for i, _d in singly],
                [d for _i, d in singly])]).sort("i")
        result.rows += accepted.height

        # Across rows, in row order: a row out of the scope is rejected first, then the
        # second and later rows of an ID number, then a second head of a household.
        rejected: dict[int, Problem] = {}
        numbers = accepted["row"].to_list()
        if scope is not None:
            outside = accepted.select(~pl.any_horizontal(
                pl.col("hukou_region").str.starts_with(prefix) for prefix in scope))
            for k in outside.to_series().arg_true().to_list():
                rejected[k] = _problem("region_out_of_scope", "hukou_region", label=v.HUKOU_LABEL,
                                       value=accepted["hukou_region"][k])
        ids, seen = accepted["id_number"].to_list(), first_row_of_id
        for k, (id_number, number) in enumerate(zip(ids, numbers, strict=True)):
            if k not in rejected and (first := seen.setdefault(id_number, number)) != number:
                rejected[k] = _problem("id_duplicate_in_file", "id_number", row=first)
        heads = accepted.select(pl.col("relation_to_head") == Relation.HEAD).to_series()
        households = accepted["household_number"].to_list()
        for k in heads.arg_true().to_list():
            household = households[k]
            if k not in rejected and (head := head_row_of_household.setdefault(
                    household, numbers[k])) != numbers[k]:
                rejected[k] = _problem("household_two_heads", "relation_to_head",
                                       value=household, row=head)
        if rejected:
            indexes = accepted["i"].to_list()
            for k in sorted(rejected):
                reject(numbers[k], [rejected[k]], block.cells(indexes[k]))
            accepted = accepted.filter(~pl.Series(range(accepted.height)).is_in(list(rejected)))
            ids = accepted["id_number"].to_list()
        hashes = hash_ids(ids)

        if writes.all_new:
            result.created += writes.create(accepted, hashes)
        else:
            # (The persons parse_row made as they are: the frame keeps less of the ID.)
            made = dict(singly)
            data = [made.get(i, person) for i, person in zip(
                accepted["i"].to_list(), columnar.persons(accepted), strict=True)]
            numbers = accepted["row"].to_list()
            index_of = dict(zip(numbers, accepted["i"].to_list(), strict=True))
            for start in range(0, len(data), CHUNK):
                outcome = writes.apply(list(zip(numbers[start:start + CHUNK],
                                                data[start:start + CHUNK],
                                                hashes[start:start + CHUNK], strict=True)))
                result.created += outcome.created
                result.updated += outcome.updated
                result.unchanged += outcome.unchanged
                for number, problems in outcome.rejected:
                    reject(number, problems, block.cells(index_of[number]))
        if progress:
            progress(done, total)
    if progress:
        # Every row is read: the total is now known exactly (``total`` was the file's
        # line count). What follows (indexes rebuilt, statistics, the commit) the
        # progress bar and the job page show as "finishing".
        progress(done, done)


def row_cells(table: Table) -> Callable[[list[Any]], dict[str, Any]]:
    """Makes a row of ``table`` a dict by column key (cells missing at its end: None)."""
    positions = [(i, key) for i, key in enumerate(table.keys) if key is not None]
    width = max(i for i, _key in positions) + 1

    def to_cells(cells: list[Any]) -> dict[str, Any]:
        if len(cells) < width:
            cells = [*cells, *[None] * (width - len(cells))]
        return {key: cells[i] for i, key in positions}

    return to_cells


def import_file(path: str | Path, *, actor: Actor | Any, dry_run: bool = False,
                report: str | Path | None = None, progress: Progress | None = None,
                scope: Scope = None, source: str = "") -> ImportResult:
    """Import an XLSX/XLS/CSV file; optionally write the rejected rows to ``report``.

    With ``scope``, rows whose hukou region (given, or stored for a registered
    person) lies outside it are rejected. ``source`` names the file in the audit
    event (default: the file's name).

    Raises ``UnreadableFile`` (nothing written) if the file cannot be read at all.
    """
    path = Path(path)
    table = read_table(path)

    result = _import(table.blocks(), actor=actor, dry_run=dry_run, progress=progress,
                     total=table.total, source=f"{source or path.name} sha256:{table.sha256[:16]}",
                     scope=scope)
    if report is not None:
        write_report(result, report)
    return result


def write_report(result: ImportResult, path: str | Path) -> None:
    """The rejected rows with their cells as given and an error column."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("错误报告"))
    sheet.append([gettext("行号"), *[c.header for c in COLUMNS], gettext("错误说明")])
    messages: dict[int, list[str]] = {}
    for error in result.errors:
        messages.setdefault(error.row, []).append(f"{error.column}：{error.message}")
    for row in sorted(result.rejected_rows):
        cells = result.rejected_rows[row]
        # The cells come back as given: a formula in them stays text, not a live formula.
        sheet.append(xlsx.row(sheet, [row, *[_cell(cells.get(c.key)) for c in COLUMNS],
                                      "；".join(messages.get(row, []))]))
    workbook.save(path)


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | dt.date):
        return value
    return str(value)


__all__ = ["COLUMNS", "DB_MESSAGES", "ImportConflict", "ImportResult", "UnreadableFile",
           "import_file", "import_rows", "parse_row", "read_table"]
