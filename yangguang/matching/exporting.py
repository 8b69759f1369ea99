"""Discrepancy reports as XLSX, within the user's regions (one audit event each).

The first sheet counts each category per county; then one sheet per category (the
findings of ``reports``). No ID number is written, only the masked form.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core import xlsx
from yangguang.matching import reports
from yangguang.matching.models import MatchRun


def write_findings(found: list[reports.Finding], path: str | Path | IO[bytes]) -> int:
    """Write ``found`` to ``path`` (a file name or a binary stream): a summary sheet, then
    a sheet per category. Returns the row count."""
    book = Workbook(write_only=True)
    summary = book.create_sheet(_("按地区汇总"))
    summary.append([_("区划代码"), _("地区"), *[str(label) for label in reports.CATEGORIES.values()],
                    _("合计")])
    for line in reports.by_region(found):
        summary.append(xlsx.row(summary, [line.code, line.name, *line.counts, line.total]))
    for category, label in reports.CATEGORIES.items():
        sheet = book.create_sheet(str(label)[:31])
        sheet.append([_("户籍地区划代码"), _("行号"), _("名单姓名"), _("残疾人"), _("公民身份号码"),
                      _("说明")])
        for f in found:
            if f.category != category:
                continue
            person = f.person
            sheet.append(xlsx.row(sheet, [f.region, f.row, f.list_name, person.name if person else "",
                                          person.id_number_masked if person else "", f.detail]))
    book.save(path)
    return len(found)


def export_discrepancies(user: Any, run: MatchRun, path: str | Path | IO[bytes], *,
                         file_name: str = "") -> int:
    """Write the run's findings in ``user``'s regions to ``path``; the row count."""
    count = write_findings(reports.run_findings(user, run), path)
    record(Actor.of(user), AuditAction.EXPORT, "match_run", run.pk,
           data={"rows": count, "file": file_name or Path(str(path)).name, "list": run.department_list_id})
    return count


def export_region_report(user: Any, path: str | Path | IO[bytes], *, file_name: str = "") -> int:
    """Write the region report (latest run of each kind, deceased persons still paid)."""
    found = reports.region_findings(user)
    count = write_findings(found, path)
    record(Actor.of(user), AuditAction.EXPORT, "match_report", "",
           data={"rows": count, "file": file_name or Path(str(path)).name,
                 "runs": [run.pk for run in reports.latest_runs(user)]})
    return count
