"""Benefit policies as data: the files under ``policies/``, checked at start.

One TOML file per programme and jurisdiction, ``policies/<programme>/<code>.toml``
(``000000`` the national rule, ``630000`` a province, ``622900`` a prefecture,
``140922`` a county), and the local dibao standards under ``policies/dibao/``. Each
file holds versions with the day they take effect; a jurisdiction's version replaces,
key by key, what the jurisdictions above it say (a condition by its name, the amount
table as a whole), so a county file need only say what it changes.

``load`` reads and checks every file (``PolicyError`` names the file and the field);
``resolve`` gives the rule in force for a programme in a region on a day. Policies are
never constants in code: the rules engine (``rules``) only interprets what is here.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from yangguang.core.language import in_language
from yangguang.registry import criteria as shared_criteria

POLICY_DIR = Path(__file__).with_name("policies")
NATIONAL = "000000"
DIBAO = "dibao"

#: What a condition may test (``rules.CONDITIONS`` implements each) and its parameters.
TESTS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "alive": {},
    "certificate": {},
    "disability": {"any_of": list},
    "household_status": {"statuses": list, "or_receiving": list},
    "age": {"min": int, "max": int},
    "not_household_status": {"statuses": list},
    "not_receiving": {"kinds": list},
    "receiving": {"kinds": list},
    "choose_higher": {"kinds": list},
}
#: Required parameters of each test.
REQUIRED: dict[str, tuple[str, ...]] = {
    "disability": ("any_of",), "household_status": ("statuses",), "age": (),
    "not_household_status": ("statuses",), "not_receiving": ("kinds",),
    "receiving": ("kinds",), "choose_higher": ("kinds",),
}
#: What a row of the amount table may match on, and what it may give.
CRITERIA = {"levels": list, "categories": list, "components": bool, "age_min": int, "age_max": int,
            "urban": bool, "household_statuses": list, "self_care": list}
VALUES = {"amount": (int, float), "dibao_share": (int, float), "placeholder": bool,
          "note": str}
UNITS = ("month", "year", "once", "none")
CONFIDENCE = ("S", "S2", "M", "M?")
VERSION_KEYS = {"from", "until", "source", "confidence", "note", "adopted", "unit",
                "criteria", "conditions", "amounts"}
HOUSEHOLD_STATUSES = ("dibao", "near_dibao", "tekun", "low_income", "poverty_exited",
                      "monitored")
#: Facts recorded on a person (``models.FactKind``), named by the conditions.
FACT_KINDS = ("work_injury_care_fee", "orphan_support", "elderly_living_allowance",
              "elderly_care_allowance", "duty_disability_living", "duty_disability_care",
              "motorized_wheelchair", "resident_pension", "employee_pension",
              "assistive_device_need", "care_service")


class PolicyError(Exception):
    """A policy file that cannot be used: ``file`` (relative to ``policies/``), the
    ``field`` path in it, and what is wrong."""

    def __init__(self, file: str, field_: str, message: str) -> None:
        self.file, self.field, self.message = file, field_, message
        super().__init__(f"policies/{file}: {field_}: {message}")


@dataclass(frozen=True)
class Programme:
    """A programme of ``programmes.toml``; its ``name`` and ``description`` are in the
    active language (Chinese, or English on English pages)."""

    key: str
    name_zh: str
    order: int
    description_zh: str
    name_en: str = ""
    description_en: str = ""
    #: The month of the year (1–12) a programme paid yearly is paid in (the first
    #: year's payment: in the grant's start month when that is later); None for the
    #: others. ``payroll`` reads it.
    pay_month: int | None = None

    @property
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)

    @property
    def description(self) -> str:
        return in_language(self.description_zh, self.description_en)


@dataclass(frozen=True)
class Version:
    """One version of one file: in force from ``start`` (to ``until``), what it sets."""

    file: str
    jurisdiction: str
    start: dt.date
    until: dt.date | None
    values: dict[str, Any]

    def in_force(self, on: dt.date) -> bool:
        return self.start <= on and (self.until is None or on <= self.until)


@dataclass(frozen=True)
class Rule:
    """A programme's rule in force in one jurisdiction on one day, merged down the chain."""

    programme: Programme
    jurisdiction: str
    on: dt.date
    adopted: bool
    unit: str
    conditions: dict[str, dict[str, Any]]
    amounts: tuple[dict[str, Any], ...]
    #: The versions it is made of, national first (their sources, dates, confidence).
    versions: tuple[Version, ...] = field(default=())

    @property
    def since(self) -> dt.date:
        """The day the latest of its versions took effect."""
        return max(v.start for v in self.versions)

    @property
    def placeholder(self) -> bool:
        """Whether an amount it pays is not known (never shown as zero)."""
        return self.unit != "none" and (not self.amounts or any(
            row.get("placeholder") for row in self.amounts))


