"""Bulk import: file formats, every row-level rule, conflicts with the database,
idempotence, atomicity and encryption at rest. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from pathlib import Path

import pytest
from django.db import connection
from openpyxl import Workbook, load_workbook

from yangguang.audit.models import AuditEvent
from yangguang.audit.services import verify_chain
from yangguang.demo.generator import HEADERS, person_row, write_rows
from yangguang.registry import importing, rules, services, validation, vocabulary
from yangguang.registry.models import (
    Certificate,
    CertificateStatus,
    CertificateStatusChange,
    Household,
    Person,
    StatusReason,
)

pytestmark = pytest.mark.django_db
RNG = random.Random(11)


@pytest.fixture(autouse=True, params=["blocks-of-two", "bulk-load"])
def checking(request, settings, monkeypatch) -> str:
    """Every test twice: with the rows checked in blocks of two (so that the checks
    across rows, and households, span blocks); and with the blocks of a large import
    (on PostgreSQL, into an empty registry, loaded with the indexes and foreign keys
    rebuilt at the end: ``bulk.indexes_deferred``)."""
    if request.param == "blocks-of-two":
        monkeypatch.setattr(importing, "BLOCK", 2)
        settings.YANGGUANG_IMPORT_BULK_LOAD_ROWS = 10**9
    else:
        settings.YANGGUANG_IMPORT_BULK_LOAD_ROWS = 0
    return request.param


def rows(n: int, **overrides) -> list[dict]:
    return [person_row(**overrides) for _ in range(n)]


def run(tmp_path: Path, data: list[dict], name: str = "in.csv", *, encoding: str | None = None,
        dry_run: bool = False, report: Path | None = None) -> importing.ImportResult:
    path = tmp_path / name
    write_rows(data, path, encoding=encoding)
    return importing.import_file(path, actor="test", dry_run=dry_run, report=report)


def errors_of(result: importing.ImportResult) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.code) for e in result.errors]


def counts() -> tuple[int, int, int, int]:
    return (Person.objects.count(), Certificate.objects.count(),
            CertificateStatusChange.objects.count(), AuditEvent.objects.count())


# -- formats


@pytest.mark.parametrize(("name", "encoding"), [
    ("in.xlsx", None), ("in.csv", "utf-8-sig"), ("in.csv", "utf-8"), ("in.csv", "gb18030"),
])
def test_imports_xlsx_and_csv_in_every_encoding(tmp_path, name, encoding):
    data = rows(5)
    data[0]["姓名"] = "阿依古丽·买买提"
    result = run(tmp_path, data, name, encoding=encoding)
    assert result.to_json() == {"rows": 5, "created": 5, "updated": 0, "unchanged": 0,
                                "rejected": 0, "errors": []}
    assert Person.objects.filter(name="阿依古丽·买买提").exists()
    assert Certificate.objects.count() == 5


def test_gb18030_file_is_read_as_chinese_excel_writes_it(tmp_path):
    data = rows(2)
    data[1]["姓名"] = "𠮷乃"  # a character outside GBK, only in GB18030
    result = run(tmp_path, data, encoding="gb18030")
    assert result.rejected == 0
    assert Person.objects.filter(name="𠮷乃").exists()


def test_stored_person_matches_the_row(tmp_path):
    row = person_row(民族="回族", 联系电话="13900001111", 家庭编号="H-7", 与户主关系="户主")
    run(tmp_path, [row])
    person = Person.objects.get()
    # The row may carry a legacy 15-digit ID, stored upgraded to 18 digits.
    number = validation.parse_id_number(row["公民身份号码"]).normalized
    assert person.name == row["姓名"]
    assert person.id_number_masked == number[:4] + "*" * 10 + number[-4:]
    assert person.ethnicity == "03"
    assert person.phone == "13900001111"
    assert person.household.number == "H-7" and person.relation_to_head == "head"
    assert str(person.birth_date.strftime("%Y%m%d")) == number[6:14]
    cert = person.certificates.get()
    assert cert.number() == row["残疾人证号"]
    assert cert.valid_until.year == cert.issue_date.year + 10
    assert [h.reason for h in cert.history.all()][0] == StatusReason.ISSUED


# -- idempotence, dry run, report


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    data = rows(30)
    first = run(tmp_path, data, "a.xlsx")
    assert first.created == 30
    before = counts()
    again = run(tmp_path, data, "a.xlsx")
    assert again.to_json()["unchanged"] == 30 and again.created == again.updated == 0
    assert counts() == before
    assert verify_chain() is None


def test_dry_run_writes_nothing_and_reports_what_would_happen(tmp_path):
    data = rows(4)
    data[3]["残疾类别"] = "九"
    result = run(tmp_path, data, dry_run=True)
    assert (result.created, result.rejected) == (3, 1)
    assert counts() == (0, 0, 0, 0)
    assert Household.objects.count() == 0


def test_report_lists_rejected_rows_with_an_error_column(tmp_path):
    data = rows(3)
    data[1]["残疾等级"] = "五级"
    report = tmp_path / "report.xlsx"
    result = run(tmp_path, data, report=report)
    assert result.rejected == 1
    sheet = load_workbook(report).active
    values = list(sheet.values)
    assert values[0][0] == "行号" and values[0][-1] == "错误说明"
    assert values[1][0] == 3
    assert "残疾等级" in values[1][-1] and "五级" in values[1][-1]
    assert len(values) == 2


def test_report_keeps_formulas_and_control_characters_of_rejected_rows_as_text(tmp_path):
    data = rows(3)
    data[0].update(姓名='=HYPERLINK("http://evil.example","点我")', 残疾等级="五级")
    data[1]["联系电话"] = "=cmd|' /C calc'!A0"
    data[2]["家庭编号"] = "户\x0b1"
    report = tmp_path / "report.xlsx"
    assert run(tmp_path, data, report=report).rejected == 3

    with zipfile.ZipFile(report) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert not any(b"<f>" in xml or b"<f " in xml for xml in sheets)  # no live formula
    cells = [c for row in load_workbook(report).active.iter_rows(min_row=2) for c in row]
    shown = {c.value for c in cells}
    assert {'=HYPERLINK("http://evil.example","点我")', "=cmd|' /C calc'!A0", "户\\x0b1"} <= shown
    assert all(c.data_type != "f" for c in cells)


# -- rows rejected inside the file


def test_duplicate_id_in_file_rejects_the_later_row(tmp_path):
    data = rows(3)
    duplicate = dict(data[0], 姓名="别名")
    result = run(tmp_path, [*data, duplicate])
    assert errors_of(result) == [(5, "公民身份号码", "id_duplicate_in_file")]
    assert "第2行" in result.errors[0].message
    assert Person.objects.count() == 3


def test_two_heads_in_one_household(tmp_path):
    a = person_row(家庭编号="F1", 与户主关系="户主")
    b = person_row(家庭编号="F1", 与户主关系="户主")
    c = person_row(家庭编号="F1", 与户主关系="配偶")
    result = run(tmp_path, [a, b, c])
    assert errors_of(result) == [(3, "与户主关系", "household_two_heads")]
    household = Household.objects.get(number="F1")
    assert household.members.count() == 2


def test_relation_without_household_and_issue_before_birth(tmp_path):
    a = person_row(家庭编号="", 与户主关系="子女")
    b = person_row(出生日期=dt.date(1990, 1, 1))
    b["发证日期"] = dt.date(1985, 1, 1)
    result = run(tmp_path, [a, b])
    assert errors_of(result) == [(2, "与户主关系", "relation_without_household"),
                                 (3, "发证日期", "date_before_birth")]


def test_every_problem_of_a_row_is_listed(tmp_path):
    bad = person_row()
    bad.update({"姓名": "", "残疾类别": "9", "户籍地区划代码": "999999", "发证日期": "明天",
                "联系电话": "123"})
    result = run(tmp_path, [bad])
    assert {(e.column, e.code) for e in result.errors} == {
        ("姓名", "required"), ("残疾类别", "category_invalid"),
        ("户籍地区划代码", "region_unknown"), ("发证日期", "date_invalid"),
        ("联系电话", "phone_invalid"),
    }
    assert all(e.row == 2 for e in result.errors)


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet(tmp_path):
    data = rows(2)
    blank = {h: "" for h in HEADERS}
    bad = person_row(残疾等级="七")
    result = run(tmp_path, [data[0], blank, blank, data[1], bad], "b.xlsx")
    assert result.rows == 3 and result.created == 2
    assert errors_of(result) == [(6, "残疾等级", "level_invalid")]


def test_wrong_types_in_cells(tmp_path):
    path = tmp_path / "types.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    good = person_row()
    as_number = dict(good, 公民身份号码=float(good["公民身份号码"][:17] + "0"))
    date_in_id = dict(person_row(), 公民身份号码=dt.datetime(2020, 1, 1))
    number_name = dict(person_row(), 姓名=12345)
    date_category = dict(person_row(), 残疾类别=dt.datetime(2020, 1, 4))
    for row in (as_number, date_in_id, number_name, date_category):
        sheet.append([row.get(h) for h in HEADERS])
    workbook.save(path)
    result = importing.import_file(path, actor="test")
    assert errors_of(result) == [
        (2, "公民身份号码", "id_as_number"),
        (3, "公民身份号码", "id_format"),
        (4, "姓名", "name_invalid"),
        (5, "残疾类别", "category_invalid"),
    ]
    assert Person.objects.count() == 0


def _xlsx_with_formulas(path: Path, rows_: list[dict], formula_column: str, cached: list[str | None]):
    """A workbook whose ``formula_column`` cells are formulas, with the cached values
    Excel would store (or none, as programs write them)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    column = HEADERS.index(formula_column)
    for row in rows_:
        values = [row.get(h) for h in HEADERS]
        text = str(values[column])
        values[column] = "=" + "&".join(f'"{ch}"' for ch in text)
        sheet.append(values)
    workbook.save(path)
    if not any(cached):
        return
    # Put the cached values in, as Excel does when it saves.
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    letter = chr(ord("A") + column)
    for index, value in enumerate(cached, start=2):
        cell = f'<c r="{letter}{index}"'
        start = xml.index(cell)
        end = xml.index("</c>", start)
        formula = xml[xml.index("<f>", start):xml.index("</f>", start) + 4]
        xml = xml[:start] + f'{cell} t="str">{formula}<v>{value}</v>' + xml[end:]
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)


