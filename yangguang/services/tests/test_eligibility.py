"""Eligibility by jurisdiction, from ``data/eligibility.json`` through ``eligibility.decide``,
which ``actions.open_need`` (so the form, the API and the survey's needs) calls."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.core.errors import ValidationFailed
from yangguang.services import actions, eligibility
from yangguang.services.models import Need, ServiceKind
from yangguang.services.tests.conftest import QINGHAI_VILLAGE, VILLAGE_A

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.mark.parametrize(("region", "age", "eligible", "rule"), [
    (VILLAGE_A, 5, True, "child_rehabilitation_national"),
    (VILLAGE_A, 6, True, "child_rehabilitation_national"),
    (VILLAGE_A, 7, False, "child_rehabilitation_national"),
    (VILLAGE_A, 12, False, "child_rehabilitation_national"),
    (QINGHAI_VILLAGE, 12, True, "child_rehabilitation_qinghai"),
    (QINGHAI_VILLAGE, 17, True, "child_rehabilitation_qinghai"),
    (QINGHAI_VILLAGE, 18, False, "child_rehabilitation_qinghai"),
])
def test_child_rehabilitation_ages_by_jurisdiction(person, region, age, eligible, rule):
    child = person(region=region, age=age, category="言语", level="二级")
    decision = eligibility.decide(child, ServiceKind.CHILD_REHABILITATION, TODAY)
    assert (decision.eligible, decision.rule.key) == (eligible, rule)


@pytest.mark.parametrize(("age", "category", "level", "eligible"), [
    (30, "智力", "四级", True),
    (30, "精神", "三级", True),
    (30, "肢体", "二级", True),
    (30, "肢体", "三级", False),  # physical, but not severe
    (30, "视力", "一级", False),
    (15, "智力", "二级", False),
    (16, "智力", "二级", True),
    (59, "精神", "二级", True),
    (60, "精神", "二级", False),
])
def test_care_for_working_age_intellectual_mental_or_severe_physical(person, age, category,
                                                                     level, eligible):
    someone = person(age=age, category=category, level=level)
    for kind in (ServiceKind.CARE_RESIDENTIAL, ServiceKind.CARE_DAY, ServiceKind.CARE_HOME):
        assert eligibility.decide(someone, kind, TODAY).eligible is eligible


def test_multiple_disability_counts_its_components(person):
    someone = person(age=30, category="多重", level="二级", components="视力二级；智力三级")
    assert eligibility.decide(someone, ServiceKind.CARE_DAY, TODAY).eligible


def test_kind_without_rule_is_open_to_all(person):
    decision = eligibility.decide(person(age=80), ServiceKind.HOME_VISIT, TODAY)
    assert decision.eligible and decision.rule is None


def test_open_need_refuses_the_ineligible_with_the_rule_and_reasons(person, actor):
    adult = person(age=12)  # Shanxi: 0–6
    with pytest.raises(ValidationFailed) as exc:
        actions.open_need(adult, ServiceKind.CHILD_REHABILITATION, opened_on=TODAY,
                          actor=actor, scope=None)
    (problem,) = exc.value.problems
    assert problem.code == "not_eligible" and problem.field == "kind"
    assert "0至6周岁" in problem.message and "年龄12周岁" in problem.message
    assert not Need.objects.exists()
    qinghai = person(region=QINGHAI_VILLAGE, age=12)
    need = actions.open_need(qinghai, ServiceKind.CHILD_REHABILITATION, opened_on=TODAY,
                             actor=actor, scope=None)
    assert need.pk


def test_rule_in_force_on_the_day(person):
    child = person(age=3)
    before = eligibility.decide(child, ServiceKind.CHILD_REHABILITATION, dt.date(2018, 9, 30))
    assert before.rule is None  # the national rule starts 2018-10-01


def test_the_reason_names_category_and_level_apart_in_english(person):
    """The English reason read 'Visual disabilityLevel 2': the two labels were joined
    without the translated '{category}{level}' pattern."""
    from django.utils import translation

    someone = person(age=30, category="视力", level="二级")
    with translation.override("en"):
        reasons = " ".join(eligibility.decide(someone, ServiceKind.CARE_DAY, TODAY).reasons)
    assert "Visual disability, Level 2" in reasons, reasons
