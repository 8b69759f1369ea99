"""Recording one survey (the form's and the API's path): the rules, scope, audit, and
who is certified in a year."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.core.errors import ValidationFailed
from yangguang.registry import services as registry
from yangguang.registry.models import Person, StatusReason
from yangguang.survey import rules, services, vocabulary
from yangguang.survey.models import CHOICES, AnnualSurvey
from yangguang.survey.rules import SurveyData
from yangguang.survey.tests.conftest import COUNTY_B

TODAY = dt.date(2025, 6, 30)


def codes(data: SurveyData, **kw) -> list[str]:
    try:
        rules.check(data, **{"birth_date": dt.date(1970, 1, 1), "certified": True,
                             "today": TODAY, **kw})
    except ValidationFailed as exc:
        return [p.code for p in exc.problems]
    return []


def test_the_vocabulary_and_the_models_list_the_same_codes():
    assert set(CHOICES) == set(vocabulary.CODED)
    for key, choices in CHOICES.items():
        assert list(choices.values) == list(vocabulary.CODED[key]), key


def test_the_rules():
    assert codes(SurveyData(2025, True)) == []
    assert codes(SurveyData(2026, True)) == ["year_not_begun"]
    assert codes(SurveyData(2025, True), certified=False) == ["not_certified"]
    assert codes(SurveyData(2025, False)) == ["reason_required"]
    assert codes(SurveyData(2025, False, "deceased", support="dibao")) == [
        "answer_when_not_reached"]
    assert codes(SurveyData(2025, True, "moved")) == ["reason_when_reached"]
    assert codes(SurveyData(2025, True, employment_status="employed")) == ["form_required"]
    assert codes(SurveyData(2025, True, employment_status="seeking",
                            employment_form="quota")) == ["form_without_employment"]
    assert codes(SurveyData(2025, True, survey_date=dt.date(2024, 12, 1))) == [
        "date_outside_year"]
    # Schooling: for ages 3–17 on the survey date (or 31 December), and then always.
    child = {"birth_date": dt.date(2007, 7, 1)}  # 17 on 30 June 2025, 18 by December
    assert codes(SurveyData(2025, True, survey_date=dt.date(2025, 6, 30)), **child) == [
        "schooling_required"]
    assert codes(SurveyData(2025, True, schooling="high_school",
                            survey_date=dt.date(2025, 6, 30)), **child) == []
    assert codes(SurveyData(2025, True, schooling="high_school"), **child) == ["schooling_age"]
    assert codes(SurveyData(2025, True), birth_date=dt.date(2023, 1, 1)) == []  # 2


def test_certified_in_a_year(make_person, actor):
    a = make_person(issued=dt.date(2020, 3, 1))
    assert services.certified_persons([a.pk], 2019) == set()
    assert services.certified_persons([a.pk], 2020) == {a.pk}
    registry.cancel_certificate(registry.current_certificate(a), reason=StatusReason.MOVED_AWAY,
                                day=dt.date(2023, 6, 1), actor=actor)
    assert services.certified_persons([a.pk], 2023) == {a.pk}
    assert services.certified_persons([a.pk], 2024) == set()
    b = make_person(issued=dt.date(2020, 3, 1))
    registry.record_death(b, dt.date(2022, 2, 1), actor=actor)
    assert Person.objects.filter(rules.certified_q(2022), pk=b.pk).exists()
    assert not Person.objects.filter(rules.certified_q(2023), pk=b.pk).exists()


def test_recording_creates_updates_or_changes_nothing_and_audits(make_person, actor):
    a = make_person()
    data = SurveyData(2024, True, support="dibao", surveyor="王芳")
    survey, outcome = services.record_survey(a, data, actor=actor, scope=None)
    assert outcome == "created" and survey.support == "dibao"
    assert services.record_survey(a, data, actor=actor, scope=None)[1] == "unchanged"
    data.support = "tekun"
    assert services.record_survey(a, data, actor=actor, scope=None)[1] == "updated"
    events = AuditEvent.objects.filter(object_type="survey", person_id=a.pk).order_by("id")
    assert [e.action for e in events] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert events[0].data == {"year": 2024, "reached": True, "support": "dibao",
                              "surveyor": "王芳"}
    assert events[1].data == {"year": 2024, "changes": {"support": ["dibao", "tekun"]}}
    with pytest.raises(ValidationFailed) as caught:
        services.record_survey(a, data, actor=actor, scope=None, new_only=True)
    assert caught.value.problems[0].code == "survey_exists"


def test_a_person_outside_the_scope_is_refused(make_person, actor):
    a = make_person()
    with pytest.raises(ValidationFailed) as caught:
        services.record_survey(a, SurveyData(2024, True), actor=actor, scope=(COUNTY_B,))
    assert caught.value.problems[0].code == "region_out_of_scope"
    assert not AnnualSurvey.objects.exists()


_ANSWER = {  # each answer: a few values a survey may hold, blank included
    **{key: st.sampled_from(["", *codes]) for key, codes in vocabulary.CODED.items()},
    **{key: st.sampled_from([None, True, False]) for key in vocabulary.FLAGS
       if key != "reached"},
    "household_income": st.one_of(st.none(), st.integers(0, 10_000_000)),
    "surveyor": st.sampled_from(["", "王芳", "李·明", 'a"b\\c']),
    "survey_date": st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2025, 12, 31))),
}


@settings(max_examples=300, deadline=None)
@given(year=st.integers(2000, 2030), reached=st.booleans(), answers=st.fixed_dictionaries(_ANSWER))
def test_a_new_surveys_event_text_is_its_event_data_as_the_audit_log_encodes_it(
        year, reached, answers):
    """The import writes a new survey's event as text (``new_event_json``, each answer
    encoded once); it says what ``event_data`` says, as ``audit.services.canonical``
    encodes data."""
    data = SurveyData(year, reached, **answers)
    text = services.new_event_json(data)
    assert text == json.dumps(services.event_data(data, None), ensure_ascii=False,
                              sort_keys=True, separators=(",", ":"), default=str)
    assert text == services.new_event_json(data)  # remembered pairs give the same text
