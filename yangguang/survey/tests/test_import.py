"""The survey import on the shared framework: each rejection with its row and column,
codes or names, GB18030, blank rows, formulas, dry run, re-import, audit, template
and the command line."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from stdnum.cn import ric

from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.audit.services import verify_chain
from yangguang.imports import spec
from yangguang.imports.running import import_file
from yangguang.registry import services as registry
from yangguang.registry.models import StatusReason
from yangguang.survey.importing import SURVEYS
from yangguang.survey.models import AnnualSurvey
from yangguang.survey.tests.conftest import COUNTY_A, VILLAGE_B, row, write_csv
from yangguang.survey.vocabulary import HEADERS

FULL = dict(employment_status="已就业", employment_form="flexible", vocational_training="否",
            household_income="12000", pension_insurance="已参保（政府代缴）",
            medical_insurance="insured", rehabilitation_need="康复训练",
            rehabilitation_received="是", device_need="mobility", device_fitted="否",
            care_need="无需求", care_received="", accessibility_need="是",
            accessibility_done="否", support="低保", main_difficulty="经济困难",
            surveyor="王芳", survey_date="2024-05-06")


def test_the_kind_is_registered_with_the_issues_headers():
    assert spec.get("survey") is SURVEYS
    assert [c.header for c in SURVEYS.columns] == list(HEADERS)
    assert HEADERS[:3] == ("公民身份号码", "调查年度", "是否入户调查")
    assert [c.required for c in SURVEYS.columns][:4] == [True, True, True, False]


def test_codes_or_names_are_stored_as_codes_and_audited(tmp_path, make_person, actor):
    a, b = make_person(), make_person()
    rows = [row(a, **FULL),
            row(b, reached="否", not_reached_reason="unreachable", surveyor="王芳")]
    result = import_file(SURVEYS, write_csv(tmp_path / "s.csv", rows), actor=actor)

    assert (result.rows, result.created, result.rejected) == (2, 2, 0), result.errors
    survey = AnnualSurvey.objects.get(person=a)
    assert (survey.year, survey.reached, survey.employment_status, survey.employment_form,
            survey.pension_insurance, survey.household_income, survey.support,
            survey.survey_date, survey.care_received) == (
        2024, True, "employed", "flexible", "government_paid", 12000, "dibao",
        dt.date(2024, 5, 6), None)
    other = AnnualSurvey.objects.get(person=b)
    assert (other.reached, other.not_reached_reason) == (False, "unreachable")
    created = AuditEvent.objects.filter(object_type="survey", action=AuditAction.CREATE)
    assert sorted(created.values_list("person_id", flat=True)) == sorted([a.pk, b.pk])
    closing = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert closing.data["kind"] == "survey" and closing.data["segment"]["events"] == 2
    assert verify_chain() is None


def test_each_rejection_names_its_row_and_column(tmp_path, make_person, actor):
    a, b, c = make_person(), make_person(VILLAGE_B), make_person(issued=dt.date(2025, 2, 1))
    young = make_person(birth=dt.date(2015, 1, 1), issued=dt.date(2019, 1, 1))
    cancelled = make_person(issued=dt.date(2019, 1, 1))
    registry.cancel_certificate(registry.current_certificate(cancelled),
                                reason=StatusReason.MOVED_AWAY, day=dt.date(2023, 6, 1),
                                actor=actor)
    body = "11010119900307777"
    unknown = [body + ric.calc_check_digit(body), "2024", "是"] + [""] * (len(HEADERS) - 3)
    next_year = dt.date.today().year + 1
    rows = [
        unknown,                                             # 2: not registered
        row(b),                                              # 3: outside the scope
        row(c),                                              # 4: certified only in 2025
        row(a, year=next_year),                              # 5: year not begun
        row(a), row(a),                                      # 6 good, 7: same person and year
        row(a, year=2023, reached="否"),                     # 8: no reason
        row(a, year=2022, employment_form="集中就业"),         # 9: form without employment
        row(young, schooling=""),                            # 10: schooling missing at 9
        row(a, year=2021, schooling="preschool"),            # 11: schooling at 51
        row(a, year=2020, employment_status="富裕"),          # 12: unknown code
        row(cancelled),                                      # 13: cancelled in 2023
        row(a, year=2020, survey_date="2021-01-01"),         # 14: date outside the year
    ]
    report = tmp_path / "errors.xlsx"
    result = import_file(SURVEYS, write_csv(tmp_path / "s.csv", rows), actor=actor,
                         scope=(COUNTY_A,), report=report)

    assert (result.rows, result.created, result.rejected) == (13, 1, 12)
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (2, "公民身份号码", "person_unknown"),
        (3, "公民身份号码", "person_out_of_scope"),
        (4, "调查年度", "not_certified"),
        (5, "调查年度", "year_not_begun"),
        (7, "调查年度", "duplicate_in_file"),
        (8, "未调查原因", "reason_required"),
        (9, "就业形式", "form_without_employment"),
        (10, "受教育状况", "schooling_required"),
        (11, "受教育状况", "schooling_age"),
        (12, "就业状况", "code_unknown"),
        (13, "调查年度", "not_certified"),
        (14, "调查日期", "date_outside_year"),
    ]
    assert "第6行" in result.errors[4].message
    assert AnnualSurvey.objects.count() == 1
    sheet = openpyxl.load_workbook(report).worksheets[0]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14]


def test_reimporting_changes_nothing_and_a_changed_row_updates(tmp_path, make_person, actor):
    a, b = make_person(), make_person()
    path = write_csv(tmp_path / "s.csv", [row(a, **FULL), row(b, support="none")])
    import_file(SURVEYS, path, actor=actor)
    events = AuditEvent.objects.count()
    stamps = list(AnnualSurvey.objects.order_by("pk").values_list("updated_at", flat=True))

    again = import_file(SURVEYS, path, actor=actor)

    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 0)
    assert AuditEvent.objects.count() == events
    assert list(AnnualSurvey.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps

    changed = import_file(SURVEYS, write_csv(tmp_path / "t.csv", [row(b, support="tekun")]),
                          actor=actor)
    assert (changed.updated, changed.created) == (1, 0)
    event = AuditEvent.objects.filter(object_type="survey", action=AuditAction.UPDATE).get()
    assert event.data["changes"] == {"support": ["none", "tekun"]}


def test_a_dry_run_writes_nothing(tmp_path, make_person, actor):
    a = make_person()
    result = import_file(SURVEYS, write_csv(tmp_path / "s.csv", [row(a)]), actor=actor,
                         dry_run=True)
    assert result.created == 1
    assert not AnnualSurvey.objects.exists()
    assert not AuditEvent.objects.filter(object_type__in=["survey", "import"]).exists()


def test_gb18030_csv_and_blank_rows(tmp_path, make_person, actor):
    a, b = make_person(), make_person()
    blank = [""] * len(HEADERS)
    path = write_csv(tmp_path / "s.csv", [blank, row(a, support="特困供养", surveyor="李·明"),
                                          blank, ["  "] * len(HEADERS), row(b)],
                     encoding="gb18030")
    result = import_file(SURVEYS, path, actor=actor)

    assert (result.rows, result.created, result.rejected) == (2, 2, 0), result.errors
    assert AnnualSurvey.objects.get(person=a).support == "tekun"
    assert AnnualSurvey.objects.get(person=a).surveyor == "李·明"


def test_formulas(tmp_path, make_person, actor):
    """A formula's computed value is imported; a formula saved without its value, and a
    formula given as text in a CSV, are refused in their column."""
    a, b, c = make_person(), make_person(), make_person()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    sheet.append(row(a, year="=2000+24"))  # no cached value (written by a program)
    sheet.append(row(b, household_income="=1000*12"))
    path = tmp_path / "s.xlsx"
    book.save(path)
    result = import_file(SURVEYS, path, actor=actor)
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (2, "调查年度", "formula_without_value"), (3, "家庭人均收入（元）", "formula_without_value")]

    csv_result = import_file(SURVEYS, write_csv(tmp_path / "f.csv", [
        row(c, main_difficulty="=HYPERLINK(\"http://x\")")]), actor=actor)
    assert [(e.row, e.column, e.code) for e in csv_result.errors] == [
        (2, "主要困难", "code_unknown")]
    assert not AnnualSurvey.objects.exists()


def test_the_template_has_a_dropdown_for_every_coded_column(tmp_path):
    out = tmp_path / "t.xlsx"
    call_command("template", "survey", str(out), stdout=StringIO())
    book = openpyxl.load_workbook(out)
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == list(HEADERS)
    dropdowns = {str(rule.sqref).split(":")[0][:-1]: rule.formula1
                 for rule in sheet.data_validations.dataValidation}
    coded = [c.header for c in SURVEYS.columns if c.choices]
    assert len(dropdowns) == len(coded) == 18
    assert "按比例就业" in dropdowns["F"] and "是" in dropdowns["C"]
    assert sheet.column_dimensions["A"].number_format == "@"


def test_the_command_line_prints_the_json_result(tmp_path, make_person):
    a = make_person()
    out = StringIO()
    call_command("import", "survey", str(write_csv(tmp_path / "s.csv", [row(a)])), "--json",
                 stdout=out)
    assert json.loads(out.getvalue())["created"] == 1


@pytest.mark.parametrize("year", ["2024", 2024, 2024.0, "2024年"])
def test_the_year_in_any_spreadsheet_form(tmp_path, make_person, actor, year):
    a = make_person()
    result = import_file(SURVEYS, write_csv(tmp_path / "s.csv", [row(a, year=year)]), actor=actor)
    assert result.created == 1, result.errors


def test_income_not_a_finite_amount_or_too_large_is_refused(tmp_path, make_person, actor):
    """'inf' (and '1e400') read as a float that round() cannot make an integer, and a
    numeric XLSX cell took a shorter path without the upper bound: each is refused in its
    column, nothing written."""
    a, b, c, d = make_person(), make_person(), make_person(), make_person()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    sheet.append(row(a, household_income="inf"))
    sheet.append(row(b, household_income="1e400"))
    sheet.append(row(c, household_income="nan"))
    sheet.append(row(d))
    sheet.cell(row=5, column=list(HEADERS).index("家庭人均收入（元）") + 1, value=5e9)
    path = tmp_path / "s.xlsx"
    book.save(path)
    result = import_file(SURVEYS, path, actor=actor)
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (n, "家庭人均收入（元）", "income_invalid") for n in (2, 3, 4, 5)]
    assert all(e.message for e in result.errors)
    assert not AnnualSurvey.objects.exists()
