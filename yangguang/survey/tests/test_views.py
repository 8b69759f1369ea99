"""The survey pages: the form (pre-filled, errors, audit), the completion counts
against a hand-worked village, the export of those not yet surveyed, and scope."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.imports.running import import_file
from yangguang.regions.selectors import resolve_region
from yangguang.registry import services as registry
from yangguang.registry.models import StatusReason
from yangguang.survey import selectors, services
from yangguang.survey.importing import SURVEYS
from yangguang.survey.models import AnnualSurvey
from yangguang.survey.rules import SurveyData
from yangguang.survey.tests.conftest import (
    COUNTY_A,
    COUNTY_B,
    VILLAGE_A,
    VILLAGE_A2,
    VILLAGE_B,
    id_of,
)

TOWNSHIP_A = VILLAGE_A[:9] + "000"  # 台城镇
THIS_YEAR = timezone.localdate().year
LAST_YEAR = THIS_YEAR - 1


def test_the_form_is_prefilled_from_last_year_and_saves_through_the_services(
        staff, make_person, actor):
    client = staff("registrar", COUNTY_A)
    person = make_person()
    services.record_survey(person, SurveyData(LAST_YEAR, True, support="dibao",
                                              surveyor="王芳",
                                              survey_date=dt.date(LAST_YEAR, 5, 1)),
                           actor=actor, scope=None)
    url = reverse("survey:form", args=[person.pk, THIS_YEAR])

    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["support"] == "dibao" and form.initial["surveyor"] == "王芳"
    assert "survey_date" not in form.initial  # last year's date is not this year's

    answers = {name: form.initial.get(name, "") for name in form.fields}
    answers.update(support="tekun", survey_date=f"{THIS_YEAR}-01-01")
    response = client.post(url, answers)
    assert response.status_code == 302
    survey = AnnualSurvey.objects.get(person=person, year=THIS_YEAR)
    assert (survey.support, survey.reached, survey.surveyor) == ("tekun", True, "王芳")
    event = AuditEvent.objects.get(object_type="survey", object_id=str(survey.pk))
    assert (event.action, event.actor_name) == (AuditAction.CREATE, client.user.username)


def test_the_forms_errors_are_the_rules_with_an_error_summary(staff, make_person):
    client = staff("registrar", COUNTY_A)
    person = make_person()
    response = client.post(reverse("survey:form", args=[person.pk, THIS_YEAR]),
                           {"reached": "no", "support": "dibao", "household_income": "很多"})
    assert response.status_code == 200
    summary = response.context["form"].error_summary()
    messages = [item["message"] for item in summary]
    assert any("家庭人均收入" in m for m in messages)
    assert {item["href"] for item in summary} <= {"#id_household_income", "#id_support",
                                                   "#id_not_reached_reason"}
    assert not AnnualSurvey.objects.exists()
    response = client.post(reverse("survey:form", args=[person.pk, THIS_YEAR]),
                           {"reached": "no", "support": "dibao"})
    codes = [item["href"] for item in response.context["form"].error_summary()]
    assert codes == ["#id_not_reached_reason", "#id_support"]


def test_persons_outside_the_scope_are_not_found(staff, make_person):
    client = staff("registrar", COUNTY_B)
    person = make_person()
    assert client.get(reverse("survey:form", args=[person.pk, THIS_YEAR])).status_code == 404
    assert client.get(reverse("survey:person", args=[person.pk])).status_code == 404
    assert client.get(reverse("survey:completion") + f"?region={COUNTY_A}").status_code == 404
    viewer = staff("analyst", COUNTY_A)  # no person pages
    assert viewer.get(reverse("survey:person", args=[person.pk])).status_code == 404


@pytest.fixture
def village(make_person, actor):
    """A hand-worked village for 2024 (and one beside it):

    | person | certificate | 2024 survey | counts in 2024 |
    |---|---|---|---|
    | p1 | 2020 | yes | certified, surveyed |
    | p2 | 2020 | no | certified, not yet |
    | p3 | 2020, cancelled 2024-06-01 | no | certified (in part of the year), not yet |
    | p4 | 2020, cancelled 2023-06-01 | — | not certified |
    | p5 | issued 2025-02-01 | — | not certified |
    | p6 | 2020, died 2023-12-31 | — | not certified |
    | q1 (the next village) | 2020 | yes | certified, surveyed |
    """
    p = {name: make_person(VILLAGE_A) for name in ("p1", "p2", "p3", "p4", "p6")}
    p["p5"] = make_person(VILLAGE_A, issued=dt.date(2025, 2, 1))
    p["q1"] = make_person(VILLAGE_A2)
    for name, day in (("p3", dt.date(2024, 6, 1)), ("p4", dt.date(2023, 6, 1))):
        registry.cancel_certificate(registry.current_certificate(p[name]),
                                    reason=StatusReason.MOVED_AWAY, day=day, actor=actor)
    registry.record_death(p["p6"], dt.date(2023, 12, 31), actor=actor)
    for name in ("p1", "q1"):
        services.record_survey(p[name], SurveyData(2024, True), actor=actor, scope=None)
    return p


def test_completion_counts_against_a_hand_worked_village(staff, village):
    client = staff("registrar", COUNTY_A)
    result = selectors.completion(client.user, resolve_region(TOWNSHIP_A), 2024)
    rows = {row.code: (row.certified, row.surveyed, row.remaining) for row in result.rows}
    assert rows[VILLAGE_A] == (3, 1, 2)
    assert rows[VILLAGE_A2] == (1, 1, 0)
    assert (result.total.certified, result.total.surveyed) == (4, 2)
    village_only = selectors.completion(client.user, resolve_region(VILLAGE_A), 2024)
    assert (village_only.total.certified, village_only.total.remaining, village_only.rows) == (
        3, 2, [])

    page = client.get(reverse("survey:completion") + f"?region={TOWNSHIP_A}&year=2024")
    assert page.status_code == 200
    assert {p.pk for p in page.context["waiting"]} == {village["p2"].pk, village["p3"].pk}
    # Outside the scope nothing is counted.
    other = staff("registrar", COUNTY_B)
    assert selectors.completion(other.user, resolve_region(VILLAGE_A), 2024).total.certified == 0


def test_the_export_of_those_not_yet_surveyed_is_audited_and_imports_again(
        staff, village, tmp_path):
    client = staff("registrar", COUNTY_A)
    response = client.post(reverse("survey:export"), {"region": TOWNSHIP_A, "year": "2024"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in rows) == sorted(id_of(village[n]) for n in ("p2", "p3"))
    assert {r[1] for r in rows} == {"2024"}
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="survey")
    assert (event.data["rows"], event.data["year"], event.actor_name) == (
        2, 2024, client.user.username)
    # Filled in, the sheet is the import's file.
    for index in range(2, 4):
        sheet.cell(index, 3).value = "是"
    path = tmp_path / "filled.xlsx"
    sheet.parent.save(path)
    result = import_file(SURVEYS, path, actor="test")
    assert (result.created, result.rejected) == (2, 0), result.errors
    assert not selectors.not_surveyed(client.user, 2024, resolve_region(VILLAGE_A)).exists()


def test_the_menu_the_home_count_and_the_person_page_link(staff, make_person):
    client = staff("registrar", COUNTY_A)
    person = make_person(VILLAGE_A, issued=dt.date(THIS_YEAR - 2, 1, 1))
    home = client.get(reverse("home")).content.decode()
    assert reverse("survey:completion") in home
    assert selectors.not_surveyed_count(client.user) == 1
    page = client.get(reverse("registry:person", args=[person.pk])).content.decode()
    assert reverse("survey:person", args=[person.pk]) in page
    assert client.get(reverse("survey:person", args=[person.pk])).status_code == 200
    assert client.get(reverse("survey:completion")).status_code == 200
    assert VILLAGE_B not in home
