"""/persons/{id}/surveys: a person's annual surveys (list, record a year, one year).

Scoped like the person (``view_person`` to read, ``edit_person`` to record; outside the
caller's regions 404). Coded answers take the code or its Chinese name, as the import
template does; the rules are ``survey.rules.check`` through ``survey.services``, so the
API refuses what the form and the import refuse, with the same error codes. Reads are
recorded as ``view`` events, the recording by the service (``create``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from yangguang.accounts.permissions import Capability
from yangguang.api.access import actor, audit_view, existing_id, require
from yangguang.api.common import READ_ERRORS, WRITE_ERRORS
from yangguang.api.errors import ApiError
from yangguang.api.schemas import Input
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.registry.models import Person
from yangguang.registry.selectors import get_person_for
from yangguang.survey import rules, selectors, services
from yangguang.survey.models import ANSWERS, CHOICES, AnnualSurvey
from yangguang.survey.rules import SurveyData

router = Router(tags=["surveys"])

_CODE = "代码或中文名称，如 {example}"


def _code_field(key: str) -> Any:
    example = CHOICES[key].values[0]
    return Field(None, max_length=30, description=_CODE.format(example=example) + "；"
                 + "、".join(f"{c}={label}" for c, label in CHOICES[key].choices))


class SurveyCreate(Input):
    year: int = Field(description="调查年度，如2025；尚未开始的年度不能录入")
    reached: bool = Field(description="是否入户调查")
    not_reached_reason: str | None = _code_field("not_reached_reason")
    employment_status: str | None = _code_field("employment_status")
    employment_form: str | None = _code_field("employment_form")
    vocational_training: bool | None = None
    household_income: int | None = Field(None, ge=0, le=10_000_000, description="家庭人均收入（元）")
    pension_insurance: str | None = _code_field("pension_insurance")
    medical_insurance: str | None = _code_field("medical_insurance")
    schooling: str | None = _code_field("schooling")
    rehabilitation_need: str | None = _code_field("rehabilitation_need")
    rehabilitation_received: bool | None = None
    device_need: str | None = _code_field("device_need")
    device_fitted: bool | None = None
    care_need: str | None = _code_field("care_need")
    care_received: bool | None = None
    accessibility_need: bool | None = None
    accessibility_done: bool | None = None
    support: str | None = _code_field("support")
    main_difficulty: str | None = _code_field("main_difficulty")
    surveyor: str | None = Field(None, max_length=rules.SURVEYOR_MAX, description="调查员")
    survey_date: dt.date | None = Field(None, description="调查日期，须在调查年度内")


class SurveyOut(Schema):
    id: int
    person_id: int
    year: int
    reached: bool
    not_reached_reason: str = Field(description="代码；空字符串为未填写")
    employment_status: str
    employment_form: str
    vocational_training: bool | None
    household_income: int | None
    pension_insurance: str
    medical_insurance: str
    schooling: str
    rehabilitation_need: str
    rehabilitation_received: bool | None
    device_need: str
    device_fitted: bool | None
    care_need: str
    care_received: bool | None
    accessibility_need: bool | None
    accessibility_done: bool | None
    support: str
    main_difficulty: str
    surveyor: str
    survey_date: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


def _out(survey: AnnualSurvey) -> dict[str, Any]:
    return {"id": survey.pk, "person_id": survey.person_id, "year": survey.year,
            **{k: getattr(survey, k) for k in ANSWERS},
            "created_at": survey.created_at, "updated_at": survey.updated_at}


def _person(request: HttpRequest, person_id: int, capability: str) -> Person:
    require(request, capability)
    return get_person_for(request.user, existing_id(person_id), capability)


def _data(payload: SurveyCreate) -> SurveyData:
    """The payload's values read as the import reads cells (codes or names)."""
    values: dict[str, Any] = payload.model_dump()
    problems: list[Problem] = []
    for key in CHOICES:
        try:
            values[key] = rules.parse_code(key, values[key])
        except ValidationFailed as exc:
            problems += exc.problems
    if problems:
        raise ValidationFailed(problems)
    values["surveyor"] = rules.parse_surveyor(values["surveyor"])
    return SurveyData.of(values)


@router.get("/persons/{int:person_id}/surveys", response={200: list[SurveyOut], **READ_ERRORS},
            summary="残疾人的历年调查（最新在前）")
def list_surveys(request: HttpRequest, person_id: int) -> list[dict[str, Any]]:
    person = _person(request, person_id, Capability.VIEW_PERSON)
    surveys = selectors.surveys_of(request.user, person)
    audit_view(request, "survey", person_id=person.pk, region_code=person.hukou_region_id,
               ids=[s.pk for s in surveys])
    return [_out(s) for s in surveys]


@router.post("/persons/{int:person_id}/surveys", response={201: SurveyOut, **WRITE_ERRORS},
             summary="录入残疾人某年度的调查（该年度已录入时返回422 survey_exists）")
def create_survey(request: HttpRequest, person_id: int, payload: SurveyCreate) -> Status:
    person = _person(request, person_id, Capability.EDIT_PERSON)
    survey, _outcome = services.record_survey(person, _data(payload), actor=actor(request),
                                              scope=services.write_scope(request.user),
                                              new_only=True)
    return Status(201, _out(survey))


@router.get("/persons/{int:person_id}/surveys/{int:year}",
            response={200: SurveyOut, **READ_ERRORS}, summary="残疾人某年度的调查")
def get_survey(request: HttpRequest, person_id: int, year: int) -> dict[str, Any]:
    person = _person(request, person_id, Capability.VIEW_PERSON)
    survey = selectors.survey_of(request.user, person, year)
    if survey is None:
        raise ApiError(404, "not_found")
    audit_view(request, "survey", survey, person_id=person.pk,
               region_code=person.hukou_region_id)
    return _out(survey)
