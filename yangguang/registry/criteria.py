"""Who a service or a benefit is for: the criteria of ``data/criteria.toml``, per
jurisdiction and effective date, the one home of rules that both the services'
eligibility and the benefit programmes use (care services 16–59 for intellectual,
mental and severe physical disability; child rehabilitation aid 0–6, 0–17 in Qinghai,
with its family conditions).

``resolve(key, region_code, on)`` is the one function that gives a criterion's
conditions for a person's hukou region on a day: ``services.eligibility`` calls it for a
service kind (``for_service``), and the benefits' policy merges it into the rule of each
programme version that names the criterion (``benefits.policy.rule_of``).

The conditions are written in the benefits rules' vocabulary and evaluated by them:
``evaluate`` asks the function the setting ``YANGGUANG_CRITERIA_EVALUATOR`` names
(``benefits.rules.evaluate_conditions``), as core asks for capabilities, so this layer
imports nothing above it and both domains decide with the same code.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from yangguang.core.language import in_language
from yangguang.registry.models import Person

DATA_FILE = Path(__file__).parent / "data" / "criteria.toml"
NATIONAL = "000000"
KEYS = {"key", "jurisdiction", "from", "until", "service_kinds", "label", "label_en", "source",
        "conditions"}


class CriteriaError(Exception):
    """The criteria file cannot be used: which entry and field, and what is wrong."""


@dataclass(frozen=True)
class Entry:
    """One entry of the file: a jurisdiction's version of a criterion."""

    key: str
    jurisdiction: str
    start: dt.date
    until: dt.date | None
    service_kinds: tuple[str, ...]
    label_zh: str
    label_en: str
    source: str
    conditions: dict[str, dict[str, Any]]

    @property
    def label(self) -> str:
        return in_language(self.label_zh, self.label_en)

    @property
    def prefix(self) -> str:
        return prefix(self.jurisdiction)

    def in_force(self, on: dt.date) -> bool:
        return self.start <= on and (self.until is None or on <= self.until)


@dataclass(frozen=True)
class Criterion:
    """A criterion in force for a region on a day, merged down its jurisdictions."""

    key: str
    jurisdiction: str  # the most specific jurisdiction whose entry took part
    label_zh: str
    label_en: str
    conditions: dict[str, dict[str, Any]]
    sources: tuple[str, ...]

    @property
    def label(self) -> str:
        """The label in the language of the request (Chinese unless English)."""
        return in_language(self.label_zh, self.label_en)


def prefix(code: str) -> str:
    """``630000`` → ``63``, ``622900`` → ``6229``, ``000000`` → ``""``."""
    code = code[:6]
    while code.endswith("00"):
        code = code[:-2]
    return code


def _fail(where: str, message: str) -> None:
    raise CriteriaError(f"{DATA_FILE.name}: {where}: {message}")


def load(text: str | None = None) -> tuple[Entry, ...]:
    """Read and check the file (or ``text``): the conditions' own vocabulary is checked by
    the benefits' policy loader, which reads every criterion a programme names."""
    raw = tomllib.loads(text if text is not None else DATA_FILE.read_text(encoding="utf-8"))
    entries: list[Entry] = []
    for i, item in enumerate(raw.get("criteria", [])):
        where = f"criteria[{i}]"
        for name in item:
            if name not in KEYS:
                _fail(f"{where}.{name}", "未知的字段")
        for name in ("key", "jurisdiction", "label", "label_en", "source"):
            if not isinstance(item.get(name), str) or not item[name].strip():
                _fail(f"{where}.{name}", "必填")
        code = item["jurisdiction"]
        if not (code.isdigit() and len(code) == 6):
            _fail(f"{where}.jurisdiction", "应为6位区划代码")
        start, until = item.get("from"), item.get("until")
        if not isinstance(start, dt.date) or (until is not None and not isinstance(until, dt.date)):
            _fail(f"{where}.from", "应为日期（如 2018-10-01）")
        conditions = item.get("conditions", {})
        if not isinstance(conditions, dict) or not all(
                isinstance(c, dict) and "test" in c for c in conditions.values()):
            _fail(f"{where}.conditions", "应为含 test 的条件表")
        entries.append(Entry(item["key"], code, start, until, tuple(item.get("service_kinds", ())),
                             item["label"], item["label_en"], item["source"], conditions))
    keys = {e.key for e in entries}
    for key in keys:
        national = [e for e in entries if e.key == key and e.jurisdiction == NATIONAL]
        if not national:
            _fail(key, "缺少全国（000000）条目")
    for e in entries:
        if e.service_kinds and e.jurisdiction != NATIONAL:
            _fail(f"{e.key}@{e.jurisdiction}.service_kinds", "服务类型只在全国条目中指定")
    return tuple(entries)


@cache
def entries() -> tuple[Entry, ...]:
    """The shipped criteria, read once (``RegistryConfig.ready`` reads them at start)."""
    return load()


def criterion_keys() -> list[str]:
    return sorted({e.key for e in entries()})


def jurisdictions(key: str) -> list[str]:
    """The jurisdictions with an entry for ``key``."""
    return sorted({e.jurisdiction for e in entries() if e.key == key})


def resolve(key: str, region_code: str, on: dt.date) -> Criterion | None:
    """The criterion ``key`` for a hukou (or jurisdiction) ``region_code`` on ``on``: the
    entries in force whose jurisdiction holds the region, national first, each replacing
    the conditions it names; None when none is in force."""
    used = sorted((e for e in entries() if e.key == key and e.in_force(on)
                   and region_code.startswith(e.prefix)), key=lambda e: len(e.prefix))
    if not used:
        return None
    conditions: dict[str, dict[str, Any]] = {}
    for e in used:
        conditions.update(e.conditions)
    return Criterion(key, used[-1].jurisdiction, used[-1].label_zh, used[-1].label_en,
                     conditions, tuple(e.source for e in used))


def keys_for_service(kind: str) -> list[str]:
    """The criteria that govern a service kind, in file order: whoever meets any one of
    them may receive it (none: the kind is open to everyone)."""
    return [e.key for e in entries() if kind in e.service_kinds]


def service_kinds() -> list[str]:
    return sorted({k for e in entries() for k in e.service_kinds})


def for_service(kind: str, region_code: str, on: dt.date) -> list[Criterion]:
    """The criteria of a service kind in force for a region on a day."""
    found = (resolve(key, region_code, on) for key in keys_for_service(kind))
    return [c for c in found if c is not None]


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    reasons: list[str]  # one per condition, in its order: what holds, or why not
    failed: list[str]  # the reasons of the conditions not met


def evaluate(criterion: Criterion, person: Person, on: dt.date) -> Verdict:
    """Whether ``person`` meets ``criterion`` on ``on``, with a reason per condition,
    by the benefits rules' evaluation (the setting ``YANGGUANG_CRITERIA_EVALUATOR``)."""
    evaluator = import_string(settings.YANGGUANG_CRITERIA_EVALUATOR)
    results: list[tuple[bool, str]] = evaluator(criterion.conditions, person, on)
    return Verdict(all(ok for ok, _r in results), [r for _ok, r in results],
                   [r for ok, r in results if not ok])
