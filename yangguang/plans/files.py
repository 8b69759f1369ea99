"""The plan files (``plans/data/plans/KEY.toml``): reading and checking them.

Every file is read and checked before anything is written (``services.load_plans``);
a problem names the file and the field (「wutai.toml：indicators[3].target_op：…」).
The fields of a file are described in ``plans/data/README.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from yangguang.core.language import in_language
from yangguang.plans import values
from yangguang.plans.models import Accumulation, IndicatorKind, Operator, TaskLevel, UnitRole
from yangguang.regions.models import Region

DATA_DIR = Path(__file__).resolve().parent / "data"
PLANS_DIR = DATA_DIR / "plans"
SOURCES_DIR = DATA_DIR / "sources"
BY_HAND = "by_hand"

_PLAN_FIELDS = {"key", "title", "title_en", "region", "jurisdiction_en", "start_year", "end_year",
                "baseline_year", "issuer", "issuer_en", "document_number", "issued_on", "status", "status_en",
                "source", "note", "indicators", "tasks"}
_INDICATOR_FIELDS = {"row", "number", "category", "wording", "location", "line", "catalogue",
                     "options", "unit", "baseline", "baseline_op", "baseline_value", "target",
                     "target_op", "target_value", "kind", "accumulation", "note"}
_TASK_FIELDS = {"level", "number", "title", "line", "note", "lead", "participating", "responsible"}
_DEPTH = {TaskLevel.SECTION: 0, TaskLevel.TASK: 1, TaskLevel.SUBTASK: 2}


class PlanFileError(Exception):
    """One or more plan files break the rules; ``problems`` lists each as
    「file：field：message」."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class CatalogueEntry:
    name_zh: str
    name_en: str

    @property
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)


@cache
def catalogue() -> dict[str, CatalogueEntry]:
    """The catalogue's keys and their names (``plans/data/catalogue.toml``; ``name_en``
    required, so English pages name every entry)."""
    with open(DATA_DIR / "catalogue.toml", "rb") as handle:
        entries = tomllib.load(handle)
    missing = [key for key, entry in entries.items() if not entry.get("name") or not entry.get("name_en")]
    if missing:
        raise PlanFileError([_("{file}：{field}：{message}").format(
            file="catalogue.toml", field=f"{key}.name_en", message=_("不能为空")) for key in missing])
    return {key: CatalogueEntry(entry["name"], entry["name_en"]) for key, entry in entries.items()}


@cache
def units() -> dict[str, str]:
    """The units plans print (「%」, 「人」, 「户」 …) and their English names
    (``plans/data/units.toml``): a plan row may use only a unit listed there."""
    with open(DATA_DIR / "units.toml", "rb") as handle:
        return {unit: name for unit, name in tomllib.load(handle)["units"].items() if name}


def unit_name(unit: str) -> str:
    """``unit`` as printed, or its English name on English pages."""
    return in_language(unit, units().get(unit, ""))


@dataclass
class PlanSpec:
    """A checked plan file, ready to write."""

    path: Path
    digest: str
    plan: dict[str, Any]
    indicators: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)  # with "units" and "parent" (index)


class _Checker:
    def __init__(self, name: str):
        self.name = name
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(_("{file}：{field}：{message}").format(file=self.name, field=where,
                                                                 message=message))

    def text(self, data: dict[str, Any], key: str, where: str, *, required: bool = False,
             max_length: int = 300) -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            self.fail(where, _("应为文字"))
            return ""
        value = value.strip()
        if required and not value:
            self.fail(where, _("不能为空"))
        elif len(value) > max_length:
            self.fail(where, _("不能超过{n}个字").format(n=max_length))
        return value

    def integer(self, data: dict[str, Any], key: str, where: str, *, required: bool = False,
                low: int = 0, high: int = 10**9) -> int | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(where, _("不能为空"))
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(where, _("应为{low}到{high}之间的整数").format(low=low, high=high))
            return None
        return value

    def choice(self, data: dict[str, Any], key: str, where: str, choices: Any, *,
               default: str | None = None) -> str:
        value = data.get(key, default)
        allowed = [str(c) for c in choices.values]
        if value not in allowed:
            self.fail(where, _("应为以下之一：{values}").format(
                values="、".join(repr(v) for v in allowed)))
            return default or ""
        return value

    def unknown(self, data: dict[str, Any], known: set[str], where: str) -> None:
        for key in sorted(set(data) - known):
            self.fail(f"{where}{key}" if where else key, _("不认识的字段"))


