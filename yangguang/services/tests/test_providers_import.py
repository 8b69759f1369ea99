"""The ``providers`` import (the service-resources database) on the shared framework:
each rejection names its row and column, nothing partial is written, a re-import
changes nothing, and the write is ``actions.save_provider`` (audited)."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import openpyxl
from django.core.management import call_command

from yangguang.audit.models import AuditEvent
from yangguang.imports import spec
from yangguang.imports.running import import_file
from yangguang.services.importing import PROVIDERS
from yangguang.services.models import Provider, ProviderStatus

HEADERS = ["机构名称", "机构类型", "所在地区划代码", "服务类型", "服务能力（人）", "认定日期",
           "认定有效期至", "状态", "联系电话", "服务的邻近县"]
GOOD = [
    ["五台县残疾人康复中心", "康复机构", "140922", "基本康复服务、辅助器具适配", "40", "2021-03-01",
     "", "运营中", "0350-6521234"],
    ["台城镇残疾人之家", "如康家园/残疾人之家", "140922100000", "日间照料、走访探视", "15", "", "", "",
     ""],
]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([HEADERS, *rows])
    return path


def test_providers_written_through_actions_audited_and_reimported_unchanged(tmp_path, db):
    assert spec.get("providers") is PROVIDERS
    path = write_csv(tmp_path / "p.csv", GOOD)
    result = import_file(PROVIDERS, path, actor="test")
    assert (result.rows, result.created, result.rejected) == (2, 2, 0)
    centre = Provider.objects.get(name="五台县残疾人康复中心")
    assert centre.region_id == "140922000000" and centre.capacity == 40
    assert centre.kinds == ["basic_rehabilitation", "device_fitting"]
    assert Provider.objects.get(name="台城镇残疾人之家").status == ProviderStatus.ACTIVE
    assert AuditEvent.objects.filter(object_type="provider", action="create").count() == 2

    again = import_file(PROVIDERS, path, actor="test")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    changed = [GOOD[0][:4] + ["60"] + GOOD[0][5:]]
    result = import_file(PROVIDERS, write_csv(tmp_path / "c.csv", changed), actor="test")
    assert result.updated == 1
    event = AuditEvent.objects.filter(object_type="provider", action="update").get()
    assert event.data["changes"] == {"capacity": [40, 60]}


def test_each_rejection_names_row_and_column_and_writes_nothing(tmp_path, db):
    bad = [
        ["康复中心甲", "养老院", "140922", "基本康复服务", "10", "", "", "", ""],
        ["康复中心乙", "康复机构", "999999", "基本康复服务", "10", "", "", "", ""],
        ["康复中心丙", "康复机构", "140922", "按摩", "10", "", "", "", ""],
        ["康复中心丁", "康复机构", "140922", "基本康复服务", "-3", "", "", "", ""],
        ["康复中心戊", "康复机构", "140922", "基本康复服务", "10", "2022-01-01", "2021-01-01", "",
         ""],
        ["", "康复机构", "140922", "基本康复服务", "10", "", "", "", ""],
        ["康复中心己", "康复机构", "140000", "基本康复服务", "10", "", "", "", ""],
        GOOD[0],
        GOOD[0],
    ]
    result = import_file(PROVIDERS, write_csv(tmp_path / "bad.csv", bad), actor="test",
                         dry_run=False)
    found = {(e.row, e.column, e.code) for e in result.errors}
    assert found == {
        (2, "机构类型", "provider_kind_unknown"),
        (3, "所在地区划代码", "region_unknown"),
        (4, "服务类型", "service_kind_unknown"),
        (5, "服务能力（人）", "capacity_invalid"),
        (6, "认定有效期至", "date_before"),
        (7, "机构名称", "required"),
        (8, "所在地区划代码", "region_level"),
        (10, "机构名称", "provider_duplicate_in_file"),
    }
    assert all(e.message for e in result.errors)
    assert result.created == 1  # the first copy of the good row
    assert list(Provider.objects.values_list("name", flat=True)) == ["五台县残疾人康复中心"]


def test_rows_outside_the_scope_are_rejected(tmp_path, db):
    result = import_file(PROVIDERS, write_csv(tmp_path / "s.csv", GOOD), actor="test",
                         scope=("610103",))
    assert {(e.row, e.code) for e in result.errors} == {(2, "region_out_of_scope"),
                                                        (3, "region_out_of_scope")}
    assert not Provider.objects.exists()


def test_template_and_command_line(tmp_path, db):
    template = tmp_path / "t.xlsx"
    call_command("template", "providers", str(template))
    sheet = openpyxl.load_workbook(template)["服务机构"]
    assert [c.value for c in sheet[1]] == HEADERS
    out = StringIO()
    call_command("import", "providers", str(write_csv(tmp_path / "p.csv", GOOD)), "--json",
                 stdout=out)
    assert json.loads(out.getvalue())["created"] == 2


def test_capacity_not_a_finite_count_or_too_large_is_refused(tmp_path, db):
    """'inf', 'nan' and '1e400' parse as floats: each is refused on its row, as is a
    capacity past the bound every path shares (actions.MAX_CAPACITY), not a crash or a
    database overflow."""
    rows = [[f"康复中心{i}", *GOOD[0][1:4], value, *GOOD[0][5:]]
            for i, value in enumerate(["inf", "nan", "1e400", "3000000000"])]
    result = import_file(PROVIDERS, write_csv(tmp_path / "cap.csv", rows), actor="test")
    found = {(e.row, e.column, e.code) for e in result.errors}
    assert found == {(2, "服务能力（人）", "capacity_invalid"),
                     (3, "服务能力（人）", "capacity_invalid"),
                     (4, "服务能力（人）", "capacity_invalid"),
                     (5, "服务能力（人）", "capacity_too_large")}
    assert all(e.message for e in result.errors)
    assert not Provider.objects.exists()


def test_the_service_area_column(tmp_path, db):
    rows = [GOOD[0][:9] + ["140921、140923000000"],
            ["定襄县康复中心", "康复机构", "140921", "基本康复服务", "10", "", "", "", "", "140922100000"],
            ["代县康复中心", "康复机构", "140923", "基本康复服务", "10", "", "", "", "", "149999"]]
    path = write_csv(tmp_path / "a.csv", rows)
    result = import_file(PROVIDERS, path, actor="test")
    assert {(e.row, e.column, e.code) for e in result.errors} == {
        (3, "服务的邻近县", "county_level"), (4, "服务的邻近县", "region_unknown")}
    centre = Provider.objects.get(name="五台县残疾人康复中心")
    assert centre.service_county_codes == ["140921000000", "140923000000"]
    again = import_file(PROVIDERS, write_csv(tmp_path / "b.csv", rows[:1]), actor="test")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
