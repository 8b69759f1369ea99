"""Eligibility by jurisdiction, from the registry's shared criteria
(``registry/data/criteria.toml``) through ``eligibility.decide``, which
``actions.open_need`` (so the form, the API and the survey's needs) calls."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.core.errors import ValidationFailed
from yangguang.registry import criteria
from yangguang.services import actions, eligibility
from yangguang.services.models import Need, ServiceKind
from yangguang.services.tests.conftest import QINGHAI_VILLAGE, VILLAGE_A

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.mark.parametrize(("region", "age", "eligible", "jurisdiction"), [
    (VILLAGE_A, 5, True, "000000"),
    (VILLAGE_A, 6, True, "000000"),
    (VILLAGE_A, 7, False, "000000"),
    (VILLAGE_A, 12, False, "000000"),
    (QINGHAI_VILLAGE, 12, True, "630000"),
    (QINGHAI_VILLAGE, 17, True, "630000"),
    (QINGHAI_VILLAGE, 18, False, "630000"),
])
def test_child_rehabilitation_ages_by_jurisdiction(person, region, age, eligible, jurisdiction):
    child = person(region=region, age=age, category="言语", level="二级", household_status="dibao")
    decision = eligibility.decide(child, ServiceKind.CHILD_REHABILITATION, TODAY)
    assert (decision.eligible, decision.rule.key, decision.rule.jurisdiction) == (
        eligible, "child_rehabilitation", jurisdiction)


@pytest.mark.parametrize("status", ["dibao", "tekun", "poverty_exited", "monitored"])
def test_child_rehabilitation_aid_for_families_in_hardship(person, status):
    child = person(age=4, category="听力", level="一级", household_status=status)
    assert eligibility.decide(child, ServiceKind.CHILD_REHABILITATION, TODAY).eligible


def test_child_rehabilitation_aid_refused_outside_the_family_conditions_with_the_reason(person):
    child = person(age=4, category="听力", level="一级", household_status="low_income")
    decision = eligibility.decide(child, ServiceKind.CHILD_REHABILITATION, TODAY)
    assert not decision.eligible
    (reason,) = decision.reasons
    assert reason.startswith("家庭不是低保户、特困供养家庭、脱贫户、防止返贫监测户"), reason
    assert "孤儿" in reason  # nor receiving orphan support


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


@pytest.mark.parametrize(("age", "level", "status", "eligible"), [
    (70, "一级", "dibao", True),
    (8, "二级", "low_income", True),
    (45, "一级", "near_dibao", True),
    (70, "一级", "tekun", True),
    (70, "三级", "dibao", False),  # not severe
    (70, "一级", "poverty_exited", False),  # not a low-income status
    (70, "一级", "", False),
])
def test_care_for_the_severely_disabled_of_low_income_families(person, age, level, status,
                                                               eligible):
    """The second route to care (低收入家庭重度残疾人照护服务): any age and category, levels
    1–2, in a dibao, tekun, near-dibao or low-income household."""
    someone = person(age=age, category="视力", level=level, household_status=status)
    decision = eligibility.decide(someone, ServiceKind.CARE_HOME, TODAY)
    assert decision.eligible is eligible
    if eligible:
        assert decision.rule.key == "care_low_income"
    else:  # the reasons of both routes
        assert [c.key for c, _r in decision.unmet] == ["care_service", "care_low_income"]
        assert "低收入家庭重度残疾人照护服务" in decision.text and "阳光家园" in decision.text


def test_multiple_disability_is_read_by_its_components(person):
    """The shared criteria read a 多重 certificate by its components as the benefits do
    (components = true): a multiple disability with an intellectual component is served
    as an intellectual disability; one of sight and hearing is not in the care criterion."""
    someone = person(age=30, category="多重", level="二级", components="视力二级；智力三级")
    decision = eligibility.decide(someone, ServiceKind.CARE_DAY, TODAY)
    assert decision.eligible and decision.rule.key == "care_service"
    verdict = criteria.evaluate(decision.rule, someone, TODAY)
    assert "含三级智力残疾" in verdict.reasons[0]
    other = person(age=30, category="多重", level="二级", components="视力二级；听力三级")
    decision = eligibility.decide(other, ServiceKind.CARE_DAY, TODAY)
    assert not decision.eligible and "不在范围内" in decision.reasons[0]
    child = person(age=5, category="多重", level="二级", components="听力二级；智力三级",
                   household_status="dibao")
    assert eligibility.decide(child, ServiceKind.CHILD_REHABILITATION, TODAY).eligible


def test_kind_without_rule_is_open_to_all(person):
    decision = eligibility.decide(person(age=80), ServiceKind.HOME_VISIT, TODAY)
    assert decision.eligible and decision.rule is None


def test_open_need_refuses_the_ineligible_with_the_rule_and_reasons(person, actor):
    adult = person(age=12, household_status="dibao")  # Shanxi: 0–6
    with pytest.raises(ValidationFailed) as exc:
        actions.open_need(adult, ServiceKind.CHILD_REHABILITATION, opened_on=TODAY,
                          actor=actor, scope=None)
    (problem,) = exc.value.problems
    assert problem.code == "not_eligible" and problem.field == "kind"
    assert "不在0至6周岁范围内" in problem.message and "12周岁" in problem.message
    assert not Need.objects.exists()
    qinghai = person(region=QINGHAI_VILLAGE, age=12, household_status="dibao")
    need = actions.open_need(qinghai, ServiceKind.CHILD_REHABILITATION, opened_on=TODAY,
                             actor=actor, scope=None)
    assert need.pk


def test_rule_in_force_on_the_day(person):
    child = person(age=3)
    before = eligibility.decide(child, ServiceKind.CHILD_REHABILITATION, dt.date(2018, 9, 30))
    assert before.rule is None  # the national rule starts 2018-10-01


def test_the_reason_names_category_and_level_apart_in_english(person):
    """The English reason read 'Visual disabilityLevel 2': the two labels are joined
    through the translated '{level}{category}' pattern of the benefits' reasons."""
    from django.utils import translation

    someone = person(age=30, category="视力", level="二级")
    with translation.override("en"):
        reasons = " ".join(eligibility.decide(someone, ServiceKind.CARE_DAY, TODAY).reasons)
    assert "Level 2 Visual disability" in reasons, reasons
    with translation.override("en"):
        text = eligibility.decide(someone, ServiceKind.CARE_DAY, TODAY).text
    assert "Care services (Sunshine Home plan)" in text and "托养" not in text, text
