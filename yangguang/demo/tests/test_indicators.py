"""Demo indicators: a plan's results as of the end of every year of its period up to the
demo date, so the dashboard's trend has several years; loading twice computes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.analytics.models import IndicatorResult
from yangguang.audit.models import AuditEvent
from yangguang.demo.generator import create_person
from yangguang.demo.indicators import load_indicators, year_ends
from yangguang.plans.models import Plan
from yangguang.plans.services import load_plans
from yangguang.survey.models import AnnualSurvey

pytestmark = pytest.mark.django_db


def test_year_ends_stop_at_the_demo_date():
    plan = Plan(start_year=2021, end_year=2025)
    assert year_ends(plan, dt.date(2026, 6, 30)) == [dt.date(y, 12, 31) for y in range(2021, 2026)]
    assert year_ends(plan, dt.date(2023, 6, 30)) == [dt.date(2021, 12, 31), dt.date(2022, 12, 31),
                                                      dt.date(2023, 6, 30)]
    assert year_ends(plan, dt.date(2020, 6, 30)) == []


def test_each_year_end_is_computed_once(actor):
    load_plans()
    Plan.objects.exclude(key="wutai").delete()  # one plan keeps the test short
    person = create_person(hukou_region="140922100001", birth_date=dt.date(1970, 5, 6),
                           issue_date=dt.date(2020, 3, 1), name="张三丰", level=1, category=4)
    for year, insured in ((2021, "not_insured"), (2023, "paying"), (2025, "paying")):
        AnnualSurvey.objects.create(person=person, year=year, reached=True, pension_insurance=insured)

    stored = load_indicators(actor, as_of=dt.date(2026, 6, 30))
    dates = sorted(IndicatorResult.objects.values_list("as_of", flat=True).distinct())
    assert dates == [dt.date(y, 12, 31) for y in range(2021, 2026)]
    assert stored == IndicatorResult.objects.count() > 0
    pension = {r.as_of.year: r for r in IndicatorResult.objects.filter(region_code="140922", indicator__row=6)}
    assert pension[2021].value == 0 and pension[2023].value == 100
    assert pension[2022].value is None and pension[2022].status == "no_data"  # no survey that year: not 0
    assert pension[2025].status == "achieved"
    assert AuditEvent.objects.filter(action="indicators_compute").count() == 5

    assert load_indicators(actor, as_of=dt.date(2026, 6, 30)) == 0
    assert AuditEvent.objects.filter(action="indicators_compute").count() == 5
