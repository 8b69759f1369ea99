"""A run's discrepancies as XLSX, within the user's regions (one audit event).

Three sheets: what the registry and the department disagree on for matched persons
(the confirmed match's effect: death dates, hukou, no household, refusals, benefits
waiting), the list's rows unknown to the registry, and — for status rolls — the
registry's persons with that status whom the department did not list. No ID number
is written, only the masked form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core import xlsx
from yangguang.matching import effects, selectors
from yangguang.matching.models import MatchRun


def _facts(facts: dict[str, Any]) -> str:
    return "；".join(f"{k}={v}" for k, v in sorted(facts.items()))


def export_discrepancies(user: Any, run: MatchRun, path: str | Path, *, file_name: str = "") -> int:
    """Write the run's discrepancies in ``user``'s regions to ``path``; the row count."""
    book = Workbook(write_only=True)
    differ = book.create_sheet(_("登记与部门不一致"))
    differ.append([_("行号"), _("名单姓名"), _("残疾人"), _("公民身份号码"), _("户籍地区划代码"),
                   _("差异"), _("名单内容")])
    count = 0
    for c in selectors.discrepancies(user, run):
        differ.append(xlsx.row(differ, [c.list_row.row, c.list_row.name, c.person.name,
                                        c.person.id_number_masked, c.region_code,
                                        str(effects.EFFECTS.get(c.effect, c.effect)),
                                        _facts(c.list_row.facts)]))
        count += 1
    unknown = book.create_sheet(_("部门名单中有、登记中没有"))
    unknown.append([_("行号"), _("名单姓名"), _("出生日期"), _("户籍地区划代码"), _("名单内容")])
    for c in selectors.unknown_to_registry(user, run):
        r = c.list_row
        unknown.append(xlsx.row(unknown, [r.row, r.name, r.birth_date, r.region_code, _facts(r.facts)]))
        count += 1
    missing = book.create_sheet(_("登记中有、部门名单中没有"))
    missing.append([_("残疾人"), _("公民身份号码"), _("户籍地区划代码")])
    for p in selectors.unknown_to_department(user, run).order_by("id"):
        missing.append(xlsx.row(missing, [p.name, p.id_number_masked, p.hukou_region_id]))
        count += 1
    book.save(path)
    record(Actor.of(user), AuditAction.EXPORT, "match_run", run.pk,
           data={"rows": count, "file": file_name or Path(path).name, "list": run.department_list_id})
    return count
