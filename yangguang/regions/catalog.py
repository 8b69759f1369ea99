"""The region tree as shipped data, in memory, without a database.

The file ``data/regions.csv.gz`` (built by ``scripts/build_region_data.py``) is read
once per process. Lookups are dictionary hits, cheap enough for validating every row
of a million-row import; the database table is loaded from the same rows
(:mod:`yangguang.regions.loader`).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "regions.csv.gz"
FORMER_NAME_SEPARATOR = "、"

# Significant digits of a code per level: 63 / 6301 / 630102 / 630102001 / 630102001001.
SIGNIFICANT_DIGITS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
# Zeros that pad a significant prefix to the 12-digit statistical code.
_PADDING = {n: "0" * (12 - n) for n in SIGNIFICANT_DIGITS.values()}
# Grouping units that are not places: left out of a full name unless named alone.
_PLACEHOLDERS = frozenset({
    "市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划",
    "省直辖县级行政单位", "自治区直辖县级行政单位", "省直辖行政单位",
})


@dataclass(frozen=True, slots=True)
class Entry:
    """One division as the data file has it."""

    code: str  # 12 digits
    name: str
    level: int  # 1 province .. 5 village, as RegionLevel
    parent: str | None  # 12-digit code of the parent, None for a province
    path: str  # "63/6301/630102/": the significant codes from the top, each ending "/"
    valid_from: dt.date | None  # None: in force since before the lists begin
    valid_until: dt.date | None  # None: still in force
    urban_rural_class: str = ""
    former_names: tuple[str, ...] = ()

    @property
    def short_code(self) -> str:
        return self.code[: SIGNIFICANT_DIGITS[self.level]]

    @property
    def is_current(self) -> bool:
        return self.valid_until is None


def normalize_code(code: str) -> str | None:
    """The 12-digit form of a 2-, 4-, 6-, 9- or 12-digit code, or None if malformed."""
    code = code.strip()
    padding = _PADDING.get(len(code))
    if padding is None or not code.isdigit():
        return None
    return code + padding


_COLUMNS = ("code", "name", "level", "parent", "valid_from", "valid_until",
            "urban_rural_class", "former_names")


@cache
def _rows() -> tuple[list[int], dict[str, list[str]]]:
    """The data file's rows by code, as text, and the positions of ``_COLUMNS`` in them.
    Each row becomes an ``Entry`` when first asked for (``_entry``): a process that
    checks a few hundred distinct codes (an import) does not build all 55,000 (0.34 s
    of 0.43)."""
    with gzip.open(DATA_FILE, "rb") as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8"))
        column = {name: i for i, name in enumerate(next(reader))}
        at = [column[c] for c in _COLUMNS]
        return at, {row[at[0]]: row for row in reader}


_built: dict[str, Entry] = {}  # the rows made entries so far (a dict write is atomic)


def _entry(code: str) -> Entry | None:
    entry = _built.get(code)
    if entry is not None:
        return entry
    at, by_code = _rows()
    row = by_code.get(code)
    if row is None:
        return None
    code, name, level_text, parent, valid_from, valid_until, urban_rural, former = (
        row[i] for i in at)
    level = int(level_text)
    prefix = code[: SIGNIFICANT_DIGITS[level]] + "/"
    # Every parent is in the file (``scripts/build_region_data.py`` builds it so).
    path = _entry(parent).path + prefix if parent else prefix  # type: ignore[union-attr]
    day = dt.date.fromisoformat
    entry = _built[code] = Entry(
        code=code,
        name=name,
        level=level,
        parent=parent or None,
        path=path,
        valid_from=day(valid_from) if valid_from else None,
        valid_until=day(valid_until) if valid_until else None,
        urban_rural_class=urban_rural,
        former_names=tuple(former.split(FORMER_NAME_SEPARATOR)) if former else (),
    )
    return entry


def lookup(code: str) -> Entry | None:
    """The division with this code (6-digit GB/T 2260 or 12-digit statistical), if any.

    Province and prefecture codes work in their 6-digit form too (630000, 630100).
    Historical codes resolve, with ``valid_until`` set.
    """
    if len(code) == 12:
        return _entry(code)
    normalized = normalize_code(code)
    return _entry(normalized) if normalized else None


def birthplace_valid(code6: str, birth_year: int) -> bool:
    """Whether an ID number's address code can belong to someone born in ``birth_year``.

    The code is the one in force where the person's household was registered when
    the ID was first issued, some time after birth (and from 1984 on). So the code
    must exist at all and must not have been abolished before the birth year; a code
    created after the birth year is fine. Deliberately lenient: the years in the
    source are whole years, and a wrong rejection stops a real person's record.
    """
    if len(code6) != 6:
        return False
    entry = lookup(code6)
    if entry is None or entry.level > 3:
        return False
    return entry.valid_until is None or entry.valid_until.year >= birth_year


def ancestors(code: str, *, include_self: bool = True) -> list[Entry]:
    """The chain from the province down to the division (empty if unknown)."""
    entry = lookup(code)
    chain: list[Entry] = []
    while entry is not None:
        chain.append(entry)
        entry = _entry(entry.parent) if entry.parent else None
    chain.reverse()
    return chain if include_self else chain[:-1]


def full_name(code: str) -> str:
    """The name with all its ancestors, e.g. "青海省西宁市城东区" ("" if unknown).

    Grouping units such as 市辖区 are left out unless the code names one itself.
    """
    chain = ancestors(code)
    return "".join(
        e.name for i, e in enumerate(chain)
        if i == len(chain) - 1 or e.name not in _PLACEHOLDERS
    )


def rows() -> Iterator[Entry]:
    """Every division, parents before children (sorted by code)."""
    return (_entry(code) for code in _rows()[1])  # type: ignore[misc]
