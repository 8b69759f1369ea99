"""What an import kind declares, and the kinds known to the platform.

A domain describes one kind of file (persons, survey records, service records …) by
an ``ImportKind``: its columns (Chinese header, help text, whether required, the
parser of a cell, dropdown values, text-formatted code columns), how a row's parsed
values become the data object its services take, the checks across rows and against
the database, the region a row belongs to, and the write, which calls the domain's
services. The framework does the rest for every kind: reading, limits, the template,
the error report, dry run, progress, audit, the command line and the web page.

Domains register their kinds in their ``AppConfig.ready`` (``register``); this app
imports no domain.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yangguang.core.errors import Problem, ValidationFailed

if TYPE_CHECKING:
    from yangguang.imports.reading import Table
    from yangguang.imports.running import Context, ImportResult

Text = str | Promise


@dataclass(frozen=True)
class Column:
    """One column of a kind's file.

    ``header`` is file content (Chinese whatever the UI language); ``help`` is its
    note in the template; ``parse`` turns a cell (any type: text, number, date, None
    for blank) into the value the row's data object takes, raising
    ``ValidationFailed`` with the column's key as the problem's field; ``choices``
    become the template's dropdown; ``text`` columns are formatted as text (codes,
    ID numbers), ``date`` ones as dates; ``accepted`` is what the 填写说明 sheet lists
    as the values the column takes. ``blank`` is the value of a blank cell (a required
    column refuses it). ``repeats``: the column holds few distinct values (codes,
    flags, years, dates), so ``ImportKind.parse_columns`` parses each distinct cell of
    a block once, not every cell.
    """

    key: str
    header: str
    required: bool = False
    help: Text = ""
    parse: Callable[[Any], Any] | None = None
    choices: tuple[str, ...] = ()
    text: bool = False
    date: bool = False
    width: int = 14
    accepted: Text = ""
    blank: Any = None
    repeats: bool = False

    def read(self, cell: Any) -> tuple[Any, list[Problem] | None]:
        """A cell's value, or None and its problems: the one reading of a cell that
        ``ImportKind.parse`` and ``ImportKind.parse_columns`` share."""
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            if self.required:
                return None, [Problem("required", self.key, REQUIRED, {"label": self.header})]
            return self.blank, None
        if self.parse is None:
            return cell, None
        try:
            return self.parse(cell), None
        except ValidationFailed as exc:
            return None, exc.problems


class Outcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class Row:
    """A parsed row: its spreadsheet row number, its cells as the file gave them (by
    column key) and the data object the kind made of them."""

    number: int
    cells: dict[str, Any]
    data: Any
    problems: list[Problem] = field(default_factory=list)


class ImportKind:
    """Base of every import kind; a kind overrides the attributes and ``make``/``write``.

    The plain row path (``running.plain_import``) calls, for each block of rows:
    ``parse`` per row (every column's ``parse``, then ``make``), ``region_of`` for
    the scope, ``check`` across the block and against the database, then ``write``
    per row inside a savepoint. A kind with millions of rows may instead override
    ``import_table`` with a path of its own (the persons' columnar import does).
    """

    #: The name on the command line and in URLs (``yangguang import NAME``).
    name: ClassVar[str]
    #: What the file holds, for pages and file names (``残疾人信息``).
    label: ClassVar[Text]
    #: The data sheet's name in the template (file content: Chinese).
    sheet: ClassVar[str]
    columns: ClassVar[Sequence[Column]]
    #: The capability (``accounts.permissions.Capability``) needed to import, whose
    #: regions are the import's scope on the web.
    capability: ClassVar[str]
    #: The column whose value ``region_of`` returns (named in a scope problem).
    region_key: ClassVar[str] = ""
    #: The audit event's object type.
    audit_object: ClassVar[str] = "import"
    #: Rows checked (and written) together.
    block: ClassVar[int] = 1000
    #: Modules the command line loads with itself, before it times anything (what
    #: a kind's import needs but the web process loads only when it imports).
    preload: ClassVar[tuple[str, ...]] = ()
    #: What the 填写说明 sheet says before the column list, after the framework's notes.
    notes: ClassVar[Sequence[Text]] = ()

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    @property
    def text_keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.columns if c.text)

    def header_of(self, key: str) -> str:
        """A problem's field as the column header the user knows (or as it is)."""
        for c in self.columns:
            if c.key == key:
                return c.header
        return key

    # -- the plain row path -------------------------------------------------------

    def parse(self, cells: dict[str, Any], context: Context) -> Any:
        """The row's data object; raises ``ValidationFailed`` listing every problem."""
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for column in self.columns:
            values[column.key], refused = column.read(cells.get(column.key))
            if refused:
                problems.extend(refused)
        if problems:
            raise ValidationFailed(problems)
        return self.make(values, context)

    def parse_columns(self, cells: dict[str, list[Any]], count: int
                      ) -> tuple[dict[str, list[Any]], dict[int, list[Problem]]]:
        """A block's cells read column by column (``Column.read``): each column's values
        (by key, one per row) and the problems of the rows that have any (by index, in
        column order, as ``parse`` lists them). A ``repeats`` column reads each distinct
        cell once. For kinds with their own ``import_table``; ``make`` is then theirs
        to call on a row's values."""
        values: dict[str, list[Any]] = {}
        problems: dict[int, list[Problem]] = {}
        for column in self.columns:
            column_cells = cells.get(column.key) or [None] * count
            if column.repeats:
                if all(type(cell) is str or cell is None for cell in column_cells):
                    read = {cell: column.read(cell) for cell in set(column_cells)}
                    results = [read[cell] for cell in column_cells]
                else:  # 1, 1.0 and True are equal, but not the same cell
                    keyed = [(type(cell), cell) for cell in column_cells]
                    read = {key: column.read(key[1]) for key in set(keyed)}
                    results = [read[key] for key in keyed]
            else:
                results = [column.read(cell) for cell in column_cells]
            values[column.key] = [value for value, _refused in results]
            if any(refused for _value, refused in results):
                for i, (_value, refused) in enumerate(results):
                    if refused:
                        problems.setdefault(i, []).extend(refused)
        return values, problems

    def make(self, values: dict[str, Any], context: Context) -> Any:
        """The data object of a row's parsed values (by column key); may raise
        ``ValidationFailed`` for rules across the row's fields."""
        return values

    def region_of(self, data: Any) -> str | None:
        """The region code the row writes in, for the scope check (None: none)."""
        return None

    def check(self, rows: list[Row], context: Context) -> None:
        """Checks across a block's rows and against the database: add problems to
        ``row.problems`` (the framework rejects such rows). ``context.seen`` keeps
        what earlier blocks held."""

    def write(self, row: Row, context: Context) -> Outcome:
        """Write one row through the domain's services (in a savepoint: a
        ``ValidationFailed`` rejects the row alone). Returns what it did; writing
        what is already stored must be ``UNCHANGED`` (re-imports change nothing)."""
        raise NotImplementedError

    # -- the whole import ---------------------------------------------------------

    def import_table(self, table: Table, context: Context) -> ImportResult:
        """Check and write a file's rows; the plain row path unless overridden."""
        from yangguang.imports.running import plain_import

        return plain_import(self, table, context)


REQUIRED = _("{label}不能为空")

_KINDS: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> ImportKind:
    """Make a kind known to the commands and pages (from its app's ``ready``)."""
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> ImportKind:
    """The kind called ``name``; ``KeyError`` for an unknown name."""
    return _KINDS[name]


def kinds() -> list[ImportKind]:
    return sorted(_KINDS.values(), key=lambda k: k.name)


def described() -> str:
    """The kinds for a command's help: ``persons（残疾人信息）；…``."""
    return "；".join(f"{k.name}（{k.label}）" for k in kinds())
