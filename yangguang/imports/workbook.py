"""The spreadsheets an import kind hands out: the template and the error report.

Both are made from the kind's columns, so every kind gets the same: a data sheet
whose header row carries a note per column (required ones in bold), dropdowns for
columns with fixed values, code columns formatted as text (so that a spreadsheet
does not turn an ID number into 6.3E+17 or drop a code's leading zeros), date
columns as dates, and a 填写说明 sheet explaining every column. The error report
lists the rejected rows as they were given, with their row number and what is
wrong, in a layout the import reads again: correct it and import it.

Text from a file or a user is always written as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from yangguang.core import xlsx
from yangguang.imports.running import ImportResult
from yangguang.imports.spec import ImportKind

# Sheet names are part of the file format: Chinese whatever the user's language.
INSTRUCTIONS_SHEET = "填写说明"
REPORT_SHEET = "错误报告"
DATE_FORMAT = "yyyy-mm-dd"
# How many rows of the data sheet the dropdowns cover (Excel's last row).
_LAST_ROW = 1048576


def new_workbook(kind: ImportKind) -> tuple[Workbook, Worksheet]:
    """A write-only workbook whose data sheet has the kind's formats, dropdowns and
    header row; rows are appended to the sheet, then ``write_instructions``."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind.sheet)
    for index, column in enumerate(kind.columns, start=1):
        letter = get_column_letter(index)
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        if column.text:
            dimension.number_format = "@"
        elif column.date:
            dimension.number_format = DATE_FORMAT
        if column.choices:
            rule = DataValidation(
                type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True,
                showErrorMessage=True, errorStyle="warning",
                errorTitle=_("请从列表中选择"),
                error=_("该值不在列表中，导入时可能无法识别。"),
            )
            rule.add(f"{letter}2:{letter}{_LAST_ROW}")
            sheet.data_validations.append(rule)
    sheet.freeze_panes = "C2" if len(kind.columns) > 2 else "A2"
    header = []
    for column in kind.columns:
        cell = WriteOnlyCell(sheet, column.header)
        cell.font = Font(bold=column.required, color="C00000" if column.required else None)
        cell.fill = PatternFill("solid", fgColor="FFF2CC" if column.required else "EDEDED")
        cell.alignment = Alignment(horizontal="center", vertical="center")
        note = (_("必填") if column.required else _("选填")) + "：" + str(column.help)
        cell.comment = Comment(note, "Yangguang", width=260, height=90)
        header.append(cell)
    sheet.append(header)
    return workbook, sheet


def data_cells(kind: ImportKind, sheet: Worksheet) -> list[WriteOnlyCell | None]:
    """Per column, a styled cell to reuse row after row for a text or date column
    (None for others): a write-only row is serialised as soon as it is appended."""
    cells: list[WriteOnlyCell | None] = []
    for column in kind.columns:
        if column.text or column.date:
            cell = WriteOnlyCell(sheet)
            cell.number_format = "@" if column.text else DATE_FORMAT
            cells.append(cell)
        else:
            cells.append(None)
    return cells


def data_row(sheet: Worksheet, styled: list[WriteOnlyCell | None], values: list[Any]
             ) -> list[Any]:
    """A data row of ``values`` (in column order) for ``sheet.append``: blank cells
    empty, text always as text (never a formula), text and date columns in their
    formats."""
    return [None if value is None or value == ""
            else xlsx.safe(sheet, value) if cell is None else xlsx.set_value(cell, value)
            for cell, value in zip(styled, values, strict=True)]


def _notes(kind: ImportKind) -> list[str]:
    texts = "、".join(c.header for c in kind.columns if c.text)
    notes = [
        _("第1行是列名，请勿修改或删除；从第2行起每行填写一条记录。"),
        _("加粗的列（列名批注中注明“必填”）必须填写，其余列可以留空。"),
    ]
    if texts:
        notes.append(_("{columns}列已设为文本格式，请直接输入或粘贴为“值”，不要改成数字格式。").format(
            columns=texts))
    notes += [
        _("可以先“试导入”（仅检查，不写入），确认没有问题后再正式导入。"),
        _("同一文件可以重复导入：已导入且内容没有变化的行不会重复写入。"),
        _("有问题的行会列在错误报告中；在错误报告中改正后，可以直接导入错误报告。"),
    ]
    return notes + [str(n) for n in kind.notes]


def write_instructions(workbook: Workbook, kind: ImportKind) -> None:
    """The 填写说明 sheet: general notes, then each column, whether it is required,
    its help and the values it accepts."""
    sheet = workbook.create_sheet(INSTRUCTIONS_SHEET)
    for letter, width in zip("ABCD", (16, 8, 50, 70), strict=True):
        sheet.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)

    def row(*values: Any, font: Font | None = None) -> list[WriteOnlyCell]:
        cells = []
        for value in values:
            cell = xlsx.cell(sheet, value)
            cell.alignment = wrap
            if font is not None:
                cell.font = font
            cells.append(cell)
        return cells

    sheet.append(row(_("{label}导入模板 填写说明").format(label=kind.label),
                     font=Font(bold=True, size=14)))
    for note in _notes(kind):
        sheet.append(row(note))
    sheet.append([])
    sheet.append(row(_("列名"), _("是否必填"), _("填写要求"), _("可填写的值"), font=bold))
    for column in kind.columns:
        accepted = str(column.accepted) or "、".join(column.choices)
        sheet.append(row(column.header, _("必填") if column.required else _("选填"),
                         str(column.help), accepted))


def write_template(kind: ImportKind, path: str | Path) -> None:
    """Write the kind's blank import template: the data sheet and 填写说明."""
    workbook, _sheet = new_workbook(kind)
    write_instructions(workbook, kind)
    workbook.save(path)


def write_report(kind: ImportKind, result: ImportResult, path: str | Path) -> None:
    """The rejected rows with their cells as given, their row number and what is wrong.

    The header row is the template's, between a 行号 column and an 错误说明 column
    that the import ignores, so the corrected report can be imported as it is."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(REPORT_SHEET)
    sheet.append([_("行号"), *[c.header for c in kind.columns], _("错误说明")])
    styled = [None, *data_cells(kind, sheet), None]
    messages: dict[int, list[str]] = {}
    for error in result.errors:
        messages.setdefault(error.row, []).append(f"{error.column}：{error.message}")
    for number in sorted(result.rejected_rows):
        cells = result.rejected_rows[number]
        sheet.append(data_row(sheet, styled, [number, *[_cell(cells.get(c.key)) for c in kind.columns],
                                       "；".join(messages.get(number, []))]))
    workbook.save(path)


def _cell(value: Any) -> Any:
    """A cell as given, in a type a workbook holds (anything else as its text)."""
    if value is None or isinstance(value, str | int | float | dt.date):
        return value
    return str(value)
