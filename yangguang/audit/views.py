"""The audit log pages, for auditors only: browse with filters, export to XLSX."""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.audit import selectors
from yangguang.audit.exporting import TooManyRows, export_events
from yangguang.audit.forms import EventFilterForm

_FILTER_FIELDS = ("username", "person_id", "action", "date_from", "date_to")


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _render(request: HttpRequest, form: EventFilterForm, status: int = 200) -> HttpResponse:
    page = None
    if form.is_valid():
        page = selectors.event_page(request.user, form.filters(),
                                    before=_cursor(request.GET.get("before")),
                                    after=_cursor(request.GET.get("after")))
    query = form.data.copy()
    for key in list(query):
        if key not in _FILTER_FIELDS or not query[key]:
            del query[key]
    return render(request, "audit/event_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "hidden": [(k, v) for k, v in query.items()],
    }, status=status)


@require_capability(Capability.VIEW_AUDIT)
@require_safe
def event_list(request: HttpRequest) -> HttpResponse:
    return _render(request, EventFilterForm(request.GET))


@require_capability(Capability.VIEW_AUDIT)
@require_POST
def event_export(request: HttpRequest) -> HttpResponse:
    form = EventFilterForm(request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the FileResponse closes it)
    try:
        export_events(request.user, form.filters(), out)
    except TooManyRows as e:
        out.close()
        form.add_error(None, _("符合条件的记录有{count}条，超过一次最多导出的{limit}条，请缩小日期范围后再导出。")
                       .format(count=e.count, limit=settings.YANGGUANG_AUDIT_EXPORT_MAX_ROWS))
        return _render(request, form, status=400)
    out.seek(0)
    name = _("审计日志") + timezone.localtime().strftime("-%Y%m%d-%H%M%S.xlsx")
    return FileResponse(out, as_attachment=True, filename=name,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
