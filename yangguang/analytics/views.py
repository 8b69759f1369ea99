"""The dashboard: a plan's indicators for one region (value, target, status), its regions
with the most rows at risk first, and the table as XLSX."""

from __future__ import annotations

import io

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from openpyxl import Workbook

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.analytics import selectors
from yangguang.plans import selectors as plan_selectors


def _context(request: HttpRequest, key: str) -> dict:
    plan = plan_selectors.get_plan_for(request.user, key)
    as_of = selectors.latest_as_of(plan)
    rows = selectors.results(request.user, plan, as_of) if as_of else []
    codes = selectors.regions_at_risk(rows)
    region = request.GET.get("region") or (codes[0][0] if codes else "")
    if region and region not in {c for c, _n in codes}:
        raise Http404
    shown = [r for r in rows if r.region_code == region]
    return {"plan": plan, "as_of": as_of, "region": region, "rows": shown, "regions": codes}


@never_cache
@require_capability(Capability.VIEW_PLANS)
@require_safe
def dashboard(request: HttpRequest, key: str) -> HttpResponse:
    return render(request, "analytics/dashboard.html", _context(request, key))


@never_cache
@require_capability(Capability.VIEW_PLANS)
@require_safe
def dashboard_xlsx(request: HttpRequest, key: str) -> HttpResponse:
    context = _context(request, key)
    book = Workbook()
    sheet = book.active
    sheet.title = _("指标监测")
    sheet.append([_("序号"), _("指标（原文）"), _("区划代码"), _("目标（原文）"), _("指标值"), _("分子"), _("分母"),
                  _("状态")])
    for r in context["rows"]:
        sheet.append([r.indicator.row, r.indicator.wording, r.region_code, r.indicator.target_text,
                      None if r.value is None else float(r.value),
                      None if r.numerator is None else float(r.numerator),
                      None if r.denominator is None else float(r.denominator), r.get_status_display()])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{key}-{context["region"]}.xlsx"'
    return response
