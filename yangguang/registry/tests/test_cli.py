"""The registry's commands: check-id, template, import, export."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from stdnum.cn import ric

from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.registry.importing import COLUMNS
from yangguang.registry.models import Person


def make_id(body17: str) -> str:
    """An ID number with a correct check digit."""
    return body17 + ric.calc_check_digit(body17 + "0")


def check_id(*ids: str) -> tuple[int, list[dict]]:
    out = StringIO()
    try:
        call_command("check-id", *ids, stdout=out)
        status = 0
    except SystemExit as e:
        status = e.code
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


# ---------------------------------------------------------------------------
# check-id


def test_check_id_describes_a_valid_number():
    number = make_id("63010219900101123")  # 17th digit 3: male

    status, [result] = check_id(number)

    assert status == 0
    assert result == {
        "input": number, "valid": True, "normalized": number, "birth_date": "1990-01-01",
        "sex": "男", "sex_code": 1,
        "birthplace": {"code": "630102", "name": "青海省西宁市城东区"},
        "upgraded_from_15": False,
    }


def test_check_id_reports_a_wrong_check_digit_with_the_expected_one():
    number = make_id("63010219900101123")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")

    status, [result] = check_id(wrong)

    assert status == 1
    assert result["valid"] is False
    assert result["code"] == "id_checksum"
    assert number[17] in result["message"]
    assert "校验码" in result["message"]


def test_check_id_rejects_a_birth_date_in_the_future():
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    number = make_id(f"630102{tomorrow:%Y%m%d}124")

    status, [result] = check_id(number)

    assert status == 1
    assert result["code"] == "id_birth_future"


def test_check_id_rejects_a_birthplace_that_never_existed():
    status, [result] = check_id(make_id("10000019900101123"))

    assert status == 1
    assert result["code"] == "id_birthplace"


def test_check_id_rejects_a_birthplace_abolished_before_the_birth():
    # 139001 (武安市, 河北) was retired in 1989: fine for someone born in 1980, not in 1995.
    born_1980, born_1995 = make_id("13900119800101123"), make_id("13900119950101123")

    status, results = check_id(born_1980, born_1995)

    assert status == 1
    assert [r["valid"] for r in results] == [True, False]
    assert results[1]["code"] == "id_birthplace"


def test_check_id_upgrades_a_15_digit_number():
    status, [result] = check_id("630102900101124")  # 15-digit: no century, no check digit

    assert status == 0
    assert result["normalized"] == make_id("63010219900101124")
    assert result["birth_date"] == "1990-01-01"
    assert (result["sex"], result["sex_code"]) == ("女", 2)
    assert result["upgraded_from_15"] is True


def test_check_id_reads_full_width_digits_and_a_lower_case_x():
    number = make_id("63010219800505123")
    assert number.endswith("X")
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))

    status, results = check_id(full_width, number.lower(), "630102 19800505 123x")

    assert status == 0
    assert [r["normalized"] for r in results] == [number] * 3
    assert results[0]["input"] == full_width


def test_check_id_runs_as_the_yangguang_command_with_one_json_line_per_id():
    valid, invalid = make_id("63010219900101123"), "12345"

    run = subprocess.run([sys.executable, "-m", "yangguang", "check-id", valid, invalid],
                         capture_output=True, text=True, check=False)

    assert run.returncode == 1
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["valid"] for line in lines] == [True, False]
    assert lines[1]["code"] == "id_format"


# ---------------------------------------------------------------------------
# template


def test_template_has_the_headers_formats_dropdowns_and_instructions(tmp_path):
    out = tmp_path / "template.xlsx"

    call_command("template", "persons", str(out), stdout=StringIO())

    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames[1] == "填写说明"
    sheet = workbook.worksheets[0]
    header = list(sheet[1])
    assert [c.value for c in header] == [c.header for c in COLUMNS]
    by_header = {c.value: c for c in header}
    for column in COLUMNS:
        cell = by_header[column.header]
        assert bool(cell.font.b) == column.required
        assert cell.comment is not None and str(column.help) in cell.comment.text
    letters = {c.value: c.column_letter for c in header}
    for text_column in ("公民身份号码", "残疾人证号", "户籍地区划代码", "居住地区划代码"):
        assert sheet.column_dimensions[letters[text_column]].number_format == "@"
    dropdowns = {str(rule.sqref).split(":")[0]: rule.formula1
                 for rule in sheet.data_validations.dataValidation}
    assert "肢体残疾" in dropdowns[letters["残疾类别"] + "2"]
    assert "一级" in dropdowns[letters["残疾等级"] + "2"]
    assert dropdowns[letters["性别"] + "2"] == '"男,女"'
    assert "户主" in dropdowns[letters["与户主关系"] + "2"]
    instructions = [row[0] for row in workbook["填写说明"].iter_rows(values_only=True)]
    for column in COLUMNS:
        assert column.header in instructions


# ---------------------------------------------------------------------------
# import and export


PEOPLE = [
    # name, ID body, category, level, certificate suffix, hukou, issue date, other columns
    ("张三", "63010219800505123", "肢体", "二级", "42", "630102", "2020-03-05",
     {"民族": "汉族", "联系电话": "13912345678", "家庭编号": "H-1", "与户主关系": "户主"}),
    ("李四", "63010219920202002", "7", "1", "71", "630102001001", "2019/1/2",
     {"民族": "回族", "家庭编号": "H-1", "与户主关系": "配偶",
      "多重残疾明细": "视力一级；肢体三级", "居住地区划代码": "630103"}),
    ("王五", "63010219750101567", "5", "3", "53B1", "630102", "20100101", {}),
    ("赵六", "63012119600707888", "1", "4", "14", "630121", "2022-01-01",
     {"家庭编号": "H-2", "与户主关系": "外祖母", "联系电话": "0971-1234567"}),
    # Outside Xining (6301): not in the exports below.
    ("钱七", "62290119850303111", "2", "2", "22", "622901", "2021-06-01", {}),
]
HEADERS = ["姓名", "公民身份号码", "残疾人证号", "残疾类别", "残疾等级", "户籍地区划代码",
           "发证日期", "民族", "联系电话", "家庭编号", "与户主关系", "多重残疾明细",
           "居住地区划代码"]


def write_people_csv(path: Path, extra_rows: list[list[str]] = ()) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        for name, body, category, level, suffix, hukou, issued, other in PEOPLE:
            number = make_id(body)
            writer.writerow([name, number, number + suffix, category, level, hukou, issued,
                             *(other.get(h, "") for h in HEADERS[7:])])
        writer.writerows(extra_rows)
    return path


def run_import(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import", "persons", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as e:
        status = e.code
    return status, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_import_json_reports_counts_and_rejected_rows_with_exit_status_0(tmp_path):
    bad = ["坏行", "123", "x", "9", "1", "630102", "2020-01-01", "", "", "", "", "", ""]
    source = write_people_csv(tmp_path / "people.csv", [bad])

    status, out, _err = run_import(str(source), "--json")

    assert status == 0
    result = json.loads(out)
    assert list(result) == ["rows", "created", "updated", "unchanged", "rejected", "errors"]
    assert (result["rows"], result["created"], result["rejected"]) == (6, 5, 1)
    assert {e["code"] for e in result["errors"]} >= {"id_format", "category_invalid"}
    assert all(e["row"] == 7 for e in result["errors"])
    assert set(result["errors"][0]) == {"row", "column", "code", "message"}
    assert Person.objects.count() == 5


@pytest.mark.django_db
def test_import_dry_run_writes_nothing_and_summarises_in_chinese(tmp_path):
    source = write_people_csv(tmp_path / "people.csv")

    status, out, _err = run_import(str(source), "--dry-run")

    assert status == 0
    assert "共5行" in out and "试运行" in out
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_import_report_lists_the_rejected_rows_and_progress_can_be_forced(tmp_path, capsys):
    bad = ["坏行", make_id("63010219900101123"), "x", "4", "2", "630102", "2020-01-01",
           "", "", "", "", "", ""]
    source = write_people_csv(tmp_path / "people.csv", [bad])
    report = tmp_path / "report.xlsx"

    status, out, _err = run_import(str(source), "--report", str(report), "--progress")

    assert status == 0
    assert "拒绝1" in out and str(report) in out
    err = capsys.readouterr().err  # the bar, on stderr although it is no terminal
    assert "100%" in err and "写入数据库" in err  # every row read: writing, committing
    rows = list(openpyxl.load_workbook(report).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == 7 and "坏行" in rows[1]
    assert "残疾人证号" in rows[1][-1]


@pytest.mark.django_db
def test_import_of_an_unreadable_file_exits_2_with_the_reason_on_stderr(tmp_path):
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 this is not a workbook")

    status, out, err = run_import(str(damaged))

    assert status == 2
    assert out == ""
    assert "damaged.xlsx" in err


@pytest.mark.django_db
def test_export_then_import_leaves_every_row_unchanged(tmp_path):
    run_import(str(write_people_csv(tmp_path / "people.csv")))
    exported = tmp_path / "xining.xlsx"

    call_command("export", "persons", "--region", "630100", str(exported), stdout=StringIO())

    sheet = openpyxl.load_workbook(exported).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 4
    header = [c.value for c in sheet[1]]
    assert header == [c.header for c in COLUMNS]
    first = dict(zip(header, rows[0], strict=True))
    assert first["公民身份号码"].value == make_id("63010219800505123")
    assert first["公民身份号码"].number_format == "@"
    assert isinstance(first["发证日期"].value, dt.datetime)
    assert first["发证日期"].is_date
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT).get()
    assert event.data["rows"] == 4
    assert event.actor_name.startswith("cli:")

    status, out, _err = run_import(str(exported), "--json")

    assert status == 0
    result = json.loads(out)
    assert result == {"rows": 4, "created": 0, "updated": 0, "unchanged": 4, "rejected": 0,
                      "errors": []}


@pytest.mark.django_db
def test_export_leaves_out_deceased_persons(tmp_path, actor):
    from yangguang.registry.services import record_death

    run_import(str(write_people_csv(tmp_path / "people.csv")))
    record_death(Person.objects.get(name="王五"), dt.date(2024, 1, 1), actor=actor)
    exported = tmp_path / "out.xlsx"

    call_command("export", "persons", "--region", "630102", str(exported), stdout=StringIO())

    names = [row[0] for row in openpyxl.load_workbook(exported).worksheets[0]
             .iter_rows(min_row=2, values_only=True)]
    assert names == ["张三", "李四"]


@pytest.mark.django_db
def test_export_of_an_unknown_region_exits_2(tmp_path):
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("export", "persons", "--region", "999999", str(tmp_path / "x.xlsx"),
                     stdout=StringIO(), stderr=err)
    assert exit_.value.code == 2
    assert "999999" in err.getvalue()


@pytest.mark.parametrize("command", ["import", "export", "template", "check-id", "demo"])
def test_every_command_prints_its_help(command):
    result = subprocess.run([sys.executable, "-m", "yangguang", command, "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage: yangguang " + command in result.stdout