@dataclass(frozen=True)
class DibaoStandard:
    jurisdiction: str
    start: dt.date
    urban: Decimal | None
    rural: Decimal | None
    source: str


@dataclass(frozen=True)
class Policies:
    programmes: dict[str, Programme]
    #: programme key → jurisdiction code → its versions by start date
    files: dict[str, dict[str, tuple[Version, ...]]]
    dibao: dict[str, tuple[Version, ...]]
    #: The application steps' periods in working days (``programmes.toml``
    #: ``[working_days]``: ``review``, ``check_level``, ``publication``).
    working_days: dict[str, int]
    #: How many months back (the payroll month included) a payroll reconsiders
    #: (``programmes.toml`` ``[payroll] backpay_months``): a platform decision, not a
    #: policy (docs/benefits.md).
    backpay_months: int = 12


#: The periods ``programmes.toml`` must give (``states.DEADLINES`` uses them).
PERIODS = ("review", "check_level", "publication")


def _working_days(index: dict[str, Any]) -> dict[str, int]:
    raw = index.get("working_days")
    _check(isinstance(raw, dict), "programmes.toml", "working_days", "必填（各环节的工作日时限）")
    for key in raw:
        _check(key in PERIODS, "programmes.toml", f"working_days.{key}", "未知的环节")
    for key in PERIODS:
        value = raw.get(key)
        _check(isinstance(value, int) and not isinstance(value, bool) and value >= 1,
               "programmes.toml", f"working_days.{key}", "应为正整数（工作日）")
    return {key: raw[key] for key in PERIODS}


def _backpay_months(index: dict[str, Any]) -> int:
    raw = index.get("payroll")
    _check(isinstance(raw, dict), "programmes.toml", "payroll", "必填（发放表的设置）")
    for key in raw:
        _check(key in ("backpay_months", "note"), "programmes.toml", f"payroll.{key}", "未知的字段")
    value = raw.get("backpay_months")
    _check(isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 120,
           "programmes.toml", "payroll.backpay_months", "应为1至120之间的整数（月）")
    return value


def prefix(code: str) -> str:
    """The region-code prefix a jurisdiction covers: ``630000`` → ``63``,
    ``622900`` → ``6229``, ``140922`` → ``140922``, ``000000`` → ``""``."""
    code = code[:6]
    while code.endswith("00"):
        code = code[:-2]
    return code


def _check(cond: bool, file: str, field_: str, message: str) -> None:
    if not cond:
        raise PolicyError(file, field_, message)


def _date(value: Any, file: str, field_: str) -> dt.date:
    _check(isinstance(value, dt.date) and not isinstance(value, dt.datetime), file, field_,
           "应为日期（如 2025-01-01）")
    return value


def _typed(value: Any, kind: type | tuple[type, ...], file: str, field_: str) -> None:
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, (int, float)))
    _check(ok, file, field_, f"类型应为 {kind}")


