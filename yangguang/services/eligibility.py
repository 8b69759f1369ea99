"""Who may receive a kind of service: the shared criteria of the registry
(``registry/data/criteria.toml``, ``registry.criteria``), per jurisdiction and effective
date, the same ones the benefit programmes use (care services, child rehabilitation
aid). ``decide`` is the one home of the services' side: ``actions.open_need`` calls it,
so the form, the API, the needs taken from the annual survey and the demo data are held
to the same rule, and the need form shows its reasons before anything is written.

The conditions (age, disability, family-economic status) are evaluated by the benefits
rules through ``registry.criteria.evaluate``, so a service and a benefit decide a person
alike (``tests/test_eligibility_agreement.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from yangguang.core.errors import Problem, ValidationFailed
from yangguang.registry import criteria
from yangguang.registry.criteria import Criterion
from yangguang.registry.models import Person

NOT_ELIGIBLE = _("不符合“{rule}”的条件：{reasons}")


@dataclass
class Decision:
    eligible: bool
    rule: Criterion | None = None  # the criterion met, or the first of those not met
    reasons: list[str] = field(default_factory=list)  # the conditions not met (of ``rule``)
    #: Every criterion of the kind not met, with its conditions not met.
    unmet: list[tuple[Criterion, list[str]]] = field(default_factory=list)

    @property
    def text(self) -> str:
        if self.rule is None:
            return str(_("该服务类型没有资格限制"))
        if self.eligible:
            return str(_("符合“{rule}”的条件")).format(rule=self.rule.label)
        return str(_("。")).join(
            str(NOT_ELIGIBLE).format(rule=c.label, reasons=str(_("；")).join(r))
            for c, r in self.unmet)


def rules_for(kind: str, region_code: str, day: dt.date) -> list[Criterion]:
    """The criteria that decide ``kind`` for a person of ``region_code`` on ``day``
    (any one met suffices; none: no restriction)."""
    return criteria.for_service(kind, region_code, day)


def decide(person: Person, kind: str, day: dt.date) -> Decision:
    """Whether ``person`` may receive ``kind`` on ``day``: whether they meet one of the
    kind's criteria of their hukou region, with the reasons of each when not."""
    rules = rules_for(kind, person.hukou_region_id, day)
    if not rules:
        return Decision(True)
    unmet = []
    for rule in rules:
        verdict = criteria.evaluate(rule, person, day)
        if verdict.eligible:
            return Decision(True, rule)
        unmet.append((rule, verdict.failed))
    return Decision(False, unmet[0][0], unmet[0][1], unmet)


def check(person: Person, kind: str, day: dt.date, *, field_name: str = "kind") -> Decision:
    """``decide``, raising ``ValidationFailed`` (``not_eligible``) when not eligible."""
    decision = decide(person, kind, day)
    if not decision.eligible:
        raise ValidationFailed([Problem("not_eligible", field_name, "{text}",
                                        {"text": decision.text})])
    return decision


def restricted_kinds() -> list[str]:
    """The service kinds some criterion governs."""
    return criteria.service_kinds()


def describe_rules() -> list[dict[str, Any]]:
    """The criteria for the pages (what applies where)."""
    return [{"key": e.key, "jurisdiction": e.jurisdiction, "kinds": list(e.service_kinds),
             "label": e.label} for e in criteria.entries()]
