"""Needs taken from the annual survey: what the survey found and the person did not
receive becomes an open need, through the eligibility rules; taking them again opens
nothing; the daily job does the same."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.services.models import Need, NeedSource
from yangguang.services.survey_needs import open_needs_from_surveys
from yangguang.services.tests.conftest import QINGHAI_VILLAGE
from yangguang.survey import services as survey_services
from yangguang.survey.rules import SurveyData

pytestmark = pytest.mark.django_db
YEAR = 2025
DAY = dt.date(YEAR, 5, 6)


#: Certified before the survey day (the care and child rehabilitation rules ask for a
#: valid certificate on that day).
ISSUED = (dt.date.today() - DAY).days + 100


def survey(person, actor, **answers) -> None:
    data = SurveyData(YEAR, True, surveyor="王芳", survey_date=DAY, **answers)
    survey_services.record_survey(person, data, actor=actor, scope=None)


def test_unreceived_needs_become_open_needs_once(person, actor):
    adult = person(age=40, category="肢体", level="二级", issued_days_ago=ISSUED)
    survey(adult, actor, rehabilitation_need="training", rehabilitation_received=False,
           device_need="mobility", device_fitted=True, care_need="day", care_received=False,
           accessibility_need=True, accessibility_done=False)
    elder = person(age=70, category="肢体", level="一级", issued_days_ago=ISSUED)
    survey(elder, actor, care_need="residential", care_received=False)
    qinghai_child = person(region=QINGHAI_VILLAGE, age=10, category="听力", level="二级", issued_days_ago=ISSUED)
    survey(qinghai_child, actor, rehabilitation_need="training", rehabilitation_received=False,
           schooling="compulsory")
    child = person(age=10, category="听力", level="二级", issued_days_ago=ISSUED)
    survey(child, actor, rehabilitation_need="training", rehabilitation_received=False,
           schooling="compulsory")

    result = open_needs_from_surveys(YEAR, actor=actor)

    assert result.opened == 5 and dict(result.refused) == {"not_eligible": 1}
    opened = set(Need.objects.values_list("person_id", "kind"))
    assert opened == {(adult.pk, "basic_rehabilitation"), (adult.pk, "care_day"),
                      (adult.pk, "home_modification"),
                      (qinghai_child.pk, "child_rehabilitation"),  # Qinghai: 0–17
                      (child.pk, "basic_rehabilitation")}  # elsewhere 0–6
    need = Need.objects.get(person=adult, kind="care_day")
    assert (need.source, need.survey_year, need.opened_on) == (NeedSource.SURVEY, YEAR, DAY)

    again = open_needs_from_surveys(YEAR, actor=actor)
    assert again.opened == 0 and again.already == 5
    assert Need.objects.count() == 5


def test_scope_limits_the_persons_taken(person, actor):
    survey(person(), actor, accessibility_need=True, accessibility_done=False)
    assert open_needs_from_surveys(YEAR, actor=actor, scope=("610103",)).opened == 0
    assert open_needs_from_surveys(YEAR, actor=actor, scope=("140922",)).opened == 1