def test_formulas_with_values_import_and_without_values_are_reported(tmp_path):
    data = rows(2)
    saved = tmp_path / "saved.xlsx"
    _xlsx_with_formulas(saved, data, "姓名", [r["姓名"] for r in data])
    result = importing.import_file(saved, actor="test")
    assert result.created == 2
    assert sorted(Person.objects.values_list("name", flat=True)) == sorted(r["姓名"] for r in data)

    unsaved = tmp_path / "unsaved.xlsx"
    _xlsx_with_formulas(unsaved, rows(1), "户籍地区划代码", [None])
    result = importing.import_file(unsaved, actor="test")
    assert errors_of(result) == [(2, "户籍地区划代码", "formula_without_value")]


# -- conflicts with the database


def test_row_older_than_the_stored_certificate_is_rejected(tmp_path):
    # Born well before both dates (a random person may be born after the older one).
    row = person_row(发证日期=dt.date(2022, 5, 1), 出生日期=dt.date(1980, 6, 1))
    run(tmp_path, [row])
    older = dict(row, 发证日期=dt.date(2019, 5, 1))
    result = run(tmp_path, [older])
    assert errors_of(result) == [(2, "发证日期", "cert_stale")]
    assert "2022-05-01" in result.errors[0].message


def test_cancelled_certificate_number_cannot_come_back(tmp_path, actor):
    row = person_row()
    run(tmp_path, [row])
    cert = Certificate.objects.get()
    services.cancel_certificate(cert, reason=StatusReason.MOVED_AWAY, day=dt.date.today(), actor=actor)
    result = run(tmp_path, [row])
    assert errors_of(result) == [(2, "残疾人证号", "cert_cancelled")]


