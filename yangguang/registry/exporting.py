"""Person spreadsheets in the import template's format: the blank template and exports.

``write_template`` writes the file a federation fills in; ``export_persons`` writes a
region's persons in the same layout, so an export can be edited and imported again
(an unedited export re-imports with every row ``unchanged``). Both stream rows with
openpyxl's write-only mode, so a province-sized export does not sit in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core import xlsx
from yangguang.core.crypto import decrypt_id
from yangguang.regions.models import Region
from yangguang.regions.selectors import resolve_region, subtree
from yangguang.registry import validation
from yangguang.registry.importing import COLUMNS
from yangguang.registry.models import Certificate, CertificateStatus, Person
from yangguang.registry.services import CertificateData
from yangguang.registry.vocabulary import CATEGORY_NAMES, LEVEL_NAMES, RELATION_NAMES, SEX_NAMES

# Sheet names, like the headers and the words in the cells (``vocabulary``), are part of
# the file format, so they are Chinese whatever the user's language.
DATA_SHEET = "残疾人信息"
INSTRUCTIONS_SHEET = "填写说明"

# Columns kept as text, so that a spreadsheet does not turn an ID into 6.3E+17 or drop
# the leading zeros of a code.
TEXT_COLUMNS = frozenset({"id_number", "certificate_number", "hukou_region",
                          "residence_region", "phone", "household_number"})
DATE_COLUMNS = frozenset({"issue_date", "birth_date"})
DATE_FORMAT = "yyyy-mm-dd"
_WIDTHS = {"name": 12, "id_number": 22, "certificate_number": 26, "category": 12,
           "level": 10, "hukou_region": 16, "issue_date": 12, "sex": 6, "birth_date": 12,
           "ethnicity": 10, "residence_region": 16, "phone": 15, "household_number": 16,
           "relation_to_head": 14, "components": 26}
# How many rows of the data sheet the dropdowns cover (Excel's last row).
_LAST_ROW = 1048576


def _category_names() -> dict[int, str]:
    return {code: word + "残疾" for code, word in CATEGORY_NAMES.items()}  # 视力残疾 …


def _dropdowns() -> dict[str, list[str]]:
    return {
        "category": list(_category_names().values()),
        "level": list(LEVEL_NAMES.values()),
        "sex": list(SEX_NAMES.values()),
        "relation_to_head": list(RELATION_NAMES.values()),
    }


def _accepted_values() -> dict[str, str]:
    """What the instructions sheet lists as accepted values, per column key."""
    categories = "；".join(f"{code} {name}" for code, name in _category_names().items())
    levels = "；".join(f"{code} {name}" for code, name in LEVEL_NAMES.items())
    dates = _("日期：2021-03-05、2021/3/5、20210305、2021年3月5日，或表格软件的日期")
    regions = _("6位县级代码（如630102）或12位统计用区划代码（如630102001001），须为现行代码")
    return {
        "name": _("最长50个字符"),
        "id_number": _("18位（末位X大小写均可）；15位旧号码自动升级为18位；全角数字可识别"),
        "certificate_number": _("18位身份号码+类别代码+等级代码，"
                                "如63010219900101123542（肢体二级）；补发证加B1、B2"),
        "category": categories + "（" + _("填代码或名称均可") + "）",
        "level": levels + "（" + _("一级最重；也可填1–4") + "）",
        "hukou_region": regions,
        "issue_date": dates,
        "sex": "、".join(SEX_NAMES.values()),
        "birth_date": dates,
        "ethnicity": "、".join(f"{code} {name}" for code, name in validation.ethnicities().items()),
        "residence_region": regions,
        "phone": _("如13912345678或0971-1234567"),
        "household_number": _("字母、数字和短横线，最长32位"),
        "relation_to_head": "、".join(RELATION_NAMES.values()),
        "components": _("如“视力二级；肢体三级”或“1-2,4-3”；总等级为各类别中最重的等级"),
    }


def _general_notes() -> list[str]:
    return [
        _("第1行是列名，请勿修改或删除；从第2行起每行填写一人。"),
        _("加粗的列（列名批注中注明“必填”）必须填写，其余列可以留空。"),
        _("公民身份号码、残疾人证号、区划代码、联系电话、家庭编号列已设为文本格式，"
          "请直接输入或粘贴为“值”，不要改成数字格式。"),
        _("同一文件可以重复导入：已登记且内容未变的人员不会重复登记。"),
        _("命令行导入：yangguang import persons 文件.xlsx --dry-run（先检查，不写入）。"),
    ]


def _new_workbook() -> tuple[Workbook, Any]:
    """A write-only workbook whose data sheet has the formats, dropdowns and header row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(DATA_SHEET)
    keys = [c.key for c in COLUMNS]
    for index, column in enumerate(COLUMNS, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = _WIDTHS.get(column.key, 14)
        if column.key in TEXT_COLUMNS:
            dimension.number_format = "@"
        elif column.key in DATE_COLUMNS:
            dimension.number_format = DATE_FORMAT
    for key, values in _dropdowns().items():
        if key not in keys:
            continue
        letter = get_column_letter(keys.index(key) + 1)
        rule = DataValidation(
            type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
            showErrorMessage=True, errorStyle="warning",
            errorTitle=_("请从列表中选择"),
            error=_("该值不在列表中，导入时可能无法识别。"),
        )
        rule.add(f"{letter}2:{letter}{_LAST_ROW}")
        sheet.data_validations.append(rule)
    sheet.freeze_panes = "C2"
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, column.header)
        cell.font = Font(bold=column.required, color="C00000" if column.required else None)
        cell.fill = PatternFill("solid", fgColor="FFF2CC" if column.required else "EDEDED")
        cell.alignment = Alignment(horizontal="center", vertical="center")
        note = (_("必填") if column.required else _("选填")) + "：" + str(column.help)
        cell.comment = Comment(note, "Yangguang", width=260, height=90)
        header.append(cell)
    sheet.append(header)
    return workbook, sheet


