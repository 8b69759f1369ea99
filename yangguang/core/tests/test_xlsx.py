"""User text written into XLSX stays text as typed: no formula or error cells, no crash on
characters XML cannot hold."""

from __future__ import annotations

import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook

from yangguang.core import xlsx

HOSTILE = [
    '=HYPERLINK("http://evil.example","点我")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "#N/A",
    "#DIV/0!",
    "张三",
]


def _write(path: Path, values: list) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")
    sheet.append(xlsx.row(sheet, values))
    reused = xlsx.set_value(xlsx.cell(sheet, None), None)
    for value in values:
        sheet.append([xlsx.set_value(reused, value)])
    book.save(path)


def _formula_elements(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(archive.read(name).count(b"<f>") + archive.read(name).count(b"<f ")
                   for name in archive.namelist() if name.startswith("xl/worksheets/"))


def test_text_that_looks_like_a_formula_is_stored_as_text_as_typed(tmp_path):
    path = tmp_path / "out.xlsx"
    _write(path, HOSTILE)

    assert _formula_elements(path) == 0
    sheet = load_workbook(path)["x"]
    rows = list(sheet.iter_rows())
    first = rows[0]
    column = [r[0] for r in rows[1:]]
    # XML reads a carriage return back as a line feed; everything else is as typed.
    typed = [value.replace("\r", "\n") for value in HOSTILE]
    for cells in (first, column):
        assert [c.value for c in cells] == typed
        assert {c.data_type for c in cells} == {"s"}
        # Kept text when the cell is edited in a spreadsheet, too.
        assert [c.quotePrefix for c in cells] == [v.startswith(xlsx.FORMULA_TRIGGERS) for v in HOSTILE]


def test_characters_xml_cannot_hold_are_written_as_visible_escapes(tmp_path):
    path = tmp_path / "out.xlsx"
    _write(path, ["ctl\x0bchar", "a\x00b\x1fc", "tab\tline\nok", "\ud800x", "\uffff", None, 7])

    values = [c.value for c in next(load_workbook(path)["x"].iter_rows())]
    assert values == ["ctl\\x0bchar", "a\\x00b\\x1fc", "tab\tline\nok", "\\ud800x", "\\uffff", None, 7]


def test_a_text_longer_than_a_cell_is_cut_visibly():
    text = xlsx.clean_text("字" * 40000)
    assert len(text) == xlsx.MAX_CELL_TEXT and text.endswith("…")
