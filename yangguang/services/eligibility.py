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
    rule: Criterion | None = None
    reasons: list[str] = field(default_factory=list)  # the conditions not met

    @property
    def text(self) -> str:
        if self.rule is None:
            return str(_("该服务类型没有资格限制"))
        if self.eligible:
            return str(_("符合“{rule}”的条件")).format(rule=self.rule.label)
        return str(NOT_ELIGIBLE).format(rule=self.rule.label, reasons=_("；").join(self.reasons))


def rule_for(kind: str, region_code: str, day: dt.date) -> Criterion | None:
    """The criterion that decides ``kind`` for a person of ``region_code`` on ``day``
    (None: no restriction)."""
    return criteria.for_service(kind, region_code, day)


def decide(person: Person, kind: str, day: dt.date) -> Decision:
    """Whether ``person`` may receive ``kind`` on ``day`` under the criterion of their
    hukou region, with the reasons when not."""
    rule = rule_for(kind, person.hukou_region_id, day)
    if rule is None:
        return Decision(True)
    verdict = criteria.evaluate(rule, person, day)
    return Decision(verdict.eligible, rule, verdict.failed)


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
