"""The person import: the ``persons`` kind of the shared import (``yangguang.imports``).

The framework reads the file (XLSX/XLS/CSV within limits), writes the template and
the error report and runs the command line and the pages; this module declares the
template's columns and imports the rows by a path of its own, for speed:

1. The rows are checked a block at a time (``BLOCK``): by columns first
   (``columnar.check``, which applies the rules of ``validation.py`` once per distinct
   value), then row by row (``rules.parse_row``, which says what is wrong) for the rows
   the columns do not plainly accept; then the checks across rows (an ID number twice
   in the file, two heads of a household, the importer's regions).
2. ``services.imports.BulkImport`` writes every valid row, all in one transaction
   (``dry_run`` stops before writing): into an empty registry by columns (``create``),
   otherwise comparing each with the stored person (``apply``). Re-importing a file
   changes nothing: such rows come back as ``unchanged``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.audit.services import Actor
from yangguang.core import bulk
from yangguang.core.crypto import hash_ids
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.imports import running, spec, workbook
from yangguang.imports.reading import Table, UnreadableFile
from yangguang.imports.running import Context, ImportResult, Progress, RowError, Scope
from yangguang.registry import rules, vocabulary
from yangguang.registry import validation as v
from yangguang.registry.models import Relation
from yangguang.registry.rules import parse_row
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
    from yangguang.registry import columnar

# Columns kept as text, so that a spreadsheet does not turn an ID into 6.3E+17 or drop
# the leading zeros of a code.
TEXT_COLUMNS = frozenset({"id_number", "certificate_number", "hukou_region",
                          "residence_region", "phone", "household_number"})
DATE_COLUMNS = frozenset({"issue_date", "birth_date"})
_WIDTHS = {"name": 12, "id_number": 22, "certificate_number": 26, "category": 12,
           "level": 10, "hukou_region": 16, "issue_date": 12, "sex": 6, "birth_date": 12,
           "ethnicity": 10, "residence_region": 16, "phone": 15, "household_number": 16,
           "relation_to_head": 14, "components": 26}
CATEGORY_NAMES = {code: word + "残疾" for code, word in vocabulary.CATEGORY_NAMES.items()}
_DROPDOWNS = {
    "category": tuple(CATEGORY_NAMES.values()),  # 视力残疾 …
    "level": tuple(vocabulary.LEVEL_NAMES.values()),
    "sex": tuple(vocabulary.SEX_NAMES.values()),
    "relation_to_head": tuple(vocabulary.RELATION_NAMES.values()),
}
_DATES = _("日期：2021-03-05、2021/3/5、20210305、2021年3月5日，或表格软件的日期")
_REGIONS = _("6位县级代码（如630102）或12位统计用区划代码（如630102001001），须为现行代码")
_ACCEPTED = {
    "name": _("最长50个字符"),
    "id_number": _("18位（末位X大小写均可）；15位旧号码自动升级为18位；全角数字可识别"),
    "certificate_number": _("18位身份号码+类别代码+等级代码，"
                            "如63010219900101123542（肢体二级）；补发证加B1、B2"),
    "category": lazy(lambda: "；".join(f"{code} {name}" for code, name in CATEGORY_NAMES.items())
                     + "（" + gettext("填代码或名称均可") + "）", str)(),
    "level": lazy(lambda: "；".join(f"{code} {name}" for code, name
                                   in vocabulary.LEVEL_NAMES.items())
                  + "（" + gettext("一级最重；也可填1–4") + "）", str)(),
    "hukou_region": _REGIONS,
    "issue_date": _DATES,
    "birth_date": _DATES,
    "ethnicity": lazy(lambda: "、".join(f"{code} {name}" for code, name
                                       in v.ethnicities().items()), str)(),
    "residence_region": _REGIONS,
    "phone": _("如13912345678或0971-1234567"),
    "household_number": _("字母、数字和短横线，最长32位"),
    "components": _("如“视力二级；肢体三级”或“1-2,4-3”；总等级为各类别中最重的等级"),
}

COLUMNS: list[spec.Column] = [
    spec.Column(key, header, required, rules.HELP[key], choices=_DROPDOWNS.get(key, ()),
                text=key in TEXT_COLUMNS, date=key in DATE_COLUMNS, width=_WIDTHS[key],
                accepted=_ACCEPTED.get(key, ""))
    for key, header, required in vocabulary.COLUMNS]
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
HEADER_TO_KEY = {c.header: c.key for c in COLUMNS}

MESSAGES = {
    **rules.MESSAGES,
    "id_duplicate_in_file": _("与第{row}行的公民身份号码重复"),
    "household_two_heads": _("家庭编号{value}在第{row}行已有户主"),
}


class PersonsKind(spec.ImportKind):
    """Persons with their certificate and household, in the template's columns."""

    name = "persons"
    label = _("残疾人信息")
    sheet = "残疾人信息"  # file content: Chinese whatever the UI language
    columns = COLUMNS
    capability = Capability.EDIT_PERSON
    region_key = "hukou_region"
    preload = ("yangguang.core.columns", "yangguang.registry.columnar")

    def import_table(self, table: Table, context: Context) -> ImportResult:
        return _import(table_blocks(table), context)


