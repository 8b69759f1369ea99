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
from yangguang.audit.describe import EventView, describe
from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.audit.selectors import EventFilters, filter_events, visible_events
from yangguang.audit.services import record
from yangguang.core import xlsx


class TooManyRows(Exception):
    def __init__(self, count: int):
        self.count = count
        super().__init__(count)


#: Events read, described and written a block at a time: the names of a block's persons,
#: users and regions are looked up in one query each.
BLOCK = 2000


def _columns() -> list[str]:
    return [_("编号"), _("时间"), _("操作人"), _("操作"), _("对象"), _("人员"), _("地区"),
            _("内容")]


def _values(view: EventView) -> list[Any]:
    event = view.event
    return [event.id, timezone.localtime(event.occurred_at).replace(tzinfo=None),
            event.actor_name, view.action, view.object, view.person, view.region, view.summary]


def export_events(user: Any, filters: EventFilters, out: BinaryIO, *, file_name: str = "") -> int:
    """Write the events ``user`` may read that match ``filters`` to ``out`` (oldest first),
    as the log's page shows them (names, Chinese labels, what changed, numbers masked),
    and record the export with its row count and ``file_name``, the name the auditor
    receives. Raises ``TooManyRows`` beyond ``settings.YANGGUANG_AUDIT_EXPORT_MAX_ROWS``,
    writing and recording nothing."""
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
    block: list[AuditEvent] = []
    for event in events.iterator(chunk_size=BLOCK):
        block.append(event)
        if len(block) == BLOCK:
            _write(sheet, block, occurred)
            block = []
    _write(sheet, block, occurred)
    book.save(out)
    data: dict[str, Any] = {"rows": count, "filters": filters.described()}
    if file_name:
        data["file"] = file_name
    record(user, AuditAction.EXPORT, "audit_event", region_code=home_region_code(user), data=data)
    return count


def _write(sheet: Any, events: list[AuditEvent], occurred: WriteOnlyCell) -> None:
    for view in describe(events):
        row = xlsx.row(sheet, _values(view))  # user text (names, data) stays text
        occurred.value = row[1]
        row[1] = occurred
        sheet.append(row)
