"""Who may receive a kind of service: the rules of ``data/eligibility.json``, per
jurisdiction and effective date, evaluated by ``decide``.

``decide`` is the one home of these rules: ``actions.open_need`` calls it, so the form,
the API, the needs taken from the annual survey and the demo data are held to the same
rule, and the need form shows its reasons before anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from yangguang.core.errors import Problem, ValidationFailed
from yangguang.registry.models import Category, Certificate, CertificateStatus, Level, Person

DATA_FILE = Path(__file__).parent / "data" / "eligibility.json"
NATIONAL = "national"

NOT_ELIGIBLE = _("不符合“{rule}”的条件：{reasons}")
AGE_OUTSIDE = _("年龄{age}周岁，不在{min}至{max}周岁之间")
DISABILITY_OUTSIDE = _("残疾类别和等级（{held}）不在规定范围内")
NO_CERTIFICATE = _("没有有效的残疾人证")


@dataclass(frozen=True)
class Rule:
    key: str
    jurisdiction: str  # "national" or a 6-digit region code
    kinds: frozenset[str]
    effective_from: dt.date
    effective_until: dt.date | None
    min_age: int | None
    max_age: int | None
    disability: tuple[tuple[frozenset[int], frozenset[int] | None], ...]  # (categories, levels)
    label: str

    @property
    def prefix(self) -> str:
        """The region code prefix the rule covers ("" nationally)."""
        if self.jurisdiction == NATIONAL:
            return ""
        return self.jurisdiction.rstrip("0") if len(self.jurisdiction) == 6 else self.jurisdiction

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_until is None
                                               or day <= self.effective_until)


@dataclass
class Decision:
    eligible: bool
    rule: Rule | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        if self.rule is None:
            return str(_("该服务类型没有资格限制"))
        if self.eligible:
            return str(_("符合“{rule}”的条件")).format(rule=self.rule.label)
        return str(NOT_ELIGIBLE).format(rule=self.rule.label, reasons=_("；").join(self.reasons))


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@cache
def rules() -> tuple[Rule, ...]:
    """The rules of the data file, checked as they are read."""
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    result = []
    for item in raw["rules"]:
        jurisdiction = item["jurisdiction"]
        if jurisdiction != NATIONAL and not (jurisdiction.isdigit() and len(jurisdiction) == 6):
            raise ValueError(f"eligibility rule {item['key']}: bad jurisdiction {jurisdiction!r}")
        age = item.get("age", {})
        disability = tuple(
            (frozenset(Category(c) for c in alt["categories"]),
             frozenset(Level(v) for v in alt["levels"]) if "levels" in alt else None)
            for alt in item.get("disability", []))
        result.append(Rule(item["key"], jurisdiction, frozenset(item["kinds"]),
                           _date(item["effective_from"]), _date(item.get("effective_until")),
                           age.get("min"), age.get("max"), disability, item["label"]))
    return tuple(result)


def rule_for(kind: str, region_code: str, day: dt.date) -> Rule | None:
    """The rule that decides ``kind`` for a person of ``region_code`` on ``day``: of the
    rules in force, the one of the most specific jurisdiction (None: no restriction)."""
    found = [r for r in rules() if kind in r.kinds and r.in_force(day)
             and region_code.startswith(r.prefix)]
    return max(found, key=lambda r: len(r.prefix), default=None)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _held(certificate: Certificate) -> list[tuple[int, int]]:
    """The (category, level) pairs a certificate holds: its components for a multiple
    disability, with the overall one."""
    pairs = [(certificate.category, certificate.level)]
    pairs += [(c["category"], c["level"]) for c in certificate.components or []]
    return pairs


def _certificate(person: Person, day: dt.date) -> Certificate | None:
    return (person.certificates.filter(status__in=[CertificateStatus.VALID],
                                       issue_date__lte=day)
            .order_by("-issue_date", "-id").first())


def decide(person: Person, kind: str, day: dt.date) -> Decision:
    """Whether ``person`` may receive ``kind`` on ``day`` under the rule of their hukou
    region, with the reasons when not."""
    rule = rule_for(kind, person.hukou_region_id, day)
    if rule is None:
        return Decision(True)
    reasons: list[str] = []
    age = age_on(person.birth_date, day)
    low = rule.min_age if rule.min_age is not None else 0
    high = rule.max_age if rule.max_age is not None else 200
    if not low <= age <= high:
        reasons.append(str(AGE_OUTSIDE).format(age=age, min=low, max=high))
    if rule.disability:
        certificate = _certificate(person, day)
        if certificate is None:
            reasons.append(str(NO_CERTIFICATE))
        else:
            held = _held(certificate)
            if not any(category in categories and (levels is None or level in levels)
                       for category, level in held for categories, levels in rule.disability):
                text = _("、").join(_("{category}{level}").format(category=Category(c).label,
                                                                  level=Level(v).label)
                                   for c, v in held[:1])
                reasons.append(str(DISABILITY_OUTSIDE).format(held=text))
    return Decision(not reasons, rule, reasons)


def check(person: Person, kind: str, day: dt.date, *, field_name: str = "kind") -> Decision:
    """``decide``, raising ``ValidationFailed`` (``not_eligible``) when not eligible."""
    decision = decide(person, kind, day)
    if not decision.eligible:
        raise ValidationFailed([Problem("not_eligible", field_name, "{text}",
                                        {"text": decision.text})])
    return decision


def describe_rules() -> list[dict[str, Any]]:
    """The rules for the pages (what applies where)."""
    return [{"key": r.key, "jurisdiction": r.jurisdiction, "kinds": sorted(r.kinds),
             "label": r.label, "min_age": r.min_age, "max_age": r.max_age} for r in rules()]