def _write_instructions(workbook: Workbook) -> None:
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

    sheet.append(row(_("残疾人信息导入模板 填写说明"), font=Font(bold=True, size=14)))
    for note in _general_notes():
        sheet.append(row(note))
    sheet.append([])
    sheet.append(row(_("列名"), _("是否必填"), _("填写要求"), _("可填写的值"), font=bold))
    accepted = _accepted_values()
    for column in COLUMNS:
        sheet.append(row(column.header, _("必填") if column.required else _("选填"),
                         str(column.help), accepted.get(column.key, "")))


def write_template(path: str | Path) -> None:
    """Write the blank import template: the data sheet and the 填写说明 sheet."""
    workbook, _sheet = _new_workbook()
    _write_instructions(workbook)
    workbook.save(path)


# ---------------------------------------------------------------------------
# Export

_FIELDS = (
    "person__id_number_encrypted", "person__name", "person__sex", "person__birth_date",
    "person__ethnicity", "person__hukou_region_id", "person__residence_region_id",
    "person__phone", "person__household__number", "person__relation_to_head",
    "category", "level", "reissue_count", "components", "issue_date",
)


def _export_rows(region: Region, persons: QuerySet[Person] | None = None
                 ) -> Iterator[dict[str, Any]]:
    """The region's living persons with an open certificate, by column key."""
    categories = _category_names()
    ethnicities = validation.ethnicities()
    certificates = (
        Certificate.objects
        .filter(person__hukou_region__in=subtree(region), person__deceased_date__isnull=True)
        .exclude(status=CertificateStatus.CANCELLED)
    )
    if persons is not None:
        certificates = certificates.filter(person__in=persons.order_by().values("pk"))
    certificates = certificates.order_by("person_id").values_list(*_FIELDS)
    for (encrypted, name, sex, birth_date, ethnicity, hukou, residence, phone, household,
         relation, category, level, reissue_count, components, issue_date
         ) in certificates.iterator(chunk_size=2000):
        id_number = decrypt_id(encrypted)
        yield {
            "name": name,
            "id_number": id_number,
            "certificate_number": id_number + CertificateData(
                category, level, issue_date, reissue_count).suffix(),
            "category": categories[category],
            "level": LEVEL_NAMES[level],
            "hukou_region": hukou,
            "issue_date": issue_date,
            "sex": SEX_NAMES[sex],
            "birth_date": birth_date,
            "ethnicity": ethnicities.get(ethnicity, ethnicity),
            "residence_region": residence,
            "phone": phone,
            "household_number": household,
            "relation_to_head": RELATION_NAMES.get(relation, relation),
            "components": validation.format_components(components) if components else "",
        }


def export_persons(region_code: str, path: str | Path, *, actor: Actor | Any,
                   persons: QuerySet[Person] | None = None,
                   criteria: dict[str, Any] | None = None) -> int:
    """Write the persons whose hukou is in the region's subtree to an XLSX file.

    Exported are living persons with an open (not cancelled) certificate, one row each,
    in the template's columns; ID and certificate numbers are decrypted for the file,
    so the export is recorded as one audit event. ``persons`` narrows the export
    (a search the user ran, already limited to their scope); ``criteria`` describes
    it for the audit event. Returns the number of rows.
    Raises ``UnknownRegion`` for a code that is not a 6- or 12-digit region code.
    """
    region = resolve_region(region_code)
    workbook, sheet = _new_workbook()
    # One styled cell per text or date column, reused row after row: each row is
    # serialised as soon as it is appended.
    styled: dict[str, WriteOnlyCell] = {}
    for column in COLUMNS:
        if column.key in TEXT_COLUMNS or column.key in DATE_COLUMNS:
            cell = WriteOnlyCell(sheet)
            cell.number_format = "@" if column.key in TEXT_COLUMNS else DATE_FORMAT
            styled[column.key] = cell
    count = 0
    with transaction.atomic():
        for values in _export_rows(region, persons):
            row: list[Any] = []
            for column in COLUMNS:
                value = values[column.key]
                if value in ("", None):
                    row.append(None)
                elif column.key in styled:
                    row.append(xlsx.set_value(styled[column.key], value))
                else:
                    row.append(xlsx.safe(sheet, value))
            sheet.append(row)
            count += 1
        _write_instructions(workbook)
        workbook.save(path)
        data = {"rows": count, "region": region.code, "file": Path(path).name}
        if criteria:
            data["criteria"] = criteria
        record(actor, AuditAction.EXPORT, "person", region_code=region.code, data=data)
    return count
