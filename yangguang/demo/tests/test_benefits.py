"""Demo benefit applications: every step of the flow in a jurisdiction, the screening's
work items, the payrolls, and loading twice changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.benefits.models import BenefitApplication, Payroll, PayrollState, ScreeningItem
from yangguang.benefits.tests.conftest import ACTOR, WUTAI, make_person
from yangguang.demo.benefits import SCRIPTS, load_benefits

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def test_applications_at_every_step_and_work_items_once():
    for _ in range(len(SCRIPTS) + 2):
        make_person(region=WUTAI, level="一级", issued=TODAY - dt.timedelta(days=400))
    jurisdictions = [{"key": "wutai", "code": "140922"}, {"key": "nowhere", "code": "999999"}]
    made = load_benefits(jurisdictions, ACTOR, as_of=TODAY)
    care = BenefitApplication.objects.filter(programme="care_allowance")
    states = set(care.values_list("state", flat=True))
    assert states == {"submitted", "reviewed", "level_checked", "decided", "published", "granted",
                      "rejected"}
    assert made["applications"] == care.count() + BenefitApplication.objects.filter(
        programme="living_allowance").count()
    assert any(a.deadline and a.deadline < TODAY for a in care.filter(state="submitted"))
    assert made["screening_items"] == ScreeningItem.objects.count() > 0
    this_month = TODAY.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    payrolls = {p.month: p for p in Payroll.objects.filter(region_id="140922000000")}
    assert sorted(payrolls) == [last_month, this_month]
    assert payrolls[last_month].state == PayrollState.APPROVED
    assert payrolls[this_month].state != PayrollState.APPROVED
    granted = set(BenefitApplication.objects.filter(state="granted").values_list("person_id", flat=True))
    paid = {line.person_id for p in payrolls.values() for line in p.lines.all() if line.amount > 0}
    assert granted and granted <= paid  # the granted persons are paid, arrears included
    assert made["payrolls"] == 2
    again = load_benefits(jurisdictions, ACTOR, as_of=TODAY)
    assert again == {"applications": 0, "screening_items": 0, "payrolls": 0}