def test_deceased_person_is_not_changed_by_an_import(tmp_path, actor):
    row = person_row()
    run(tmp_path, [row])
    person = Person.objects.get()
    services.record_death(person, dt.date.today(), actor=actor)
    result = run(tmp_path, [dict(row, 联系电话="13911112222")])
    assert errors_of(result) == [(2, "公民身份号码", "person_deceased")]
    person.refresh_from_db()
    assert person.phone != "13911112222"


def test_changed_details_update_the_person_and_are_audited(tmp_path):
    row = person_row(联系电话="13800000001")
    run(tmp_path, [row])
    result = run(tmp_path, [dict(row, 联系电话="13800000002", 家庭编号="NEW-1", 与户主关系="户主")])
    assert (result.updated, result.unchanged) == (1, 0)
    person = Person.objects.get()
    assert person.phone == "13800000002" and person.household.number == "NEW-1"
    event = AuditEvent.objects.filter(action="update", person_id=person.pk).get()
    assert event.data["changes"]["phone"] == ["13800000001", "13800000002"]


def test_renewal_reissue_and_reassessment(tmp_path):
    # Born well before the first issue date (a random person may be born after it), and
    # a first certificate (a random one may already be a reissue, B1 …).
    row = person_row(残疾类别="肢体", 残疾等级="三级", 出生日期=dt.date(1970, 5, 4),
                     发证日期=dt.date(2012, 3, 1), reissue_count=0)
    run(tmp_path, [row])
    first = Certificate.objects.get()
    assert first.status == CertificateStatus.EXPIRED

    renewed = dict(row, 发证日期=dt.date(2022, 3, 1))
    assert run(tmp_path, [renewed]).updated == 1
    first.refresh_from_db()
    assert (first.status, first.issue_date) == (CertificateStatus.VALID, dt.date(2022, 3, 1))
    assert first.history.last().reason == StatusReason.RENEWED

    # The certificate number carries the 18-digit ID (the row's may be a legacy 15-digit one).
    id18 = validation.parse_id_number(row["公民身份号码"]).normalized
    reissued = dict(renewed, 残疾人证号=id18 + "43B1", 发证日期=dt.date(2023, 3, 1))
    assert run(tmp_path, [reissued]).updated == 1
    first.refresh_from_db()
    assert first.status == CertificateStatus.CANCELLED
    assert first.history.last().reason == StatusReason.REISSUED
    second = Certificate.objects.get(status=CertificateStatus.VALID)
    assert second.number() == id18 + "43B1"

    reassessed = dict(renewed, 残疾等级="二级", 残疾人证号=id18 + "42",
                      发证日期=dt.date(2024, 3, 1))
    assert run(tmp_path, [reassessed]).updated == 1
    second.refresh_from_db()
    assert second.history.last().reason == StatusReason.REASSESSED
    assert Certificate.objects.get(status=CertificateStatus.VALID).level == 2
    assert run(tmp_path, [reassessed]).unchanged == 1
    assert verify_chain() is None