PERSONS = PersonsKind()


class ImportConflict(UnreadableFile):
    """Someone else registered a person or household of the file while the import ran
    (a unique constraint stopped the import's insert); nothing was written."""


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

    context = Context(PERSONS, Actor.of(actor), dry_run=dry_run, scope=scope, source=source,
                      progress=progress, total=total)
    return _import(_blocks(numbered(), lambda cells: cells), context)


def table_blocks(table: Table) -> Iterator[columnar.Block]:
    """A file's rows in blocks for checking: a plain CSV block's text frame as it is."""
    from yangguang.registry import columnar

    to_cells = table.row_cells()
    for rows in table.chunks(BLOCK):
        if rows.frame is not None:
            yield columnar.text_block(rows.numbers, rows.frame)
        else:
            yield columnar.block_of(rows.numbers, [to_cells(c) for c in rows.cells or ()])


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


def _import(blocks: Iterator[columnar.Block], context: Context) -> ImportResult:
    """Import blocks of rows, in one transaction."""
    outermost = not connection.in_atomic_block
    try:
        with bulk.without_cycle_collection():
            return _import_in(blocks, context, outermost=outermost)
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


def _import_in(blocks: Iterator[columnar.Block], context: Context, *,
               outermost: bool) -> ImportResult:
    result, dry_run, total = context.result, context.dry_run, context.total
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
            writes = BulkImport(context.actor, writer=writer, dry_run=dry_run,
                                today=context.today, batch_id=result.batch_id,
                                scope=context.scope, registry_empty=loading)
            _import_blocks(blocks, writes, context)
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
            context.audit(**writes.chain.seal())
    result.errors.sort(key=lambda e: e.row)
    return result


def _import_blocks(blocks: Iterable[columnar.Block], writes: BulkImport,
                   context: Context) -> None:
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

    result, today, scope, reject = context.result, context.today, context.scope, context.reject
    field_rules = columnar.Rules(today)
    first_row_of_id: dict[str, int] = {}
    head_row_of_household: dict[str, int] = {}
    done = 0

    for block in blocks:
        done += len(block)
        checked = columnar.check(block, field_rules)
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
        if scope is not None:  # (the services' check, once per distinct region)
            refused = writes.hukou_out_of_scope(accepted["hukou_region"].unique().to_list())
            if refused:
                hukou = accepted["hukou_region"]
                for k in hukou.is_in(list(refused)).arg_true().to_list():
                    rejected[k] = refused[hukou[k]]
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
        if context.progress:
            context.progress(done, context.total)
    if context.progress:
        # Every row is read: the total is now known exactly (``total`` was the file's
        # line count). What follows (indexes rebuilt, statistics, the commit) the
        # progress bar and the job page show as "finishing".
        context.progress(done, done)


def import_file(path: str | Path, *, actor: Actor | Any, dry_run: bool = False,
                report: str | Path | None = None, progress: Progress | None = None,
                scope: Scope = None, source: str = "") -> ImportResult:
    """Import an XLSX/XLS/CSV file of persons (``running.import_file`` for ``PERSONS``).

    With ``scope``, rows whose hukou region (given, or stored for a registered
    person) lies outside it are rejected. Raises ``UnreadableFile`` (nothing
    written) if the file cannot be read at all.
    """
    return running.import_file(PERSONS, path, actor=actor, dry_run=dry_run, report=report,
                               progress=progress, scope=scope, source=source)


def write_report(result: ImportResult, path: str | Path) -> None:
    """The rejected rows with their cells as given and an error column."""
    workbook.write_report(PERSONS, result, path)


__all__ = ["COLUMNS", "DB_MESSAGES", "PERSONS", "ImportConflict", "ImportResult", "RowError",
           "UnreadableFile", "import_file", "import_rows", "parse_row"]
