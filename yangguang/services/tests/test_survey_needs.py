"""Needs taken from the annual survey: what the survey found and the person did not
receive becomes an open need, through the eligibility rules; taking them again opens
nothing; the daily job does the same."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.utils import translation

from yangguang.services.models import Need, NeedSource
from yangguang.services.survey_needs import open_needs_from_surveys
from yangguang.services.tests.conftest import QINGHAI_VILLAGE
from yangguang.survey import services as survey_services
from yangguang.survey.models import DeviceNeed, RehabilitationNeed
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
    qinghai_child = person(region=QINGHAI_VILLAGE, age=10, category="听力", level="二级",
                           issued_days_ago=ISSUED, household_status="dibao")
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
    rehabilitation = Need.objects.get(person=adult, kind="basic_rehabilitation")
    assert (rehabilitation.survey_detail, rehabilitation.note) == ("training", "")

    again = open_needs_from_surveys(YEAR, actor=actor)
    assert again.opened == 0 and again.already == 5
    assert Need.objects.count() == 5


def test_scope_limits_the_persons_taken(person, actor):
    survey(person(), actor, accessibility_need=True, accessibility_done=False)
    assert open_needs_from_surveys(YEAR, actor=actor, scope=("610103",)).opened == 0
    assert open_needs_from_surveys(YEAR, actor=actor, scope=("140922",)).opened == 1


def test_the_survey_detail_is_a_code_shown_in_the_readers_language(person, actor):
    adult = person(age=40, category="肢体", level="二级", issued_days_ago=ISSUED)
    survey(adult, actor, device_need="mobility", device_fitted=False,
           rehabilitation_need="medical", rehabilitation_received=False)
    open_needs_from_surveys(YEAR, actor=actor)
    device = Need.objects.get(person=adult, kind="device_fitting")
    rehabilitation = Need.objects.get(person=adult, kind="basic_rehabilitation")
    assert (device.survey_detail, device.note) == ("mobility", "")
    with translation.override("zh-hans"):
        assert (device.survey_detail_label, rehabilitation.survey_detail_label) == (
            "移动类辅具", "康复医疗")
    with translation.override("en"):
        english = (device.survey_detail_label, rehabilitation.survey_detail_label)
        assert english == (str(DeviceNeed.MOBILITY.label), str(RehabilitationNeed.MEDICAL.label))
    assert all(text.isascii() for text in english), english


def test_the_migration_turns_stored_labels_into_codes(person, actor):
    """Needs written before 0002 kept the survey's Chinese label as their note."""
    migration = importlib.import_module("yangguang.services.migrations.0002_need_survey_detail")
    adult = person(age=40, category="肢体", level="二级", issued_days_ago=ISSUED)
    survey(adult, actor, device_need="mobility", device_fitted=False,
           rehabilitation_need="training", rehabilitation_received=False,
           accessibility_need=True, accessibility_done=False)
    open_needs_from_surveys(YEAR, actor=actor)
    old = {"device_fitting": "移动类辅具", "basic_rehabilitation": "康复训练",
           "home_modification": ""}
    for kind, label in old.items():
        Need.objects.filter(kind=kind).update(note=label, survey_detail="")
    direct = Need.objects.get(kind="home_modification")
    Need.objects.filter(pk=direct.pk).update(note="康复训练", source=NeedSource.DIRECT)

    migration.labels_to_codes(django_apps, None)

    found = dict(Need.objects.values_list("kind", "survey_detail"))
    assert found == {"device_fitting": "mobility", "basic_rehabilitation": "training",
                     "home_modification": ""}
    assert set(Need.objects.filter(source=NeedSource.SURVEY).values_list("note", flat=True)) == {""}
    assert Need.objects.get(pk=direct.pk).note == "康复训练"  # staff's own words stay
    migration.codes_to_labels(django_apps, None)
    assert Need.objects.get(kind="device_fitting").note == "移动类辅具"