# -- files that cannot be read


@pytest.mark.parametrize(("content", "fragment"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "不是有效的 XLSX/XLS/CSV 文件"),
    (b"", "空"),
    ("姓名,公民身份号码\n张三,1\n".encode(), "缺少必填列"),
    (",,,\n张三,1,2,3\n".encode(), "表头"),
    ("姓名,姓名,公民身份号码,残疾人证号,残疾类别,残疾等级,户籍地区划代码,发证日期\n".encode(), "两次"),
    (b"PK\x03\x04 this is not really a zip", "不是有效的 XLSX/XLS/CSV 文件"),
])
def test_unreadable_files_raise_a_clear_message_and_write_nothing(tmp_path, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(importing.UnreadableFile) as info:
        importing.import_file(path, actor="test")
    assert fragment in str(info.value)
    assert counts() == (0, 0, 0, 0)


def test_headers_tolerate_required_marks_and_spaces(tmp_path):
    row = person_row()
    path = tmp_path / "marked.csv"
    headers = [f"*{h}" if h in ("姓名", "公民身份号码") else f" {h} " for h in HEADERS]
    path.write_text(",".join(headers) + "\n" + ",".join(
        str(row[h].isoformat() if isinstance(row[h], dt.date) else row[h]) for h in HEADERS) + "\n",
        encoding="utf-8")
    assert importing.import_file(path, actor="test").created == 1


# -- one transaction


def test_a_failure_midway_leaves_nothing_behind(tmp_path, monkeypatch):
    from django.db import IntegrityError

    from yangguang.regions.models import Region

    monkeypatch.setattr(importing, "BLOCK", 2)
    # A village present in the code list but removed from this database: the rows
    # that use it violate the foreign key when the transaction commits.
    village = Region.objects.filter(level=5, code__startswith="140922").order_by("code").last()
    Region.objects.filter(pk=village.pk).delete()
    data = rows(5) + [person_row(户籍地区划代码=village.code)]
    with pytest.raises(IntegrityError):
        run(tmp_path, data)
    assert counts() == (0, 0, 0, 0)
    assert Household.objects.count() == 0


# -- privacy


def test_no_plaintext_id_or_certificate_number_is_stored(tmp_path):
    data = rows(20)
    run(tmp_path, data)
    ids = [r["公民身份号码"] for r in data]
    tables = ["registry_person", "registry_certificate", "registry_certificatestatuschange",
              "registry_household", "audit_auditevent"]
    dumped = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            dumped.extend(repr(row) for row in cursor.fetchall())
    text = "\n".join(dumped)
    assert not [i for i in ids if i in text or i[:17] in text]
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"] not in ("", ":memory:") \
            and "mode=memory" not in str(connection.settings_dict["NAME"]):
        raw = Path(connection.settings_dict["NAME"]).read_bytes()
        assert not [i for i in ids if i.encode() in raw]


def test_a_50_megabyte_file(tmp_path, monkeypatch):
    """A large file is streamed through; extra columns the template doesn't know are ignored."""
    import csv

    monkeypatch.setattr(importing, "BLOCK", 5000)  # (blocks of two: hours)

    path = tmp_path / "big.csv"
    note = "备注" * 120
    target = 50 * 1024 * 1024
    rng = random.Random(5)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*HEADERS, "备注"])
        n = 0
        while f.tell() < target:
            row = person_row(rng)
            writer.writerow([*(row[h].isoformat() if isinstance(row[h], dt.date) else row[h]
                               for h in HEADERS), note])
            n += 1
    assert path.stat().st_size >= target
    result = importing.import_file(path, actor="test")
    assert result.rows == n and result.created + result.rejected == n
    # The generator may repeat an ID at this size; repeats are reported, not imported.
    assert {e.code for e in result.errors} <= {"id_duplicate_in_file"}
    assert Person.objects.count() == result.created


