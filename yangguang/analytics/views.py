"""The dashboard: a plan's indicators for one region of the user's scope, a page per
region (``regions/<code>/``, the 6- or 12-digit code the results name it by) from the
plan's region down to township (value, target, status, and beside the computed value
the one entered by hand), the regions below with the most rows at risk first, each
row's trend by year as an SVG chart beside its table, filters, and the table as XLSX;
the values entered by hand, with their form and evidence."""

from __future__ import annotations

import io
from typing import Any

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
from yangguang.analytics import charts, reporting, selectors, services
from yangguang.analytics.forms import DashboardFilterForm, HandValueForm
from yangguang.analytics.models import Status
from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
from yangguang.plans import selectors as plan_selectors
from yangguang.plans.models import Operator, Plan, PlanIndicator
from yangguang.regions.models import Region, RegionLevel

#: Targets a value is drawn against (a relative or worded target has no line).
COMPARABLE = (Operator.EQUAL, Operator.GREATER, Operator.AT_LEAST, Operator.LESS, Operator.AT_MOST)


def _trend(plan: Plan, region: Region, indicators: list[PlanIndicator]) -> list[dict[str, Any]]:
    """For each row, its values by year of the period (the stored result of the latest
    as-of date in each year; a year without one is 「未计算」) as a chart and a table."""
    found = selectors.trend(plan, region)
    years = range(plan.start_year, plan.end_year + 1)
    out = []
    for ind in indicators:
        by_year = found.get(ind.pk, {})
        points = [charts.Point(str(y), by_year[y].value if y in by_year else None,
                               by_year[y].status if y in by_year else Status.NO_DATA) for y in years]
        target = ind.target_value if ind.target_op in COMPARABLE else None
        shown = [y for y in years if y in by_year and by_year[y].value is not None]
        latest = (_("{year}年为{value}{unit}，{status}").format(
            year=shown[-1], value=charts.number(by_year[shown[-1]].value), unit=ind.unit,
            status=by_year[shown[-1]].get_status_display()) if shown else _("各年均无数据"))
        desc = _("{region}{start}—{end}年各年度的值（取每年最后一次计算）；目标{target}；{latest}").format(
            region=region.name, start=plan.start_year, end=plan.end_year, target=ind.target_text or "—",
            latest=latest)
        title = _("第{row}项：{wording}").format(row=ind.row, wording=ind.wording)
        out.append({"indicator": ind, "title": title, "years": [(y, by_year.get(y)) for y in years],
                    "chart": charts.trend_svg(f"trend-{ind.row}", title=title, desc=desc, points=points,
                                              target=target, unit=ind.unit,
                                              target_label=_("目标 {text}").format(text=ind.target_text))})
    return out


def _context(request: HttpRequest, key: str, code: str | None) -> dict[str, Any]:
    """What the dashboard shows of plan ``key`` for the region ``code`` (the top of the
    user's view of the plan when None): 404 for a region outside the user's scope."""
    plan = plan_selectors.get_plan_for(request.user, key)
    if code is None:
        roots = selectors.root_regions(request.user, plan)
        if len(roots) != 1:  # several regions (or none) to start from: the user picks one
            return {"plan": plan, "region": None, "roots": roots}
        region = roots[0]
    else:
        region = selectors.region_for(request.user, plan, code)
    form = DashboardFilterForm(request.GET, dates=selectors.as_of_dates(plan),
                               levels=selectors.below_levels(plan, region))
    chosen = form.chosen()
    as_of = chosen["as_of"]
    rows = (selectors.region_results(plan, region, as_of, status=chosen["status"], kind=chosen["kind"])
            if as_of else [])
    entered = selectors.entered_beside(rows, as_of.year) if as_of else {}
    for r in rows:
        r.entered = entered.get(r.pk)
    below = (selectors.regions_below(plan, region, chosen["level"], as_of, status=chosen["status"],
                                     kind=chosen["kind"]) if as_of and chosen["level"] else [])
    return {"plan": plan, "region": region, "code": selectors.result_code(region), "as_of": as_of,
            "form": form, "rows": rows, "below": below,
            "level_name": RegionLevel(chosen["level"]).label if chosen["level"] else "",
            "trail": selectors.trail(request.user, region), "query": request.GET.urlencode(),
            "trends": _trend(plan, region, [r.indicator for r in rows]),
            "legend": [(s, charts.legend_marker(s), s.label) for s in Status if s != Status.NO_DATA],
            "may_enter": can(request.user, Capability.REPORT_PROGRESS) and bool(reporting.entries(plan))}


@never_cache
@require_capability(Capability.VIEW_PLANS)
@require_safe
def dashboard(request: HttpRequest, key: str, region: str | None = None) -> HttpResponse:
    """A plan's indicators for one region of the user's scope: the table of the as-of
    date chosen, the regions below at risk first (each with its own page), and each
    row's trend by year as a chart beside its table; filtered by the query string."""
    return render(request, "analytics/dashboard.html", _context(request, key, region))


@never_cache
@require_capability(Capability.VIEW_PLANS)
@require_safe
def dashboard_xlsx(request: HttpRequest, key: str, region: str) -> HttpResponse:
    context = _context(request, key, region)
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
    services.record_dashboard_export(Actor.of(request.user), context["plan"], region_code=context["code"],
                                     as_of=context["as_of"], rows=len(context["rows"]))
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{key}-{context["code"]}.xlsx"'
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
