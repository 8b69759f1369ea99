"""Department list kinds: their schemas and templates, and keeping a list (department,
date, file hash, row count; the same file again is the same list; a bad file is
refused whole; no raw ID number is stored)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from django.core.management import call_command

from yangguang.core.crypto import hash_id
from yangguang.imports import spec
from yangguang.matching import kinds, services
from yangguang.matching.models import DepartmentList, IdState, ListRow
from yangguang.matching.tests.conftest import DEATHS, id_of, write_csv

EXPECTED_HEADERS = {
    "deaths": ["死亡日期"],
    "dibao": ["开始日期", "结束日期"],
    "near-dibao": ["开始日期", "结束日期"],
    "tekun": ["开始日期", "结束日期"],
    "monitored-households": ["开始日期", "结束日期"],
    "work-injury-care": ["开始日期", "结束日期", "月发放金额"],
    "orphan-support": ["开始日期", "结束日期", "月发放金额"],
    "pension-insurance": ["参保状态", "参保日期"],
    "medical-insurance": ["险种", "参保日期"],
    "school-enrolment": ["学校名称", "学段", "就读方式", "入学日期"],
    "hukou-moves": ["迁入地区划代码", "迁移日期"],
}
IDENTITY = ["姓名", "公民身份号码", "身份号码摘要", "性别", "出生日期", "户籍地区划代码"]


@pytest.mark.parametrize("name", sorted(EXPECTED_HEADERS))
def test_each_kind_has_a_template_with_its_chinese_headers(db, tmp_path, name):
    assert spec.get(name) is kinds.get(name)
    out = tmp_path / f"{name}.xlsx"
    call_command("template", name, str(out))
    sheet = openpyxl.load_workbook(out).worksheets[0]
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert headers == IDENTITY + EXPECTED_HEADERS[name]


def test_the_deaths_list_has_the_columns_the_issue_names():
    headers = [c.header for c in kinds.get("deaths").columns]
    assert set(DEATHS) <= set(headers)
    required = {c.header for c in kinds.get("deaths").columns if c.required}
    assert required == {"姓名", "死亡日期"}


def test_a_list_is_kept_with_department_date_hash_and_rows_and_no_raw_id(tmp_path, person, actor):
    a = person(姓名="王大明")
    legacy = person(姓名="李老汉", 出生日期="1950-03-04", legacy_id=True)
    file = write_csv(tmp_path / "d.csv", DEATHS, [
        ["王大明", id_of(a), "", "", "", "2025-01-02"],
        ["李老汉", id_of(legacy)[:6] + id_of(legacy)[8:17], "", "", "", "2025-02-03"],
        ["赵无号", "", "男", "1960-01-01", "140922", "2025-03-04"],
        ["钱错号", "140922196001011235", "女", "1960-01-01", "140922", "2025-03-04"],
    ])
    result, stored = services.import_list(kinds.get("deaths"), file, actor=actor,
                                          department="五台县民政局", list_date=dt.date(2025, 4, 1))
    assert result.created == 4 and result.rejected == 0
    assert (stored.department, stored.list_date, stored.row_count) == ("五台县民政局", dt.date(2025, 4, 1), 4)
    assert len(stored.sha256) == 64 and stored.file_name == "d.csv"
    rows = list(stored.rows.order_by("row"))
    assert [r.row for r in rows] == [2, 3, 4, 5]
    assert [r.id_state for r in rows] == [IdState.VALID, IdState.VALID, IdState.MISSING, IdState.INVALID]
    # The 15-digit number was upgraded before hashing: it is the registry's hash.
    assert rows[0].id_hash == a.id_number_hash and rows[1].id_hash == legacy.id_number_hash
    assert rows[1].sex == legacy.sex and rows[1].birth_date == dt.date(1950, 3, 4)
    assert rows[3].id_hash == "" and rows[0].facts == {"death_date": "2025-01-02"}
    stored_text = " ".join(str(v) for r in ListRow.objects.values() for v in r.values())
    assert id_of(a) not in stored_text and id_of(legacy) not in stored_text

    again, same = services.import_list(kinds.get("deaths"), file, actor=actor)
    assert same == stored and (again.created, again.unchanged) == (0, 4)
    assert DepartmentList.objects.count() == 1 and ListRow.objects.count() == 4


def test_a_file_with_a_bad_row_is_refused_whole_naming_row_and_column(tmp_path, actor, db):
    file = write_csv(tmp_path / "bad.csv", DEATHS, [
        ["王大明", "", "男", "1960-01-01", "140922", "2025-01-02"],
        ["李四", "", "男", "1960-01-01", "14x", "2025-13-40"],
    ])
    result, stored = services.import_list(kinds.get("deaths"), file, actor=actor)
    assert stored is None and result.created == 0 and result.rejected == 1
    assert {(e.row, e.column) for e in result.errors} == {(3, "户籍地区划代码"), (3, "死亡日期")}
    assert all(e.message for e in result.errors)
    assert not DepartmentList.objects.exists() and not ListRow.objects.exists()


def test_the_shared_import_command_keeps_a_list_too(tmp_path, db, person):
    a = person()
    file = write_csv(tmp_path / "d.csv", DEATHS, [[a.name, id_of(a), "", "", "", "2025-01-02"]])
    call_command("import", "deaths", str(file))
    stored = DepartmentList.objects.get()
    assert stored.kind == "deaths" and stored.department.startswith("民政部门")
    assert stored.rows.get().id_hash == hash_id(id_of(a))