def test_blank_or_missing_optional_cells_leave_stored_values_alone(tmp_path):
    # Not a multiple disability: its components (an optional column) would be required.
    row = person_row(联系电话="13800000009", 民族="回族", 家庭编号="KEEP-1", 与户主关系="户主",
                     残疾类别="肢体", 残疾等级="二级")
    run(tmp_path, [row])
    Person.objects.update(guardian_name="马明", guardian_phone="13900000000")
    required = {h: row[h] for h in ("姓名", "公民身份号码", "残疾人证号", "残疾类别", "残疾等级",
                                     "户籍地区划代码", "发证日期")}
    path = tmp_path / "required-only.csv"
    import csv
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(required)
        writer.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in required.values()])
    assert importing.import_file(path, actor="test").unchanged == 1
    blanks = dict(row, 联系电话="", 民族="", 家庭编号="", 与户主关系="")
    assert run(tmp_path, [blanks]).unchanged == 1
    person = Person.objects.get()
    assert (person.phone, person.ethnicity, person.household.number, person.guardian_name) == (
        "13800000009", "03", "KEEP-1", "马明")
    moved = dict(row, 联系电话="13800000010")
    assert run(tmp_path, [moved]).updated == 1
    person.refresh_from_db()
    assert (person.phone, person.guardian_name, person.household.number) == ("13800000010", "马明", "KEEP-1")


