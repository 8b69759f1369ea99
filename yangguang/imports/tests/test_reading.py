"""Reading import files, hostile ones included: every file that cannot be read says
why, before any row is read, and a CSV file is read as a stream."""

from __future__ import annotations

import codecs
import resource
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from yangguang.imports.reading import NOT_A_SPREADSHEET, Limits, UnreadableFile, read_table
from yangguang.imports.spec import Column

COLUMNS = [Column("name", "姓名", True), Column("code", "代码", True, text=True),
           Column("note", "备注")]
LIMITS = Limits(file_bytes=10 << 20, unpacked_bytes=50 << 20, rows=1000, cell_chars=500)


def rows_of(path: Path, limits: Limits = LIMITS, size: int = 2) -> list[tuple[int, dict]]:
    table = read_table(path, COLUMNS, limits=limits)
    return [(n, {k: ("" if v is None else str(v)) for k, v in cells.items()})
            for n, cells in table.dicts(size)]


def unreadable(path: Path, limits: Limits = LIMITS) -> str:
    with pytest.raises(UnreadableFile) as caught:
        rows_of(path, limits)
    return str(caught.value)


def xlsx(path: Path, rows: list[list]) -> Path:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


ROWS = [{"name": "张三", "code": "001", "note": "x"}, {"name": "李四", "code": "002", "note": ""}]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le"])
def test_a_csv_file_is_read_in_each_encoding_excel_and_wps_write(tmp_path, encoding):
    path = tmp_path / "a.csv"
    path.write_bytes("姓名,代码,备注\r\n张三,001,x\r\n李四,002,\r\n".encode(encoding))
    assert rows_of(path) == [(2, ROWS[0]), (3, ROWS[1])]


def test_excel_unicode_text_is_tab_separated_utf16(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "姓名\t代码\t备注\r\n张三\t001\tx\r\n".encode("utf-16-le"))
    assert rows_of(path) == [(2, ROWS[0])]


def test_blank_lines_keep_the_row_numbers_and_quoted_cells_are_read(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('姓名,代码,备注\n张三,001,x\n\n"王,五",003,"两\n行"\n', encoding="utf-8")
    assert rows_of(path) == [(2, ROWS[0]), (3, {"name": "", "code": "", "note": ""}),
                             (4, {"name": "王,五", "code": "003", "note": "两\n行"})]


def test_an_xlsx_file_keeps_formulas_as_their_text_and_codes_as_text(tmp_path):
    path = xlsx(tmp_path / "a.xlsx", [["姓名", "代码", "备注"],
                                      ["张三", "001", "=HYPERLINK(\"http://x\")"]])
    assert rows_of(path)[0][1]["code"] == "001"


def test_a_damaged_or_foreign_file_says_it_is_no_spreadsheet(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    for name, data in [("a.xlsx", png), ("a.csv", png), ("a.xls", png),
                       ("b.xlsx", b"PK\x03\x04" + b"\x00" * 100),
                       ("c.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)]:
        path = tmp_path / name
        path.write_bytes(data)
        message = unreadable(path)
        assert message.startswith(NOT_A_SPREADSHEET), (name, message)
        assert "必填列" not in message


def test_a_zip_that_is_no_workbook_says_so(tmp_path):
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "没有 Excel 工作簿" in unreadable(path)


def test_a_renamed_csv_names_the_real_problem(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_text("姓名,代码\n张三,001\n", encoding="utf-8")
    message = unreadable(path)
    assert message.startswith(NOT_A_SPREADSHEET)
    assert "扩展名" in message and ".csv" in message


def test_a_file_in_another_encoding_says_which_encodings_are_read(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("姓名,代码\n".encode() + b"\xff\xfe\xfd\x80\x81\n")
    message = unreadable(path)
    assert "编码" in message and "UTF-16" in message


def test_missing_columns_name_them_without_pointing_to_a_command(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("名字,代码\n张三,001\n", encoding="utf-8")
    message = unreadable(path)
    assert "缺少必填列：姓名" in message
    assert "yangguang" not in message


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * (2 << 20))
    message = unreadable(path, Limits(1 << 20, 50 << 20, 1000, 500))
    assert "2.0 MB" in message and "1 MB" in message


def test_too_many_rows_are_refused_before_any_is_read(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("姓名,代码\n" + "张三,001\n" * 1001, encoding="utf-8")
    assert "1001行" in unreadable(path)
    workbook = xlsx(tmp_path / "a.xlsx", [["姓名", "代码"], *[["张三", "001"]] * 1001])
    assert "1001行" in unreadable(workbook)


def test_a_long_cell_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("姓名,代码\n" + "张" * 501 + ",001\n", encoding="utf-8")
    assert "超过500个字符" in unreadable(path)
    quoted = tmp_path / "b.csv"
    quoted.write_text('姓名,代码\n"' + "张" * 501 + '",001\n', encoding="utf-8")
    assert "超过500个字符" in unreadable(quoted)
    workbook = xlsx(tmp_path / "a.xlsx", [["姓名", "代码"], ["张" * 501, "001"]])
    assert "超过500个字符" in unreadable(workbook)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_small_xlsx_holding_a_200_mb_cell_is_refused_without_unpacking_it(tmp_path):
    """The attack: 199 KB on disk, one 200 MB shared string; it took a server to 2.3 GB."""
    path = xlsx(tmp_path / "a.xlsx", [["姓名", "代码"], ["张三", "001"]])
    bomb = tmp_path / "bomb.xlsx"
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(
            bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename != sheet:
                target.writestr(info, source.read(info.filename))
        xml = source.read(sheet)
        before, after = xml.split(b"\xe5\xbc\xa0\xe4\xb8\x89")  # 张三, an inline string
        with target.open(sheet, "w", force_zip64=True) as stream:
            stream.write(before)
            for _ in range(200):
                stream.write(b"a" * (1 << 20))
            stream.write(after)
    assert bomb.stat().st_size < 1 << 20
    before = _peak_rss_mb()
    message = unreadable(bomb, Limits.from_settings())
    assert "超过32767个字符" in message
    # Refused after reading a megabyte or two of it, not 200.
    assert _peak_rss_mb() - before < 100


def test_an_xlsx_unpacking_beyond_the_limit_is_refused(tmp_path):
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<row>" * (3 << 20))
    message = unreadable(path, Limits(10 << 20, 10 << 20, 1000, 500))
    assert "解压后" in message and "10 MB" in message


def test_a_csv_file_is_read_a_block_at_a_time_in_blocks_of_the_size_asked(tmp_path, monkeypatch):
    """The file is parsed a few bytes at a time here (as 4 MB at a time in use): the blocks
    still hold the rows asked for, numbered as the sheet's rows, and a quoted cell late in
    the file hands the rest to the csv module without losing or repeating a row."""
    from yangguang.imports import reading

    monkeypatch.setattr(reading, "_CHUNK", 40)
    lines = [f"名{i},{i:03},x" for i in range(2, 40)]
    lines[30] = '"名,32",032,x'
    path = tmp_path / "a.csv"
    path.write_text("姓名,代码,备注\n" + "\n".join(lines) + "\n", encoding="utf-8")
    table = read_table(path, COLUMNS, limits=LIMITS)

    chunks = list(table.chunks(7))

    assert [len(c) for c in chunks[:4]] == [7, 7, 7, 7]
    assert all(c.frame is not None for c in chunks[:4]) and chunks[-1].frame is None
    rows = [(n, cells["code"]) for n, cells in table.dicts(7)]
    assert rows == [(i, f"{i:03}") for i in range(2, 40)]
