"""The dashboard: a plan's indicators for one region (value, target, status, and beside
the computed value the one entered by hand), its regions with the most rows at risk
first, and the table as XLSX; the values entered by hand, with their form and evidence."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from openpyxl import Workbook

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can
from yangguang.analytics import reporting, selectors, services
from yangguang.analytics.forms import HandValueForm
from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
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
    entered = selectors.entered_beside(shown, as_of.year) if as_of else {}
    for r in shown:
        r.entered = entered.get(r.pk)
    return {"plan": plan, "as_of": as_of, "region": region, "rows": shown, "regions": codes,
            "may_enter": can(request.user, Capability.REPORT_PROGRESS) and bool(reporting.entries(plan))}


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
                  _("状态"), _("人工填报值"), _("数据来源"), _("数据日期")])
    for r in context["rows"]:
        hand = r.entered
        sheet.append([r.indicator.row, r.indicator.wording, r.region_code, r.indicator.target_text,
                      None if r.value is None else float(r.value),
                      None if r.numerator is None else float(r.numerator),
                      None if r.denominator is None else float(r.denominator), r.get_status_display(),
                      None if hand is None else float(hand.value), None if hand is None else hand.source,
                      None if hand is None else hand.reported_on.isoformat()])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{key}-{context["region"]}.xlsx"'
    return response


@never_cache
@require_capability(Capability.VIEW_PLANS)
@require_http_methods(["GET", "POST"])
def hand_values(request: HttpRequest, key: str) -> HttpResponse:
    """The plan's values entered by hand (those of the user's regions), and the form for
    a new one when the user may report for some region of the plan."""
    plan = plan_selectors.get_plan_for(request.user, key)
    may_enter = (can(request.user, Capability.REPORT_PROGRESS) and bool(reporting.entries(plan))
                 and bool(reporting.regions(request.user, plan)))
    form = None
    if may_enter:
        bound = request.method == "POST"
        form = HandValueForm(request.POST if bound else None, request.FILES if bound else None,
                             plan=plan, user=request.user)
        if form.is_bound and form.is_valid():
            try:
                services.enter_hand_value(request.user, plan, form.data_for_services(),
                                          evidence=form.cleaned_data.get("evidence"),
                                          actor=Actor.of(request.user))
            except ValidationFailed as exc:
                form.show(exc.problems)
            else:
                messages.success(request, _("已保存人工填报值。"))
                return redirect("analytics:hand_values", key=plan.key)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "analytics/hand_values.html", {
        "plan": plan, "form": form, "values": selectors.hand_values(request.user, plan)})


@never_cache
@require_capability(Capability.VIEW_PLANS)
@require_safe
def hand_value_evidence(request: HttpRequest, key: str, hand_id: int) -> HttpResponse:
    """A value's evidence file, for a user whose scope holds its region (audited)."""
    plan = plan_selectors.get_plan_for(request.user, key)
    hand = selectors.hand_value_for(request.user, plan, hand_id)
    if not hand.evidence:
        raise Http404
    services.record_evidence_read(hand, actor=Actor.of(request.user))
    return FileResponse(hand.evidence.open("rb"), as_attachment=True,
                        filename=hand.evidence_name or hand.evidence.name.rsplit("/", 1)[-1])