# -- planner statistics


def _planned(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()[0]


def _statistics_target() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW default_statistics_target")
        return cursor.fetchone()[0]


def test_a_large_import_refreshes_the_planner_statistics_before_it_commits(tmp_path, monkeypatch):
    """On PostgreSQL an import that grows the registry by a tenth or more (and by at
    least STATS_MIN_ROWS) analyses what it wrote, so the next lookups and searches are
    planned for the tables as they now are; a smaller one leaves that to autovacuum."""
    from yangguang.registry.services import imports

    monkeypatch.setattr(imports, "STATS_MIN_ROWS", 5)
    # Whatever the statistics say now (another test's rolled-back import may have
    # left its count: ANALYZE updates it in place), 8 rows ≥ 5 are enough here.
    monkeypatch.setattr(imports, "STATS_SHARE", 0)
    target_before = _statistics_target()
    assert run(tmp_path, rows(8)).created == 8
    if connection.vendor != "postgresql":
        # SQLite plans without statistics: none are gathered.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 0
        assert imports.refresh_statistics(10**6, 0) is False
        return
    assert _planned(Person._meta.db_table) == 8
    assert _planned(Certificate._meta.db_table) == 8
    # (The audit events and the status history, which no import looks up, wait for
    # autovacuum; the sample's smaller target lasts only for that ANALYZE.)
    assert _statistics_target() == target_before != str(imports.STATS_TARGET)
    assert run(tmp_path, rows(4)).created == 4  # fewer than STATS_MIN_ROWS
    assert _planned(Person._meta.db_table) == 8
    monkeypatch.setattr(imports, "STATS_MIN_ROWS", 1)
    monkeypatch.setattr(imports, "STATS_SHARE", 0.5)
    assert run(tmp_path, rows(3)).created == 3  # under half the 8 planned
    assert _planned(Person._meta.db_table) == 8
    assert run(tmp_path, rows(4)).created == 4  # half of them
    assert _planned(Person._meta.db_table) == 8 + 4 + 3 + 4


# -- a first load, and someone registering meanwhile


def test_someone_registering_a_person_of_the_file_meanwhile_undoes_the_import(
        tmp_path, monkeypatch):
    """Into an empty registry the import looks nothing up; a person of the file that
    someone registers meanwhile meets the unique constraint, and the whole import is
    undone with a clear message (as the CLI and the import page show it)."""
    monkeypatch.setattr(importing, "BLOCK", 2)
    data = rows(5)
    path = tmp_path / "in.csv"
    write_rows(data, path)
    late = data[3]

    def register_meanwhile(done: int, total: int | None) -> None:
        if done == 2:  # after the first block: row 4 is yet to be written
            services.register_person(rules.parse_row(
                {vocabulary.HEADER_TO_KEY[k]: v for k, v in late.items()}), actor="other", scope=None)

    with pytest.raises(importing.ImportConflict, match="本次导入已全部撤销"):
        importing.import_file(path, actor="test", progress=register_meanwhile)
    assert Person.objects.count() == 0 and Certificate.objects.count() == 0
    # Into a registry that holds persons, rows are compared with them as before.
    services.register_person(rules.parse_row(
        {vocabulary.HEADER_TO_KEY[k]: v for k, v in late.items()}), actor="other", scope=None)
    result = importing.import_file(path, actor="test")
    assert (result.created, result.unchanged) == (4, 1)



# -- a first load: indexes and foreign keys rebuilt at the end


def _schema() -> set[tuple[str, str]]:
    """The registry tables' constraints and indexes, as the database defines them."""
    from yangguang.registry.services.imports import WRITTEN_TABLES

    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            marks = ", ".join(["%s"] * len(WRITTEN_TABLES))
            cursor.execute(f"SELECT name, sql FROM sqlite_master WHERE tbl_name IN ({marks})",
                           WRITTEN_TABLES)
            return set(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = ANY(%s::regclass[])"
            " UNION ALL SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)"
            " FROM pg_index WHERE indrelid = ANY(%s::regclass[])",
            [WRITTEN_TABLES, WRITTEN_TABLES])
        return set(cursor.fetchall())


def _read_elsewhere(connect) -> str:
    """What another connection (``connect_elsewhere``) gets when it reads the persons
    table now: a count, or "locked" for a read that would have to wait (on SQLite,
    whose test database lives in this connection's memory: "-")."""
    if connection.vendor != "postgresql":
        return "-"
    import psycopg

    with connect(autocommit=True) as other:
        other.execute("SET lock_timeout = '200ms'")
        try:
            return str(other.execute(f"SELECT count(*) FROM {Person._meta.db_table}")
                       .fetchone()[0])
        except psycopg.errors.LockNotAvailable:
            return "locked"


def test_a_first_load_rebuilds_the_indexes_and_constraints_it_dropped(tmp_path, checking,
                                                                     monkeypatch,
                                                                     connect_elsewhere):
    """On PostgreSQL a large import into an empty registry drops the tables' secondary
    indexes, unique and foreign-key constraints, keeps the tables locked from everyone
    else while they are missing, and re-creates every one of them as it was before it
    commits; on SQLite it drops only the persons' two name indexes (others still read
    the registry as it was: WAL) and re-creates them; a small import, or one into a
    registry that holds anyone, keeps them all the while."""
    from yangguang.registry.services.imports import SQLITE_DEFERRED_INDEXES

    monkeypatch.setattr(importing, "BLOCK", 2)
    before = _schema()
    names = {name for name, _definition in before}
    keys = {name for name, definition in before if connection.vendor == "postgresql"
            and (definition.startswith(("PRIMARY KEY", "CHECK"))
                 or " USING btree (id)" in definition)}
    seen: list[tuple[set[str], str]] = []

    def look(done: int, total: int | None) -> None:
        seen.append(({name for name, _definition in _schema()},
                     _read_elsewhere(connect_elsewhere)))

    path = tmp_path / "in.csv"
    write_rows(rows(5), path)
    assert importing.import_file(path, actor="test", progress=look).created == 5
    assert _schema() == before
    loaded = checking == "bulk-load"  # a first load
    locked = loaded and connection.vendor == "postgresql"
    if locked:
        assert keys < names
        assert seen and all(s == (keys, "locked") for s in seen)
    elif loaded:  # SQLite
        assert set(SQLITE_DEFERRED_INDEXES) < names
        assert seen and all(s[0] == names - set(SQLITE_DEFERRED_INDEXES) and s[1] != "locked"
                            for s in seen)
    else:  # nothing dropped, and others may read meanwhile
        assert seen and all(s[0] == names and s[1] != "locked" for s in seen)
    # The registry now holds persons: the next import keeps every index as it goes.
    seen.clear()
    write_rows(rows(5), path)
    assert importing.import_file(path, actor="test", progress=look).created == 5
    assert _schema() == before
    # (The first load's lock lasts as long as the transaction around it: this test's.)
    assert seen and all(s[0] == names and (locked or s[1] != "locked") for s in seen)


def test_a_first_load_is_only_for_large_imports_into_an_empty_registry(settings):
    from yangguang.registry.services.imports import first_load

    settings.YANGGUANG_IMPORT_BULK_LOAD_ROWS = 100
    assert first_load(None) is False  # size unknown
    assert first_load(99) is False
    assert first_load(100) is True
    services.register_person(rules.parse_row(
        {vocabulary.HEADER_TO_KEY[k]: v for k, v in rows(1)[0].items()}), actor="test", scope=None)
    assert first_load(10**6) is False


# -- into an empty registry, by columns


def _written(batch_id: str, exclude_hash: str = "") -> tuple[list, list, list, dict]:
    """What imports wrote, without keys and times: persons, certificates, status history,
    and the audit events of the import ``batch_id`` by row."""
    from yangguang.core.crypto import decrypt_id

    persons = sorted(
        (p.id_number_hash, decrypt_id(p.id_number_encrypted), p.id_number_masked, p.name,
         p.sex, p.birth_date, p.ethnicity, p.hukou_region_id, p.residence_region_id, p.phone,
         p.guardian_name, p.guardian_phone, p.guardian_relation,
         p.household.number if p.household else None,
         p.household.region_id if p.household else None, p.relation_to_head, p.deceased_date)
        for p in Person.objects.select_related("household").exclude(id_number_hash=exclude_hash))
    certificates = sorted(
        (c.person.id_number_hash, c.category, c.level, c.reissue_count, repr(c.components),
         c.issue_date, c.valid_until, c.status)
        for c in Certificate.objects.select_related("person")
        .exclude(person__id_number_hash=exclude_hash))
    history = sorted(
        (h.certificate.person.id_number_hash, h.certificate.category, h.status, h.reason,
         h.effective_date, h.note)
        for h in CertificateStatusChange.objects.select_related("certificate__person")
        .exclude(certificate__person__id_number_hash=exclude_hash))
    events = {}
    for e in AuditEvent.objects.filter(object_type="person", data__import=batch_id):
        data = dict(e.data)
        data.pop("import")
        events[data.pop("row")] = (e.region_code, e.object_id == str(e.person_id), data)
    return persons, certificates, history, events


def test_an_import_into_an_empty_registry_writes_what_one_into_a_registry_with_persons_does(
        tmp_path):
    """Into an empty registry the rows are written by columns (``BulkImport.create``);
    otherwise row by row after comparing (``BulkImport.apply``). Both write the same
    persons, households, certificates, history and audit events; the chain verifies."""
    from yangguang.core.crypto import hash_id

    rng = random.Random(21)
    data = [person_row(rng) for _ in range(30)]
    data += [person_row(rng, 家庭编号="FAM-1", 与户主关系="户主"),
             person_row(rng, 家庭编号="FAM-1", 与户主关系="子女"),
             person_row(rng, 家庭编号="FAM-2", 与户主关系="配偶", 残疾类别="多重",
                        残疾等级="二级", 多重残疾明细="听力二级；肢体四级", reissue_count=2),
             person_row(rng, 发证日期=dt.date(2010, 2, 28)),  # expired in 2020
             person_row(rng, legacy_id=True)]  # a 15-digit ID, checked by parse_row
    result = run(tmp_path, data)
    assert (result.created, result.rejected) == (len(data), 0)
    by_columns = _written(result.batch_id)
    assert verify_chain() is None

    Certificate.objects.all().delete()
    Person.objects.all().delete()
    Household.objects.all().delete()
    other = rules.parse_row({vocabulary.HEADER_TO_KEY[k]: v for k, v in rows(1)[0].items()})
    services.register_person(other, actor="test", scope=None)
    result = run(tmp_path, data)
    assert (result.created, result.rejected) == (len(data), 0)
    assert _written(result.batch_id, hash_id(other.id_number.normalized)) == by_columns
    assert len(by_columns[3]) == len(data)
    assert verify_chain() is None