def _check_condition(name: str, cond: Any, file: str, where: str) -> None:
    _check(isinstance(cond, dict), file, where, "应为表")
    if cond.get("off") is True and set(cond) <= {"off"}:
        return
    test = cond.get("test")
    _check(test in TESTS, file, f"{where}.test", f"未知的条件 {test!r}，可选：{', '.join(TESTS)}")
    for key, value in cond.items():
        if key == "test":
            continue
        _check(key in TESTS[test], file, f"{where}.{key}", f"条件 {test} 没有参数 {key}")
        _typed(value, TESTS[test][key], file, f"{where}.{key}")
    for key in REQUIRED.get(test, ()):
        _check(key in cond, file, f"{where}.{key}", "必填")
    for key in ("statuses",):
        for i, s in enumerate(cond.get(key, [])):
            _check(s in HOUSEHOLD_STATUSES, file, f"{where}.{key}[{i}]", f"未知的家庭经济状况 {s!r}")
    for key in ("kinds", "or_receiving"):
        for i, s in enumerate(cond.get(key, [])):
            _check(s in FACT_KINDS, file, f"{where}.{key}[{i}]", f"未知的人员情况 {s!r}")
    for i, alt in enumerate(cond.get("any_of", [])):
        spot = f"{where}.any_of[{i}]"
        _check(isinstance(alt, dict) and alt and set(alt) <= {"levels", "categories", "components"}, file,
               spot, "应为含 levels 和/或 categories 的表")
        _check_components(alt, file, spot)
        for i2, level in enumerate(alt.get("levels", [])):
            _check(level in (1, 2, 3, 4), file, f"{spot}.levels[{i2}]", "等级应为1至4")
        for i2, cat in enumerate(alt.get("categories", [])):
            _check(cat in range(1, 8), file, f"{spot}.categories[{i2}]", "类别应为1至7")
    if test == "age":
        _check("min" in cond or "max" in cond, file, where, "至少要有 min 或 max")


def _check_components(alt: dict[str, Any], file: str, where: str) -> None:
    """``components = true``: a 多重 certificate matches by any of its components
    (「含三、四级智力、精神在内的多重残疾人」); it needs the categories it looks for."""
    if "components" in alt:
        _typed(alt["components"], bool, file, f"{where}.components")
        _check(bool(alt.get("categories")), file, f"{where}.components", "须同时给出 categories")


def _check_amount(row: Any, file: str, where: str) -> None:
    _check(isinstance(row, dict), file, where, "应为表")
    for key, value in row.items():
        kind = CRITERIA.get(key) or VALUES.get(key)
        _check(kind is not None, file, f"{where}.{key}", "未知的字段")
        _typed(value, kind, file, f"{where}.{key}")
    given = [k for k in ("amount", "dibao_share") if k in row]
    _check(len(given) == 1 or (not given and row.get("placeholder")), file, where,
           "应给出 amount 或 dibao_share 之一，金额不明时写 placeholder = true")
    _check_components(row, file, where)
    for i, s in enumerate(row.get("household_statuses", [])):
        _check(s in HOUSEHOLD_STATUSES, file, f"{where}.household_statuses[{i}]",
               f"未知的家庭经济状况 {s!r}")
    for i, level in enumerate(row.get("levels", [])):
        _check(level in (1, 2, 3, 4), file, f"{where}.levels[{i}]", "等级应为1至4")
    for i, cat in enumerate(row.get("categories", [])):
        _check(cat in range(1, 8), file, f"{where}.categories[{i}]", "类别应为1至7")
    if "amount" in row:
        _check(row["amount"] >= 0, file, f"{where}.amount", "金额不能为负")
    if "dibao_share" in row:
        _check(0 < row["dibao_share"] <= 2, file, f"{where}.dibao_share", "应为0至2之间的比例")


def _versions(data: dict[str, Any], file: str, jurisdiction: str, dibao: bool) -> tuple[Version, ...]:
    raw = data.get("versions")
    _check(isinstance(raw, list) and raw, file, "versions", "至少要有一个版本（[[versions]]）")
    out = []
    for i, v in enumerate(raw):
        where = f"versions[{i}]"
        _check(isinstance(v, dict), file, where, "应为表")
        allowed = {"from", "until", "source", "confidence", "note", "urban", "rural"} if dibao \
            else VERSION_KEYS
        for key in v:
            _check(key in allowed, file, f"{where}.{key}", "未知的字段")
        start = _date(v.get("from"), file, f"{where}.from")
        until = _date(v["until"], file, f"{where}.until") if "until" in v else None
        _check(until is None or until >= start, file, f"{where}.until", "不能早于 from")
        _check(isinstance(v.get("source"), str) and v["source"].strip(), file,
               f"{where}.source", "必填：政策依据（文号或来源）")
        _check(v.get("confidence", "S") in CONFIDENCE, file, f"{where}.confidence",
               f"应为 {', '.join(CONFIDENCE)} 之一")
        if dibao:
            for key in ("urban", "rural"):
                if key in v:
                    _typed(v[key], (int, float), file, f"{where}.{key}")
        else:
            if "unit" in v:
                _check(v["unit"] in UNITS, file, f"{where}.unit", f"应为 {', '.join(UNITS)} 之一")
            if "adopted" in v:
                _typed(v["adopted"], bool, file, f"{where}.adopted")
            if "criteria" in v:
                _check(v["criteria"] in shared_criteria.criterion_keys(), file, f"{where}.criteria",
                       f"registry/data/criteria.toml 中没有 {v['criteria']!r}")
            conditions = v.get("conditions", {})
            _check(isinstance(conditions, dict), file, f"{where}.conditions", "应为表")
            for name, cond in conditions.items():
                _check_condition(name, cond, file, f"{where}.conditions.{name}")
            amounts = v.get("amounts", [])
            _check(isinstance(amounts, list), file, f"{where}.amounts", "应为数组")
            for j, row in enumerate(amounts):
                _check_amount(row, file, f"{where}.amounts[{j}]")
        out.append(Version(file, jurisdiction, start, until, v))
    out.sort(key=lambda v: v.start)
    for a, b in zip(out, out[1:], strict=False):
        _check(a.start != b.start, file, "versions", f"两个版本同日生效（{a.start}）")
    return tuple(out)


