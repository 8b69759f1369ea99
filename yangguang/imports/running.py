"""Running an import: the result, the plain row path, dry run, audit, the error report.

``import_file`` is what the command line and the web's import jobs call for every
kind: it reads the file (``reading``), lets the kind check and write its rows
(``ImportKind.import_table``, the plain row path below unless the kind has its own),
and writes the rejected rows with their errors to a report that can be corrected
and imported again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.imports.reading import Table, read_table
from yangguang.imports.spec import ImportKind, Outcome, Row

Progress = Callable[[int, int | None], None]

#: Region code prefixes an import may write to (``Region.short_code`` of each region
#: of the importing user's capability); None: everywhere (the CLI, the demo loader).
Scope = tuple[str, ...] | None

MESSAGES = {
    "region_out_of_scope": _("{label}“{value}”不在您负责的地区内"),
}


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
    # Original cells of rejected rows, for the error report: row → cells by column key.
    rejected_rows: dict[int, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "rejected": self.rejected,
            "errors": [e.to_json() for e in self.errors],
        }

    def count(self, outcome: Outcome, n: int = 1) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + n)


@dataclass
class Context:
    """What a kind's hooks know about the import they are part of."""

    kind: ImportKind
    actor: Actor
    dry_run: bool = False
    scope: Scope = None
    source: str = ""
    progress: Progress | None = None
    total: int | None = None
    today: dt.date = field(default_factory=timezone.localdate)
    result: ImportResult = field(default_factory=ImportResult)
    #: A kind's memory across blocks (IDs seen earlier in the file, …).
    seen: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.result.dry_run = self.dry_run
        self.result.batch_id = self.result.batch_id or uuid.uuid4().hex[:12]

    def reject(self, number: int, problems: list[Problem], cells: dict[str, Any]) -> None:
        """Reject a row: count it once, keep its cells for the report, list its problems."""
        result = self.result
        result.rejected += 1
        for p in problems:
            result.errors.append(RowError(number, self.kind.header_of(p.field), p.code,
                                          p.message))
        result.rejected_rows[number] = cells

    def in_scope(self, region: str | None) -> bool:
        return self.scope is None or region is None or region.startswith(self.scope)

    def audit(self, **extra: Any) -> None:
        """The import's audit event, when it wrote something (a dry run writes nothing)."""
        result = self.result
        if self.dry_run or not (result.created or result.updated):
            return
        counts = {k: v for k, v in result.to_json().items() if k != "errors"}
        record(self.actor, AuditAction.IMPORT, self.kind.audit_object, result.batch_id,
               data={"kind": self.kind.name, "source": self.source, **counts, **extra})


def is_blank(cells: dict[str, Any]) -> bool:
    return all(c is None or str(c).strip() == "" for c in cells.values())


def blank_rows(cells: dict[str, list[Any]], count: int) -> set[int]:
    """The indexes of a block's blank rows (``is_blank``), its cells given by columns."""
    if not cells:
        return set(range(count))
    first = next(iter(cells.values()))
    return {i for i, cell in enumerate(first) if (cell is None or str(cell).strip() == "")
            and is_blank({key: column[i] for key, column in cells.items()})}


class _DryRun(Exception):
    """Undoes a dry run's writes (raised out of its transaction)."""


def plain_import(kind: ImportKind, table: Table, context: Context) -> ImportResult:
    """Check and write a table's rows one by one, in one transaction.

    Blank rows are skipped. Per block: each row parsed (``kind.parse``), then its region
    checked against the scope, then ``kind.check`` across the block, then each good row
    written (``kind.write``) in a savepoint of its own, so a service's refusal rejects
    that row alone. A dry run writes too — so that it checks what the services check —
    and rolls everything back at the end.
    """
    result = context.result
    done = 0
    try:
        with transaction.atomic():
            for block in table.dict_chunks(kind.block):
                rows: list[Row] = []
                for number, cells in block:
                    done += 1
                    if is_blank(cells):
                        continue
                    result.rows += 1
                    try:
                        data = kind.parse(cells, context)
                    except ValidationFailed as exc:
                        context.reject(number, exc.problems, cells)
                        continue
                    region = kind.region_of(data)
                    if not context.in_scope(region):
                        context.reject(number, [Problem(
                            "region_out_of_scope", kind.region_key, MESSAGES["region_out_of_scope"],
                            {"label": kind.header_of(kind.region_key),
                             "value": cells.get(kind.region_key)})], cells)
                        continue
                    rows.append(Row(number, cells, data))
                kind.check(rows, context)
                for row in rows:
                    if row.problems:
                        context.reject(row.number, row.problems, row.cells)
                        continue
                    try:
                        with transaction.atomic():
                            outcome = kind.write(row, context)
                    except ValidationFailed as exc:
                        context.reject(row.number, exc.problems, row.cells)
                    else:
                        result.count(outcome)
                if context.progress:
                    context.progress(done, context.total)
            if context.progress:
                context.progress(done, done)
            if context.dry_run:
                raise _DryRun
            context.audit()
    except _DryRun:
        pass
    result.errors.sort(key=lambda e: e.row)
    return result


def import_file(kind: ImportKind, path: str | Path, *, actor: Actor | Any,
                dry_run: bool = False, report: str | Path | None = None,
                progress: Progress | None = None, scope: Scope = None,
                source: str = "") -> ImportResult:
    """Import an XLSX/XLS/CSV file of ``kind``; optionally write the rejected rows to
    ``report``.

    With ``scope``, rows whose region lies outside it are rejected. ``source`` names
    the file in the audit event (default: the file's name).
    Raises ``reading.UnreadableFile`` (nothing written) if the file cannot be read.
    """
    from yangguang.imports.workbook import write_report

    path = Path(path)
    table = read_table(path, kind.columns)
    context = Context(kind, Actor.of(actor), dry_run=dry_run, scope=scope,
                      source=f"{source or path.name} sha256:{table.sha256[:16]}",
                      progress=progress, total=table.total)
    result = kind.import_table(table, context)
    if report is not None:
        write_report(kind, result, report)
    return result