def _value(check: _Checker, data: dict[str, Any], name: str, where: str,
           *, required: bool) -> tuple[str, str, Decimal | None]:
    """The text, operator and value of a baseline or target: read from the text, or
    given beside it (``target_op``, ``target_value``) when the text is words."""
    text = check.text(data, name, f"{where}{name}", required=required, max_length=200)
    given_op = data.get(f"{name}_op")
    given_value = data.get(f"{name}_value")
    try:
        op, value = values.read(text)
    except values.Unreadable:
        if given_op is None:
            check.fail(f"{where}{name}", _("无法从「{text}」读出运算符和数值，请同时给出 {name}_op 和 {name}_value"
                                           "（相对目标或文字目标给出 {name}_op，不给数值）").format(
                                               text=text, name=name))
            return text, "", None
        op, value = "", None
    if given_op is not None:
        allowed = [str(c) for c in Operator.values]
        if given_op not in allowed:
            check.fail(f"{where}{name}_op", _("应为以下之一：{values}").format(
                values="、".join(repr(v) for v in allowed)))
            return text, "", None
        if op and given_op != op:
            check.fail(f"{where}{name}_op", _("与原文「{text}」的运算符 {op} 不一致").format(text=text, op=op))
        op = given_op
    if given_value is not None:
        if isinstance(given_value, bool) or not isinstance(given_value, int | float):
            check.fail(f"{where}{name}_value", _("应为数值"))
            return text, op, None
        number = Decimal(str(given_value))
        if value is not None and number != value:
            check.fail(f"{where}{name}_value", _("与原文「{text}」的数值 {value} 不一致").format(
                text=text, value=value))
        value = number
    needs_value = op not in (Operator.RELATIVE, Operator.TEXT, Operator.NONE)
    if needs_value and value is None:
        check.fail(f"{where}{name}_value", _("运算符 {op} 需要数值").format(op=op))
    if not needs_value and value is not None:
        check.fail(f"{where}{name}_value", _("相对目标、文字目标或空值不能有数值"))
        value = None
    return text, op, value


def read_file(path: Path) -> PlanSpec:
    """Read and check one plan file; ``PlanFileError`` lists every problem in it."""
    name = path.name
    check = _Checker(name)
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise PlanFileError([_("{file}：无法读取：{error}").format(file=name, error=error)]) from None
    check.unknown(data, _PLAN_FIELDS, "")
    key = check.text(data, "key", "key", required=True, max_length=40)
    if key and key != path.stem:
        check.fail("key", _("应与文件名 {stem} 相同").format(stem=path.stem))
    region_code = check.text(data, "region", "region", required=True, max_length=12)
    region = None
    if region_code:
        region = Region.objects.filter(code=region_code.ljust(12, "0")).first()
        if region is None:
            check.fail("region", _("区划代码 {code} 不存在").format(code=region_code))
    start = check.integer(data, "start_year", "start_year", required=True, low=1949, high=2100)
    end = check.integer(data, "end_year", "end_year", required=True, low=1949, high=2100)
    if start and end and end < start:
        check.fail("end_year", _("不能早于起始年"))
    issued = data.get("issued_on")
    if issued is not None and not isinstance(issued, dt.date):
        check.fail("issued_on", _("应为日期，如 2022-04-20"))
        issued = None
    source = check.text(data, "source", "source", required=True, max_length=200)
    if source and not (SOURCES_DIR / source).is_file():
        check.fail("source", _("原文文件 {source} 不在 plans/data/sources/ 中").format(source=source))
    status = check.text(data, "status", "status", max_length=100)
    plan = {
        "key": key, "title_zh": check.text(data, "title", "title", required=True, max_length=200),
        "title_en": check.text(data, "title_en", "title_en", required=True, max_length=200),
        "region": region,
        "jurisdiction_en": check.text(data, "jurisdiction_en", "jurisdiction_en", required=True, max_length=200),
        "start_year": start, "end_year": end,
        "baseline_year": check.integer(data, "baseline_year", "baseline_year", low=1949, high=2100),
        "issuer_zh": check.text(data, "issuer", "issuer", required=True, max_length=200),
        "issuer_en": check.text(data, "issuer_en", "issuer_en", required=True, max_length=200),
        "document_number": check.text(data, "document_number", "document_number", max_length=100),
        "issued_on": issued, "status_zh": status,
        "status_en": check.text(data, "status_en", "status_en", required=bool(status), max_length=100),
        "source": source, "note": check.text(data, "note", "note", max_length=5000),
    }
    spec = PlanSpec(path, hashlib.sha256(raw).hexdigest(), plan)
    _indicators(check, data.get("indicators", []), spec)
    _tasks(check, data.get("tasks", []), spec)
    if check.problems:
        raise PlanFileError(check.problems)
    return spec


