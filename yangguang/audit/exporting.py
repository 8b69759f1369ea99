"""The audit log as an XLSX file, for auditors. Each export is itself an audit event."""

from __future__ import annotations

from typing import Any, BinaryIO

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from yangguang.accounts.selectors import home_region_code
from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.audit.selectors import EventFilters, filter_events, visible_events
from yangguang.audit.services import record
from yangguang.core import xlsx


class TooManyRows(Exception):
    def __init__(self, count: int):
        self.count = count
        super().__init__(count)


def _columns() -> list[str]:
    return [_("编号"), _("时间"), _("操作人"), _("操作"), _("对象类型"), _("对象编号"),
            _("人员编号"), _("区划代码"), _("内容")]


def _values(event: AuditEvent) -> list[Any]:
    return [
        event.id, timezone.localtime(event.occurred_at).replace(tzinfo=None), event.actor_name,
        event.get_action_display(), event.object_type, event.object_id, event.person_id,
        event.region_code, event.data_text,
    ]


def export_events(user: Any, filters: EventFilters, out: BinaryIO) -> int:
    """Write the events ``user`` may read that match ``filters`` to ``out`` (oldest first)
    and record the export with its row count. Raises ``TooManyRows`` beyond
    ``settings.YANGGUANG_AUDIT_EXPORT_MAX_ROWS``, writing and recording nothing."""
    limit = settings.YANGGUANG_AUDIT_EXPORT_MAX_ROWS
    events = filter_events(visible_events(user), filters).order_by("id")
    count = events[:limit + 1].count()
    if count > limit:
        raise TooManyRows(count)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("审计日志"))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in _columns():
        cell = WriteOnlyCell(sheet, title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    # One time cell reused row after row: each row is serialised as it is appended.
    occurred = WriteOnlyCell(sheet)
    occurred.number_format = "yyyy-mm-dd hh:mm:ss"
    for event in events.iterator(chunk_size=2000):
        row = xlsx.row(sheet, _values(event))  # user text (names, data) stays text
        occurred.value = row[1]
        row[1] = occurred
        sheet.append(row)
    book.save(out)
    record(user, AuditAction.EXPORT, "audit_event", region_code=home_region_code(user),
           data={"rows": count, "filters": filters.as_dict()})
    return count
