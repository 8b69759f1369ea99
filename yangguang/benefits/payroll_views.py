"""Payroll pages: the payrolls of the user's regions (and making a month's payroll),
one payroll with its totals by region and its lines, approving it, its bank file.

Who may: see — ``view_person`` over the payroll's region; make (or make again, while a
draft) — ``handle_case``; approve — ``decide_case``; download the bank file, which
holds full ID numbers — ``export`` (audited by ``payroll.export_payroll``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, home_region_code, scope_prefixes
from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.benefits import payroll, policy, selectors
from yangguang.benefits.models import Payroll, PayrollState
from yangguang.core.errors import ValidationFailed
from yangguang.core.forms import ErrorSummaryMixin
from yangguang.regions.selectors import UnknownRegion, resolve_region
from yangguang.registry.forms import add_problems

CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "csv": "text/csv; charset=utf-8"}
LINES_PER_PAGE = 100


class RunForm(ErrorSummaryMixin, forms.Form):
    month = forms.CharField(label=_("发放月份"), max_length=7, help_text=_("格式 YYYY-MM，如 2025-04"))
    region = forms.CharField(label=_("区划代码"), max_length=12, min_length=6,
                             help_text=_("6位或12位代码，如 630102（西宁市城东区）"))

    def clean_month(self) -> Any:
        try:
            return payroll.parse_month(self.cleaned_data["month"])
        except ValueError:
            raise forms.ValidationError(_("月份格式应为 YYYY-MM，如 2025-04")) from None

    def clean_region(self) -> Any:
        try:
            return resolve_region(self.cleaned_data["region"])
        except UnknownRegion:
            raise forms.ValidationError(_("没有这个区划代码")) from None


class ApproveForm(ErrorSummaryMixin, forms.Form):
    """No fields: carries the refusal of an approval to the error summary."""


class StateFilter(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False,
                              choices=[("", _("全部"))] + list(PayrollState.choices))


def _scope(request: HttpRequest, capability: str) -> tuple[str, ...]:
    return tuple(scope_prefixes(request.user, capability))


def _list_page(request: HttpRequest, form: RunForm | None, status: int = 200) -> HttpResponse:
    state = StateFilter(request.GET)
    v = state.cleaned_data if state.is_valid() else {}
    found = (selectors.payrolls_for(request.user, state=v.get("state", ""))
             .annotate(line_count=Count("lines"), amount=Sum("lines__amount")))
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    if form is None and can(request.user, Capability.HANDLE_CASE):
        form = RunForm(initial={"month": timezone.localdate().isoformat()[:7],
                                "region": (home_region_code(request.user) or "")[:6]})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "benefits/payrolls.html", {
        "filter": state, "page": page, "form": form, "query": query.urlencode()}, status=status)


@require_capability(Capability.VIEW_PERSON)
@require_safe
def payrolls(request: HttpRequest) -> HttpResponse:
    """The payrolls of the user's regions, latest month first, with the form that makes
    a month's payroll (for who may)."""
    return _list_page(request, None)


@require_capability(Capability.HANDLE_CASE)
@require_POST
def payroll_run(request: HttpRequest) -> HttpResponse:
    """Make the payroll of a month and region (a draft; a draft is made again, an
    approved one refused); a refusal shows the list again with the error summary."""
    form = RunForm(request.POST)
    if form.is_valid():
        try:
            made = payroll.run_payroll(form.cleaned_data["month"], form.cleaned_data["region"],
                                       actor=Actor.of(request.user),
                                       scope=_scope(request, Capability.HANDLE_CASE))
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, _("已生成发放表（草稿）。"))
            return redirect("benefits:payroll", pk=made.pk)
    return _list_page(request, form, status=400)


def _detail_page(request: HttpRequest, found: Payroll, form: ApproveForm | None = None,
                 status: int = 200) -> HttpResponse:
    region = found.region
    lines = Paginator(selectors.payroll_lines(found), LINES_PER_PAGE).get_page(
        request.GET.get("page"))
    names = {p.key: p.name for p in policy.policies().programmes.values()}
    for line in lines:
        line.programme_name = names.get(line.programme, line.programme)
    record(Actor.of(request.user), AuditAction.VIEW, "payroll", found.pk, region_code=region.code,
           data={"via": "web", "ids": sorted({line.person_id for line in lines}),
                 "page": lines.number})
    draft = found.state == PayrollState.DRAFT
    return render(request, "benefits/payroll.html", {
        "payroll": found, "totals": payroll.totals_of(found), "lines": lines, "form": form,
        "may_approve": draft and can(request.user, Capability.DECIDE_CASE, region),
        "may_run": draft and can(request.user, Capability.HANDLE_CASE, region),
        "may_export": can(request.user, Capability.EXPORT, region),
        "run_form": RunForm(initial={"month": found.month.isoformat()[:7], "region": region.code}),
    }, status=status)


def _payroll(request: HttpRequest, pk: int, capability: str = Capability.VIEW_PERSON) -> Payroll:
    found = selectors.payroll_for(request.user, pk)
    if found is None or not can(request.user, capability, found.region):
        raise Http404
    return found


@require_capability(Capability.VIEW_PERSON)
@require_safe
def payroll_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A payroll: its state, totals by region, its lines (the persons read: audited)."""
    return _detail_page(request, _payroll(request, pk))


@require_capability(Capability.DECIDE_CASE)
@require_POST
def payroll_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve a draft (frozen from then on); a refusal in the error summary (400)."""
    found = _payroll(request, pk, Capability.DECIDE_CASE)
    form = ApproveForm(request.POST)
    form.is_valid()
    try:
        payroll.approve_payroll(found, actor=Actor.of(request.user),
                                scope=_scope(request, Capability.DECIDE_CASE))
    except ValidationFailed as exc:
        add_problems(form, exc.problems)
        return _detail_page(request, found, form, status=400)
    messages.success(request, _("已审核，发放表已冻结。"))
    return redirect("benefits:payroll", pk=found.pk)


@require_capability(Capability.EXPORT)
@require_safe
def payroll_download(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    """The bank file (XLSX or CSV) with full ID numbers: an audited export."""
    found = _payroll(request, pk, Capability.EXPORT)
    if fmt not in payroll.FORMATS:
        raise Http404
    name = f"payroll-{found.region_id}-{found.month:%Y-%m}-{found.state}.{fmt}"
    with tempfile.NamedTemporaryFile(suffix=f".{fmt}", delete=False) as tmp:
        path = Path(tmp.name)
    payroll.export_payroll(found, path, fmt, actor=Actor.of(request.user),
                           scope=_scope(request, Capability.EXPORT), file_name=name)
    handle = open(path, "rb")  # noqa: SIM115 - closed by FileResponse
    path.unlink()
    return FileResponse(handle, as_attachment=True, filename=name, content_type=CONTENT_TYPES[fmt])