def _indicators(check: _Checker, rows: Any, spec: PlanSpec) -> None:
    if not isinstance(rows, list):
        check.fail("indicators", _("应为 [[indicators]] 表的列表"))
        return
    seen: set[int] = set()
    for i, row in enumerate(rows):
        where = f"indicators[{i + 1}]."
        if not isinstance(row, dict):
            check.fail(where.rstrip("."), _("应为表"))
            continue
        check.unknown(row, _INDICATOR_FIELDS, where)
        number = check.integer(row, "row", f"{where}row", required=True, low=1, high=999)
        if number is not None:
            if number in seen:
                check.fail(f"{where}row", _("序号 {row} 重复").format(row=number))
            seen.add(number)
        key = check.text(row, "catalogue", f"{where}catalogue", required=True, max_length=60)
        if key and key != BY_HAND and key not in catalogue():
            check.fail(f"{where}catalogue", _("「{key}」不在指标目录中（或写 by_hand 表示手工填报）").format(key=key))
        options = row.get("options", {})
        if not isinstance(options, dict):
            check.fail(f"{where}options", _("应为表"))
            options = {}
        baseline_text, baseline_op, baseline_value = _value(check, row, "baseline", where, required=False)
        target_text, target_op, target_value = _value(check, row, "target", where, required=True)
        spec.indicators.append({
            "row": number, "number": check.text(row, "number", f"{where}number", max_length=10),
            "category": check.text(row, "category", f"{where}category", max_length=100),
            "wording": check.text(row, "wording", f"{where}wording", required=True),
            "location": check.text(row, "location", f"{where}location", max_length=100),
            "line": check.integer(row, "line", f"{where}line", low=1),
            "catalogue_key": "" if key == BY_HAND else key, "options": options,
            "unit": _unit(check, row, f"{where}unit"),
            "baseline_text": baseline_text, "baseline_op": baseline_op, "baseline_value": baseline_value,
            "target_text": target_text, "target_op": target_op, "target_value": target_value,
            "kind": check.choice(row, "kind", f"{where}kind", IndicatorKind, default=""),
            "accumulation": check.choice(row, "accumulation", f"{where}accumulation", Accumulation),
            "note": check.text(row, "note", f"{where}note", max_length=2000),
        })


def _unit(check: _Checker, row: dict[str, Any], where: str) -> str:
    unit = check.text(row, "unit", where, max_length=20)
    if unit and unit not in units():
        check.fail(where, _("单位「{unit}」不在 units.toml 中（请在那里加上它的英文名称）").format(unit=unit))
    return unit


def _tasks(check: _Checker, rows: Any, spec: PlanSpec) -> None:
    if not isinstance(rows, list):
        check.fail("tasks", _("应为 [[tasks]] 表的列表"))
        return
    open_at: list[int | None] = [None, None, None]  # the last section, task, sub-task seen
    for i, row in enumerate(rows):
        where = f"tasks[{i + 1}]."
        if not isinstance(row, dict):
            check.fail(where.rstrip("."), _("应为表"))
            continue
        check.unknown(row, _TASK_FIELDS, where)
        level = check.choice(row, "level", f"{where}level", TaskLevel, default=TaskLevel.SECTION)
        depth = _DEPTH[TaskLevel(level)]
        parent = open_at[depth - 1] if depth else None
        if depth and parent is None:
            check.fail(f"{where}level", _("{level}前面没有上一层级").format(level=TaskLevel(level).label))
        open_at[depth] = i
        for deeper in range(depth + 1, 3):
            open_at[deeper] = None
        units: list[tuple[str, str]] = []
        for role in UnitRole.values:
            names = row.get(role, [])
            if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
                check.fail(f"{where}{role}", _("应为单位名称的列表"))
                continue
            if len(set(names)) != len(names):
                check.fail(f"{where}{role}", _("单位重复"))
            units += [(role, n.strip()) for n in names]
        if row.get("participating") and not row.get("lead"):
            check.fail(f"{where}participating", _("有参与单位就应有牵头单位"))
        spec.tasks.append({
            "level": level, "parent": parent,
            "number": check.text(row, "number", f"{where}number", max_length=20),
            "title": check.text(row, "title", f"{where}title", required=True),
            "line": check.integer(row, "line", f"{where}line", low=1),
            "note": check.text(row, "note", f"{where}note", max_length=2000),
            "units": units,
        })


def plan_files(directory: Path = PLANS_DIR) -> list[Path]:
    return sorted(directory.glob("*.toml"))


def read_all(paths: list[Path]) -> list[PlanSpec]:
    """Every file checked; one ``PlanFileError`` with the problems of all of them."""
    specs, problems = [], []
    for path in paths:
        try:
            specs.append(read_file(path))
        except PlanFileError as error:
            problems += error.problems
    if problems:
        raise PlanFileError(problems)
    return specs


