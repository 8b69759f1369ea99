"""Demo benefit applications and screening work items: in each of the five
jurisdictions, applications for the two subsidies at every step of the flow (申请,
审核, 核定等级, 审定, 公示, 发放, one refused, one past the township's deadline) and the
screening's work items, made through ``benefits.services`` only, so every rule, deadline
and the audit apply as for staff; then each jurisdiction's payroll (发放表) of last month,
approved, and of this month, a draft, made by ``benefits.payroll`` as the command makes it.

The persons are those the rules find eligible on the day (``rules.screen``); one who
already has an application or a grant of the programme is skipped, so loading twice
changes nothing. A step the holiday calendar cannot date yet is left untaken.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from yangguang.benefits import payroll, selectors, services
from yangguang.benefits.models import BenefitApplication, BenefitGrant, Payroll
from yangguang.core.errors import ValidationFailed
from yangguang.regions.selectors import UnknownRegion, resolve_region
from yangguang.registry.models import Person

PROGRAMMES = ("care_allowance", "living_allowance")
FLOW = ("review", "check_level", "decide", "publish", "grant")
Step = tuple[str, int, str]  # (action, days ago, note)

#: (applicant type, applicant name, days ago applied, steps): one application each.
SCRIPTS: tuple[tuple[str, str, int, tuple[Step, ...]], ...] = (
    ("person", "", 2, ()),
    ("guardian", "监护人（演示）", 20, ()),  # the township's 5 working days have passed
    ("village_committee", "村民委员会（演示）", 14, (("review", 12, "材料齐全，同意上报"),)),
    ("person", "", 21, (("review", 19, "同意"), ("check_level", 16, "等级与证件相符"))),
    ("proactive", "", 25, (("review", 23, "主动发现，同意"), ("check_level", 21, "等级相符"),
                           ("decide", 18, "同意"))),
    ("person", "", 30, (("review", 28, "同意"), ("check_level", 25, "等级相符"),
                        ("decide", 20, "同意"), ("publish", 2, "在村务公开栏和平台公示"))),
    ("person", "", 60, (("review", 58, "同意"), ("check_level", 55, "等级相符"),
                        ("decide", 50, "同意"), ("publish", 45, "公示"), ("grant", 30, ""))),
    ("person", "", 16, (("review", 15, "同意"), ("reject", 10, "经核实已享受同类补贴"))),
)


def _prefix(code: str) -> str | None:
    try:
        return resolve_region(code).short_code
    except UnknownRegion:
        return None


def _eligible(prefix: str, programme: str, as_of: dt.date, wanted: int) -> list[Person]:
    """Persons of ``prefix`` eligible for ``programme`` on ``as_of`` with no application
    or grant of it yet, in id order."""
    taken = set(BenefitApplication.objects.filter(programme=programme)
                .values_list("person_id", flat=True))
    taken |= set(BenefitGrant.objects.filter(programme=programme).values_list("person_id", flat=True))
    found: list[int] = []
    for decision in selectors.screen(None, programme, prefix, as_of, eligible=True):
        if decision.person_id not in taken and decision.amount is not None:
            found.append(decision.person_id)
            if len(found) == wanted:
                break
    persons = Person.objects.in_bulk(found)
    return [persons[pk] for pk in found]


def _run(person: Person, programme: str, script: tuple[str, str, int, tuple[Step, ...]],
         actor: Any, as_of: dt.date) -> bool:
    kind, name, applied, steps = script
    ago = lambda days: as_of - dt.timedelta(days=days)  # noqa: E731
    try:
        with transaction.atomic():
            app = services.apply(person, programme, applicant_type=kind, applicant_name=name,
                                 applied_on=ago(applied), actor=actor, scope=None)
    except ValidationFailed:
        return False
    for action, days, note in steps:
        try:
            with transaction.atomic():
                app = services.take_step(app, action, day=ago(days), note=note, actor=actor,
                                         scope=None)
        except ValidationFailed:
            break  # e.g. a deadline in a year the holiday calendar does not carry yet
    return True


def load_benefits(jurisdictions: list[dict[str, Any]], actor: Any, *, as_of: dt.date
                  ) -> dict[str, int]:
    """The demo applications and screening work items of each jurisdiction that has none
    yet; the numbers made."""
    made = {"applications": 0, "screening_items": 0, "payrolls": 0}
    for jurisdiction in jurisdictions:
        prefix = _prefix(jurisdiction["code"])
        if prefix is None:
            continue
        if not selectors.applications_for(None, region_prefix=prefix).exists():
            for programme in PROGRAMMES:
                persons = iter(_eligible(prefix, programme, as_of, 3 * len(SCRIPTS)))
                for script in SCRIPTS:
                    for person in persons:
                        if _run(person, programme, script, actor, as_of):
                            made["applications"] += 1
                            break
        for programme in PROGRAMMES:
            made["screening_items"] += services.screen_into_items(programme, prefix, as_of,
                                                                  actor=actor)["created"]
        made["payrolls"] += _payrolls(resolve_region(jurisdiction["code"]), actor, as_of)
    return made


def _payrolls(region: Any, actor: Any, as_of: dt.date) -> int:
    """Last month's payroll of ``region``, approved, and this month's, a draft; a month
    that has one already is left as it is."""
    this_month = as_of.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    made = 0
    for month, approve in ((last_month, True), (this_month, False)):
        if Payroll.objects.filter(month=month, region=region).exists():
            continue
        with transaction.atomic():
            draft = payroll.run_payroll(month, region, actor=actor, scope=None, today=as_of)
            if approve:
                payroll.approve_payroll(draft, actor=actor, scope=None)
        made += 1
    return made
