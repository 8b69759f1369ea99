"""The household-statuses import: a second kind on the shared import's plain row path
(parsers, check across rows, scope, write through the services, dry run, re-import,
audit, the error report, the template and the command line), with no code of its own
for any of them."""

from __future__ import annotations

import csv
import datetime as dt
import json
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.imports import spec
from yangguang.imports.running import import_file
from yangguang.registry.household_statuses import HOUSEHOLD_STATUSES, STATUS_NAMES
from yangguang.registry.models import EconomicStatus, Household, HouseholdStatus

KIND = HOUSEHOLD_STATUSES
HEADERS = ["家庭编号", "经济状况", "开始日期", "结束日期"]


@pytest.fixture
def households(db) -> list[Household]:
    return [Household.objects.create(number="H-1", region_id="140922100001"),
            Household.objects.create(number="H-2", region_id="610103001002")]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([HEADERS, *rows])
    return path


GOOD = [["H-1", "低保", "2021-03-05", ""], ["H-2", "tekun", "2020/1/2", "2022-12-31"]]


def test_the_statuses_are_the_models(db):
    assert set(STATUS_NAMES) == set(EconomicStatus.values)
    assert spec.get("household-statuses") is KIND


def test_rows_are_written_through_the_service_and_audited(tmp_path, households):
    result = import_file(KIND, write_csv(tmp_path / "a.csv", GOOD), actor="test")

    assert (result.rows, result.created, result.rejected) == (2, 2, 0)
    stored = HouseholdStatus.objects.get(household__number="H-2")
    assert (stored.status, stored.start_date, stored.end_date) == (
        "tekun", dt.date(2020, 1, 2), dt.date(2022, 12, 31))
    # One event per period (the service's) and the import's own.
    assert AuditEvent.objects.filter(object_type="household_status").count() == 2
    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert event.data["kind"] == "household-statuses" and event.data["created"] == 2


def test_importing_the_file_again_changes_nothing(tmp_path, households):
    path = write_csv(tmp_path / "a.csv", GOOD)
    import_file(KIND, path, actor="test")
    events = AuditEvent.objects.count()

    again = import_file(KIND, path, actor="test")

    assert (again.created, again.unchanged) == (0, 2)
    assert HouseholdStatus.objects.count() == 2
    assert AuditEvent.objects.count() == events  # nothing written, nothing audited


def test_a_dry_run_checks_against_the_database_and_rolls_back(tmp_path, households):
    rows = [*GOOD, ["H-9", "低保", "2021-01-01", ""]]
    result = import_file(KIND, write_csv(tmp_path / "a.csv", rows), actor="test",
                         dry_run=True)

    assert (result.created, result.rejected) == (2, 1)
    assert result.errors[0].code == "household_unknown"
    assert not HouseholdStatus.objects.exists()
    assert not AuditEvent.objects.exists()


def test_bad_rows_are_rejected_with_row_and_column_and_reported_for_reimport(
        tmp_path, households):
    rows = [["H-1", "富裕", "2021-03-05", ""],  # 2: unknown status
            ["H-1", "低保", "2021-03-05", "2020-01-01"],  # 3: ends before it starts
            ["", "低保", "", ""],  # 4: two required cells blank
            ["H-1", "低保", "2021-03-05", ""],  # 5: good
            ["H-1", "低保", "2021-03-05", ""],  # 6: the same as row 5
            ["", "", "", ""],  # 7: blank: skipped
            ["H-2", "=HYPERLINK(\"http://x\")", "2021-01-01", ""]]  # 8: a formula as text
    report = tmp_path / "errors.xlsx"
    result = import_file(KIND, write_csv(tmp_path / "a.csv", rows), actor="test",
                         report=report)

    assert (result.rows, result.created, result.rejected) == (6, 1, 5)
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (2, "经济状况", "status_unknown"), (3, "结束日期", "end_before_start"),
        (4, "家庭编号", "required"), (4, "开始日期", "required"),
        (6, "经济状况", "period_duplicate_in_file"), (8, "经济状况", "status_unknown")]
    sheet = openpyxl.load_workbook(report).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("行号", *HEADERS, "错误说明")
    assert [v[0] for v in values[1:]] == [2, 3, 4, 6, 8]
    assert sheet.cell(6, 3).data_type == "s"  # the formula came back as text
    # Corrected in the report, the report imports as it is.
    book = openpyxl.load_workbook(report)
    book.worksheets[0].cell(2, 3).value = "低保边缘"
    book.save(report)
    again = import_file(KIND, report, actor="test")
    # Row 2 corrected; the duplicate is now stored; the others are still wrong.
    assert (again.created, again.unchanged, again.rejected) == (1, 1, 3)


def test_households_outside_the_scope_are_refused(tmp_path, households):
    result = import_file(KIND, write_csv(tmp_path / "a.csv", GOOD), actor="test",
                         scope=("140922",))

    assert (result.created, result.rejected) == (1, 1)
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (3, "家庭编号", "region_out_of_scope")]
    assert "H-2" in result.errors[0].message
    assert not HouseholdStatus.objects.filter(household__number="H-2").exists()


def test_progress_is_reported_to_the_end(tmp_path, households):
    seen: list[tuple[int, int | None]] = []
    import_file(KIND, write_csv(tmp_path / "a.csv", GOOD), actor="test",
                progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (2, 2)


def test_the_template_is_the_kinds_columns_with_dropdowns_and_instructions(tmp_path):
    out = tmp_path / "t.xlsx"
    call_command("template", "household-statuses", str(out), stdout=StringIO())

    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["家庭经济状况", "填写说明"]
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.column_dimensions["A"].number_format == "@"
    assert sheet.column_dimensions["C"].number_format == "yyyy-mm-dd"
    [rule] = sheet.data_validations.dataValidation
    assert str(rule.sqref).startswith("B2") and "防止返贫监测户" in rule.formula1
    instructions = [row[0] for row in book["填写说明"].iter_rows(values_only=True)]
    assert "家庭经济状况导入模板 填写说明" in instructions
    assert set(HEADERS) <= set(instructions)
    assert not any("yangguang" in str(text) for text in instructions)


def test_the_command_line_imports_the_kind(tmp_path, households):
    out = StringIO()
    call_command("import", "household-statuses", str(write_csv(tmp_path / "a.csv", GOOD)),
                 "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 2
