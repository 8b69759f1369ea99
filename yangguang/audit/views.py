"""The audit log pages, for auditors only: browse with filters, export to XLSX.

Filters are posted, then held under a short-lived token (``core.stash``) that the
page's address carries (``?f=…``): the person filter may hold an ID number, which must
stay out of addresses, browser history and server logs (and is held only as its keyed
hash and masked form even there). Links from elsewhere may still
name plain filters in the address (``?action=login_failed``).
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.audit import selectors
from yangguang.audit.describe import describe
from yangguang.audit.exporting import TooManyRows, export_events
from yangguang.audit.forms import EventFilterForm, initial_data
from yangguang.audit.selectors import EventFilters
from yangguang.core import stash


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _saved(request: HttpRequest, token: str) -> EventFilters | None:
    values = stash.get(request, token) if token else None
    return EventFilters.from_dict(values) if values is not None else None


def _save(request: HttpRequest, filters: EventFilters) -> str:
    return stash.put(request, {k: str(v) for k, v in filters.as_dict().items()})


def _bound(request: HttpRequest, data: Any) -> EventFilterForm:
    """The form for ``data`` (a request's GET or POST), with the filters its token names."""
    token = data.get("f", "")
    saved = _saved(request, token)
    if request.method == "GET" and saved is not None:
        data = initial_data(saved, token)
    form = EventFilterForm(data, saved=saved)
    if token and saved is None:
        form.add_error(None, _("筛选条件已过期（超过{minutes}分钟），请重新筛选。").format(
            minutes=stash.LIFETIME_SECONDS // 60))
    return form


def _render(request: HttpRequest, form: EventFilterForm, status: int = 200) -> HttpResponse:
    page, views, query = None, [], ""
    if form.is_valid():
        page = selectors.event_page(request.user, form.filters(),
                                    before=_cursor(request.GET.get("before")),
                                    after=_cursor(request.GET.get("after")))
        views = describe(page.events)
        token = form.cleaned_data["f"]
        query = urlencode({"f": token}) if token and form.saved is not None else urlencode(
            {k: v for k, v in form.data.items() if k in ("username", "action", "date_from",
                                                         "date_to", "person_id") and v})
    return render(request, "audit/event_list.html", {
        "form": form, "page": page, "views": views, "query": query,
    }, status=status)


@require_capability(Capability.VIEW_AUDIT)
@require_http_methods(["GET", "HEAD", "POST"])
def event_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request, _bound(request, request.GET))
    form = _bound(request, request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    token = _save(request, form.filters())
    return redirect(f"{reverse('audit:events')}?{urlencode({'f': token})}")


@require_capability(Capability.VIEW_AUDIT)
@require_POST
def event_export(request: HttpRequest) -> HttpResponse:
    form = _bound(request, request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    name = _("审计日志") + timezone.localtime().strftime("-%Y%m%d-%H%M%S.xlsx")
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the FileResponse closes it)
    try:
        export_events(request.user, form.filters(), out, file_name=name)
    except TooManyRows as e:
        out.close()
        form.add_error(None, _("符合条件的记录有{count}条，超过一次最多导出的{limit}条，请缩小日期范围后再导出。")
                       .format(count=e.count, limit=settings.YANGGUANG_AUDIT_EXPORT_MAX_ROWS))
        return _render(request, form, status=400)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=name,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
