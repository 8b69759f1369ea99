"""Demo data comparison: in one county of each demo jurisdiction, a deaths list (of
persons the demo already recorded dead) and two monthly dibao rolls (the earlier one
for the comparison over time), each imported and matched through
``matching.services``, so the pages have exact, probable, review and unmatched rows,
discrepancies and changes.

The lists are written from the registry as it stands (the persons' ID numbers are
decrypted only to write the demo file, as a department's file would hold them; the
platform keeps their keyed hashes). A county whose demo lists exist is skipped, so
loading twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from yangguang.core.crypto import decrypt_id
from yangguang.matching import kinds, names, services
from yangguang.matching.models import DepartmentList
from yangguang.regions.selectors import resolve_region
from yangguang.registry.models import HouseholdStatus, Person

IDENTITY = ["姓名", "公民身份号码", "性别", "出生日期", "户籍地区划代码"]
#: Living persons (with a household) a county needs for its demo lists.
NEEDED = 16
#: Rows of persons the registry does not hold (unmatched).
STRANGERS = [("欧阳明远", 1, dt.date(1958, 2, 14)), ("司马秀英", 2, dt.date(1966, 9, 30))]


def _variant(name: str) -> str | None:
    """The name with one character written as a common variant (what a reviewer sees)."""
    back = {standard: variant for variant, standard in names.variants().items()}
    for i, ch in enumerate(name):
        if ch in back:
            return name[:i] + back[ch] + name[i + 1:]
    return None


def _identity(p: Person, *, with_id: bool, name: str | None = None) -> list[Any]:
    if with_id:
        return [p.name, decrypt_id(p.id_number_encrypted), "", "", ""]
    return [name or p.name, "", "男" if p.sex == 1 else "女", p.birth_date.isoformat(), p.hukou_region_id]


def _strangers(county: str) -> list[list[Any]]:
    return [[n, "", "男" if sex == 1 else "女", born.isoformat(), county] for n, sex, born in STRANGERS]


def _run(kind: str, department: str, day: dt.date, header: list[str], rows: list[list[Any]],
         actor: Any, *, county: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"{kind}-{day.isoformat()}.csv"
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows([header, *rows])
        result, kept = services.import_list(kinds.get(kind), path, actor=actor, department=department,
                                            list_date=day, file_name=path.name)
    if kept is None:
        raise ValueError(f"demo {kind} list refused: {[e.message for e in result.errors[:3]]}")
    services.run_match(kept, actor=actor, region=resolve_region(county))


def _county(prefix: str) -> str | None:
    counts = Counter(code[:6] for code in Person.objects.filter(
        hukou_region__code__startswith=prefix.rstrip("0")[:2], deceased_date__isnull=True,
        household__isnull=False).values_list("hukou_region_id", flat=True))
    best = [c for c, n in counts.most_common() if n >= NEEDED]
    return best[0] if best else None


def load_comparison(jurisdictions: list[dict[str, Any]], actor: Any, *, as_of: dt.date) -> int:
    """The demo lists of each jurisdiction's largest county; the number of lists matched."""
    matched = 0
    for jurisdiction in jurisdictions:
        county = _county(jurisdiction["code"])
        if county is None:
            continue
        department = f"{county}民政局（演示）"
        if DepartmentList.objects.filter(department=department).exists():
            continue
        persons = Person.objects.filter(hukou_region__code__startswith=county).order_by("id_number_hash")
        living = list(persons.filter(deceased_date__isnull=True, household__isnull=False)[:200])
        variants = [p for p in living if _variant(p.name)][:1]
        others = [p for p in living if p not in variants]
        if len(others) < NEEDED - 5:
            continue
        dead = list(persons.filter(deceased_date__isnull=False)[:100])
        if len(dead) >= 3:
            _deaths(dead, county, department, as_of, actor)
            matched += 1
        _dibao(others, variants, county, department, as_of, actor)
        matched += 2
    return matched


def _deaths(dead: list[Person], county: str, department: str, as_of: dt.date, actor: Any) -> None:
    """The department's deaths list of persons the registry knows dead (the demo's own
    death events): two exact, one of them with another date (a discrepancy), one
    probable (no ID number), one for review (a variant character) when a name has
    one, two unmatched. Nothing new is recorded: the registry has the deaths."""
    variant = next((p for p in dead[3:] if _variant(p.name)), None)
    rows = [[*_identity(dead[0], with_id=True), dead[0].deceased_date.isoformat()],
            [*_identity(dead[1], with_id=True), (dead[1].deceased_date - dt.timedelta(days=3)).isoformat()],
            [*_identity(dead[2], with_id=False), dead[2].deceased_date.isoformat()]]
    if variant is not None:
        rows.append([*_identity(variant, with_id=False, name=_variant(variant.name)),
                     variant.deceased_date.isoformat()])
    died = (as_of - dt.timedelta(days=40)).isoformat()
    rows += [[*r, died] for r in _strangers(county)]
    _run("deaths", department, as_of - dt.timedelta(days=20), [*IDENTITY, "死亡日期"], rows, actor,
         county=county)


def _dibao(persons: list[Person], variants: list[Person], county: str, department: str,
           as_of: dt.date, actor: Any) -> None:
    """Last month's roll and this month's: one gone, one ended (changed), one new; a
    start date other than the registry's (a status difference), a probable and a
    review row, strangers unmatched."""
    header = [*IDENTITY, "开始日期", "结束日期"]
    start = dt.date(as_of.year - 1, 1, 1).isoformat()
    held = dict(HouseholdStatus.objects.filter(household_id__in=[p.household_id for p in persons],
                                               status="dibao").values_list("household_id", "start_date"))
    earlier = [[*_identity(p, with_id=True), start, ""] for p in persons[:5]]
    _run("dibao", department, as_of - dt.timedelta(days=50), header, earlier, actor, county=county)
    current = [[*_identity(p, with_id=True), start, ""] for p in persons[1:5]]
    current[1][-1] = (as_of - dt.timedelta(days=25)).isoformat()  # ended
    current.append([*_identity(persons[5], with_id=True), start, ""])  # new
    other = next((p for p in persons[6:10] if p.household_id in held), persons[6])
    since = held.get(other.household_id, dt.date(as_of.year - 2, 3, 1)) + dt.timedelta(days=31)
    current.append([*_identity(other, with_id=True), since.isoformat(), ""])
    current.append([*_identity(persons[10], with_id=False), start, ""])  # probable
    current += [[*_identity(p, with_id=False, name=_variant(p.name)), start, ""] for p in variants]
    current += [[*r, start, ""] for r in _strangers(county)]
    _run("dibao", department, as_of - dt.timedelta(days=20), header, current, actor, county=county)