def _read(path: Path, root: Path) -> dict[str, Any]:
    file = path.relative_to(root).as_posix()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise PolicyError(file, "-", f"无法读取：{e}") from e


def load(root: Path = POLICY_DIR) -> Policies:
    """Read and check every policy file under ``root``; ``PolicyError`` on the first
    problem, naming its file and field."""
    index = _read(root / "programmes.toml", root)
    programmes: dict[str, Programme] = {}
    raw = index.get("programmes")
    _check(isinstance(raw, list) and raw, "programmes.toml", "programmes", "至少要有一个补贴项目")
    for i, p in enumerate(raw):
        where = f"programmes[{i}]"
        for key in ("key", "name"):
            _check(isinstance(p.get(key), str) and p[key], "programmes.toml", f"{where}.{key}", "必填")
        _check(p["key"] not in programmes, "programmes.toml", f"{where}.key", "重复的项目")
        _check(isinstance(p.get("name_en"), str) and p["name_en"], "programmes.toml",
               f"{where}.name_en", "必填（英文名称）")
        pay_month = p.get("pay_month")
        _check(pay_month is None or (isinstance(pay_month, int) and not isinstance(pay_month, bool)
                                     and 1 <= pay_month <= 12),
               "programmes.toml", f"{where}.pay_month", "应为1至12之间的整数（每年发放的月份）")
        programmes[p["key"]] = Programme(p["key"], p["name"], i, p.get("description", ""),
                                         p["name_en"], p.get("description_en", ""), pay_month)
    files: dict[str, dict[str, tuple[Version, ...]]] = {key: {} for key in programmes}
    dibao: dict[str, tuple[Version, ...]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name != DIBAO and folder.name not in programmes:
            raise PolicyError(folder.name + "/", "-", "不是 programmes.toml 中的项目")
        for path in sorted(folder.glob("*")):
            file = path.relative_to(root).as_posix()
            _check(path.suffix == ".toml" and len(path.stem) == 6 and path.stem.isdigit(), file,
                   "-", "文件名应为6位区划代码加 .toml（如 630000.toml）")
            data = _read(path, root)
            for key in data:
                _check(key in ("programme", "jurisdiction", "name", "versions"), file, key,
                       "未知的字段")
            _check(data.get("jurisdiction") == path.stem, file, "jurisdiction",
                   f"应与文件名一致（{path.stem}）")
            if folder.name == DIBAO:
                dibao[path.stem] = _versions(data, file, path.stem, dibao=True)
            else:
                _check(data.get("programme") == folder.name, file, "programme",
                       f"应与所在目录一致（{folder.name}）")
                files[folder.name][path.stem] = _versions(data, file, path.stem, dibao=False)
    policies = Policies(programmes, files, dibao, _working_days(index), _backpay_months(index))
    _check_complete(policies)
    return policies


def _check_complete(policies: Policies) -> None:
    """Every version that a region could come to must say what a rule needs: a unit,
    and conditions (merged down the chain); a criterion it names must be in force from
    its start, in the vocabulary of ``TESTS``."""
    for entry in shared_criteria.entries():
        for name, cond in entry.conditions.items():
            _check_condition(name, cond, "../../registry/data/criteria.toml",
                             f"{entry.key}@{entry.jurisdiction}.conditions.{name}")
    for key, by_code in policies.files.items():
        for code, versions in by_code.items():
            for i, version in enumerate(versions):
                rule = rule_of(policies, key, code, version.start)
                if rule is None or not rule.adopted:
                    continue
                where = f"versions[{i}]"
                _check(bool(rule.conditions), version.file, f"{where}.conditions",
                       "本级及上级都没有条件")
                _check(rule.unit in UNITS, version.file,
                       f"{where}.unit", "本级及上级都没有 unit")
                _check(rule.unit != "year" or rule.programme.pay_month is not None, version.file,
                       f"{where}.unit",
                       f"按年发放：programmes.toml 中 {key} 须给出 pay_month（每年发放的月份）")
                if "criteria" in version.values:
                    _check(shared_criteria.resolve(version.values["criteria"], code,
                                                   version.start) is not None,
                           version.file, f"{where}.criteria", "该条件在本版本生效日尚未生效")


def chain(policies: Policies, key: str, region_code: str) -> list[str]:
    """The jurisdictions with a file for ``key`` whose area holds ``region_code``,
    national first."""
    codes = [c for c in policies.files[key] if region_code.startswith(prefix(c))]
    return sorted(codes, key=lambda c: len(prefix(c)))


def jurisdiction_of(policies: Policies, key: str, region_code: str) -> str | None:
    """The most specific jurisdiction with a file for ``key`` holding ``region_code``."""
    codes = chain(policies, key, region_code)
    return codes[-1] if codes else None


def rule_of(policies: Policies, key: str, jurisdiction: str, on: dt.date) -> Rule | None:
    """The rule of ``key`` in ``jurisdiction`` on ``on``: each version in force down the
    chain of jurisdictions holding it, merged (None if none is in force). A version that
    names a shared criterion (``registry.criteria``) takes its conditions for
    ``jurisdiction`` first; conditions of its own follow (and replace one of the same
    name)."""
    merged: dict[str, Any] = {"conditions": {}}
    used: list[Version] = []
    for code in chain(policies, key, jurisdiction):
        version = next((v for v in reversed(policies.files[key][code]) if v.in_force(on)), None)
        if version is None:
            continue
        used.append(version)
        for name, value in version.values.items():
            if name == "conditions":
                for cname, cond in value.items():
                    if cond.get("off"):
                        merged["conditions"].pop(cname, None)
                    else:
                        merged["conditions"][cname] = cond
            elif name in ("adopted", "unit", "amounts", "criteria"):
                merged[name] = value
    if not used:
        return None
    if "criteria" in merged:
        shared = shared_criteria.resolve(merged["criteria"], jurisdiction, on)
        own = merged["conditions"]
        merged["conditions"] = {**(shared.conditions if shared else {}), **own}
    return Rule(policies.programmes[key], jurisdiction, on, merged.get("adopted", True),
                merged.get("unit", ""), merged["conditions"], tuple(merged.get("amounts", ())),
                tuple(used))


def resolve(policies: Policies, key: str, region_code: str, on: dt.date) -> Rule | None:
    """The rule of programme ``key`` in force for a person whose hukou is
    ``region_code`` on ``on``; None where no jurisdiction holding it runs the programme
    (no file, no version yet, or ``adopted = false``)."""
    jurisdiction = jurisdiction_of(policies, key, region_code)
    if jurisdiction is None:
        return None
    rule = rule_of(policies, key, jurisdiction, on)
    return rule if rule is not None and rule.adopted else None


def dibao_standard(policies: Policies, region_code: str, on: dt.date) -> DibaoStandard | None:
    """The local dibao standard (元/人/月, urban and rural) in force on ``on`` for
    ``region_code``: the most specific jurisdiction's version in force."""
    codes = sorted((c for c in policies.dibao if region_code.startswith(prefix(c))),
                   key=lambda c: len(prefix(c)), reverse=True)
    for code in codes:
        version = next((v for v in reversed(policies.dibao[code]) if v.in_force(on)), None)
        if version is not None:
            def money(name: str, v: Version = version) -> Decimal | None:
                return Decimal(str(v.values[name])) if name in v.values else None
            return DibaoStandard(code, version.start, money("urban"), money("rural"),
                                 version.values["source"])
    return None


@cache
def policies() -> Policies:
    """The shipped policies, read once (``BenefitsConfig.ready`` reads them at start)."""
    return load()
