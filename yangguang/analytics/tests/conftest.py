"""A hand-built world in 五台县 (plan ``wutai``), worked out by hand in the tests.

Township 台城镇 (140922100): P1 (54, pension paying, medical insured, rehab need met,
trained in 2022), P2 (30, not insured, rehab need not met, device need fitted), P3 (10,
compulsory schooling, medical insured). Township 耿镇镇 (140922102): P4 (40, pension paid
by government, medical subsidised, device need not fitted, trained in 2024), P5 (dead in
2023: counted nowhere). As of 2024-06-30, 2024 surveys.

For the catalogue's other entries (``more``): levels P1 1, P2 3 (physical), P3 4
(visual), P4 2; household H1 (P1, P2; region 台城 100001) 低保 since 2023, H2 (P4; 耿镇
102001) 低保边缘 since 2022, P3 without a household. Household incomes: 2023 H1 10,000
(P1), H2 8,000; 2024 H1 12,000 (P1) and 10,000 (P2), P3 6,000, H2 12,000. Grants:
living allowance P1 running, P2 stopped 2024-03, P3 running (not eligible); care
allowance P1 running, P4 from 2024-07 (after the as-of date). Home modifications (met):
P1 2023-05 and P2 2022-08 (both H1), P4 2020-12 (before the plan) and one ongoing, P3
2024-03 (level 4, no household). Providers: a 残疾人之家 in 台城 (active, designated
from 2022), a rehabilitation centre in 耿镇 (not a 残疾人之家), a closed 残疾人之家 in 耿镇.
"""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.benefits.models import BenefitApplication, BenefitGrant
from yangguang.demo.generator import create_person
from yangguang.plans import services as plan_services
from yangguang.plans.models import Plan
from yangguang.registry.models import Household, HouseholdStatus, Person
from yangguang.services.models import Need, Provider, Referral, ServiceRecord
from yangguang.survey.models import AnnualSurvey

AS_OF = dt.date(2024, 6, 30)
TAICHENG, GENGZHEN = "140922100000", "140922102000"


def _person(village: str, birth: dt.date, name: str, level: int, category: int, **survey: object) -> Person:
    person = create_person(hukou_region=village, birth_date=birth, issue_date=dt.date(2020, 3, 1), name=name,
                           level=level, category=category)
    for year, answers in survey.items():
        AnnualSurvey.objects.create(person=person, year=int(year[1:]), reached=True, **answers)
    return person


@pytest.fixture
def world(db) -> Plan:
    plan_services.load_plans()
    _person("140922100001", dt.date(1970, 5, 6), "张三丰", 1, 4,
            y2022={"vocational_training": True},
            y2024={"pension_insurance": "paying", "medical_insurance": "insured", "rehabilitation_need": "medical",
                   "rehabilitation_received": True, "device_need": "none"})
    _person("140922100002", dt.date(1994, 1, 2), "李四光", 3, 4,
            y2024={"pension_insurance": "not_insured", "medical_insurance": "not_insured",
                   "rehabilitation_need": "training", "rehabilitation_received": False,
                   "device_need": "mobility", "device_fitted": True})
    _person("140922100002", dt.date(2014, 1, 1), "王小明", 4, 1,
            y2024={"schooling": "compulsory", "medical_insurance": "insured"})
    _person("140922102001", dt.date(1984, 3, 3), "赵六", 2, 4,
            y2024={"pension_insurance": "government_paid", "medical_insurance": "government_subsidised",
                   "device_need": "visual", "device_fitted": False, "vocational_training": True})
    dead = _person("140922102001", dt.date(1960, 3, 3), "钱七", 1, 4,
                   y2024={"pension_insurance": "not_insured", "medical_insurance": "not_insured"})
    Person.objects.filter(pk=dead.pk).update(deceased_date=dt.date(2023, 2, 1))
    return Plan.objects.get(key="wutai")


def _grant(person: Person, programme: str, start: dt.date, stop: dt.date | None = None) -> None:
    application = BenefitApplication.objects.create(person=person, programme=programme, applicant_type="person",
                                                    state="granted", applied_on=start)
    BenefitGrant.objects.create(person=person, programme=programme, application=application, start_month=start,
                                stop_month=stop, paying_region_id=person.hukou_region_id[:6].ljust(12, "0"))


def _modification(person: Person, provider: Provider, ended: dt.date | None, outcome: str = "met") -> None:
    started = (ended or dt.date(2024, 5, 1)).replace(day=1)
    need, _ = Need.objects.get_or_create(person=person, kind="home_modification",
                                         defaults={"opened_on": started, "state_since": started})
    referral = Referral.objects.create(need=need, provider=provider, referred_on=started)
    ServiceRecord.objects.create(referral=referral, need=need, provider=provider, kind="home_modification",
                                 started_on=started, ended_on=ended, staff="王工", payer="federation",
                                 outcome=outcome)


@pytest.fixture
def more(world) -> Plan:
    p1, p2, p3, p4 = (Person.objects.get(name=n) for n in ("张三丰", "李四光", "王小明", "赵六"))
    h1 = Household.objects.create(number="H-ANALYTICS-1", region_id="140922100001")
    h2 = Household.objects.create(number="H-ANALYTICS-2", region_id="140922102001")
    Person.objects.filter(pk__in=[p1.pk, p2.pk]).update(household=h1)
    Person.objects.filter(pk=p3.pk).update(household=None)
    Person.objects.filter(pk=p4.pk).update(household=h2)
    HouseholdStatus.objects.create(household=h1, status="dibao", start_date=dt.date(2023, 1, 1))
    HouseholdStatus.objects.create(household=h2, status="near_dibao", start_date=dt.date(2022, 1, 1))
    for person, year, income in [(p1, 2023, 10000), (p4, 2023, 8000)]:
        AnnualSurvey.objects.create(person=person, year=year, reached=True, household_income=income)
    for person, income in [(p1, 12000), (p2, 10000), (p3, 6000), (p4, 12000)]:
        AnnualSurvey.objects.filter(person=person, year=2024).update(household_income=income)
    _grant(p1, "living_allowance", dt.date(2022, 1, 1))
    _grant(p2, "living_allowance", dt.date(2022, 1, 1), stop=dt.date(2024, 3, 1))
    _grant(p3, "living_allowance", dt.date(2023, 1, 1))
    _grant(p1, "care_allowance", dt.date(2023, 1, 1))
    _grant(p4, "care_allowance", dt.date(2024, 7, 1))
    home = Provider.objects.create(name="台城镇残疾人之家", kind="community_centre", region_id="140922100001",
                                   capacity=20, designated_from=dt.date(2022, 1, 1))
    Provider.objects.create(name="耿镇康复站", kind="rehabilitation", region_id="140922102000", capacity=10)
    Provider.objects.create(name="耿镇残疾人之家", kind="community_centre", region_id="140922102001",
                            capacity=10, status="closed")
    _modification(p1, home, dt.date(2023, 5, 20))
    _modification(p2, home, dt.date(2022, 8, 9))
    _modification(p4, home, dt.date(2020, 12, 1))
    _modification(p4, home, None, outcome="ongoing")
    _modification(p3, home, dt.date(2024, 3, 2))
    return world
