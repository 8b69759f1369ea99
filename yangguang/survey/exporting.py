"""The exportable list of persons not yet surveyed in a year: a fill-in sheet.

It is the ``survey`` import's template (its columns, dropdowns and 填写说明) with each
person's ID number and the year filled in, and their name, hukou region and phone in
columns after the template's (the import ignores them): surveyors fill in the
answers and the sheet is imported as it is. The export decrypts ID numbers, so it is
one audit event (``export``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core.crypto import decrypt_id
from yangguang.imports import spec, workbook
from yangguang.regions.models import Region
from yangguang.survey import selectors
from yangguang.survey.importing import SURVEYS

_IGNORED = _("仅供核对，导入时忽略")


class _FillIn(spec.ImportKind):
    """The template's columns and then the person's, for the sheet's layout only."""

    name = "survey"
    label = SURVEYS.label
    sheet = SURVEYS.sheet
    notes = SURVEYS.notes
    columns = (*SURVEYS.columns,
               spec.Column("name", "姓名", help=_IGNORED, width=10),
               spec.Column("hukou_region", "户籍地区划代码", help=_IGNORED,
                           text=True, width=14),
               spec.Column("phone", "联系电话", help=_IGNORED, text=True, width=14))


FILL_IN = _FillIn()


def export_not_surveyed(user: Any, year: int, region: Region, path: str | Path, *,
                        file_name: str = "") -> int:
    """Write the persons under ``region`` (within ``user``'s export scope) certified in
    ``year`` and not yet surveyed; returns the number of rows."""
    book, sheet = workbook.new_workbook(FILL_IN)
    styled = workbook.data_cells(FILL_IN, sheet)
    blank = [None] * (len(SURVEYS.columns) - 2)
    count = 0
    with transaction.atomic():
        for encrypted, name, region_code, phone in selectors.not_surveyed_rows(user, year, region):
            sheet.append(workbook.data_row(sheet, styled, [
                decrypt_id(encrypted), str(year), *blank, name, region_code, phone]))
            count += 1
        workbook.write_instructions(book, FILL_IN)
        book.save(path)
        record(Actor.of(user), AuditAction.EXPORT, "survey", region_code=region.code,
               data={"rows": count, "year": year, "region": region.code,
                     "list": "not_surveyed", "file": file_name or Path(path).name})
    return count
