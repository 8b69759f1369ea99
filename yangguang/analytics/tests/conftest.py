"""A hand-built world in 五台县 (plan ``wutai``), worked out by hand in the tests.

Township 台城镇 (140922100): P1 (54, pension paying, medical insured, rehab need met,
trained in 2022), P2 (30, not insured, rehab need not met, device need fitted), P3 (10,
compulsory schooling, medical insured). Township 耿镇镇 (140922102): P4 (40, pension paid
by government, medical subsidised, device need not fitted, trained in 2024), P5 (dead in
2023: counted nowhere). As of 2024-06-30, 2024 surveys.
"""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.demo.generator import create_person
from yangguang.plans import services as plan_services
from yangguang.plans.models import Plan
from yangguang.registry.models import Person
from yangguang.survey.models import AnnualSurvey

AS_OF = dt.date(2024, 6, 30)
TAICHENG, GENGZHEN = "140922100000", "140922102000"


def _person(village: str, birth: dt.date, name: str, **survey: object) -> Person:
    person = create_person(hukou_region=village, birth_date=birth, issue_date=dt.date(2020, 3, 1), name=name)
    for year, answers in survey.items():
        AnnualSurvey.objects.create(person=person, year=int(year[1:]), reached=True, **answers)
    return person


@pytest.fixture
def world(db) -> Plan:
    plan_services.load_plans()
    _person("140922100001", dt.date(1970, 5, 6), "张三丰",
            y2022={"vocational_training": True},
            y2024={"pension_insurance": "paying", "medical_insurance": "insured", "rehabilitation_need": "medical",
                   "rehabilitation_received": True, "device_need": "none"})
    _person("140922100002", dt.date(1994, 1, 2), "李四光",
            y2024={"pension_insurance": "not_insured", "medical_insurance": "not_insured",
                   "rehabilitation_need": "training", "rehabilitation_received": False,
                   "device_need": "mobility", "device_fitted": True})
    _person("140922100002", dt.date(2014, 1, 1), "王小明",
            y2024={"schooling": "compulsory", "medical_insurance": "insured"})
    _person("140922102001", dt.date(1984, 3, 3), "赵六",
            y2024={"pension_insurance": "government_paid", "medical_insurance": "government_subsidised",
                   "device_need": "visual", "device_fitted": False, "vocational_training": True})
    dead = _person("140922102001", dt.date(1960, 3, 3), "钱七",
                   y2024={"pension_insurance": "not_insured", "medical_insurance": "not_insured"})
    Person.objects.filter(pk=dead.pk).update(deceased_date=dt.date(2023, 2, 1))
    return Plan.objects.get(key="wutai")
