"""Pages of the service loop: needs (list, overdue, one need with its referrals and
services, the forms that move it), a person's needs, providers, and the township table.

Views parse the request, check the capability and call ``selectors`` (reads, scoped)
and ``actions`` (writes, which check the scope again and audit). A need outside the
user's regions is a 404, as one that does not exist.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, scope_regions
from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core.errors import ValidationFailed
from yangguang.regions.models import Region
from yangguang.registry.forms import add_problems
from yangguang.registry.selectors import get_person_for
from yangguang.services import actions, eligibility, exporting, selectors
from yangguang.services.forms import (
    CoverageForm,
    DayForm,
    NeedFilterForm,
    NeedForm,
    ProviderFilterForm,
    ProviderForm,
    ReasonForm,
    ReferForm,
    ServiceForm,
)
from yangguang.services.models import Need, Referral
from yangguang.services.states import LIVE_REFERRALS, NeedAction, need_may

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50
#: Townships shown at once (those with the most gaps first); a narrower region shows the rest.
COVERAGE_ROWS = 100


def _file_response(path: Path, filename: str) -> FileResponse:
    handle = open(path, "rb")  # noqa: SIM115 - closed by FileResponse
    path.unlink()
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


def _temp_xlsx() -> Path:
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as tmp:
        return Path(tmp.name)


def _record_view(request: HttpRequest, need: Need) -> None:
    record(Actor.of(request.user), AuditAction.VIEW, "need", need.pk, person_id=need.person_id,
           region_code=need.person.hukou_region_id)


# ---------------------------------------------------------------------------
# Needs


def _needs_page(request: HttpRequest, *, overdue: bool) -> HttpResponse:
    form = NeedFilterForm(request.GET or None)
    criteria = form.criteria() if form.is_bound else {"state": "", "kind": "", "region": ""}
    needs = selectors.search_needs(request.user, overdue=overdue, **criteria)
    page = Paginator(needs, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for need in page.object_list:
        need.waiting = (today - need.opened_on).days
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "services/needs.html", {
        "form": form, "page": page, "overdue": overdue, "query": query.urlencode(),
        "overdue_days": selectors.overdue_days(),
        "may_export": can(request.user, Capability.EXPORT),
    })


@never_cache
@require_capability(Capability.VIEW_SERVICES)
@require_safe
def needs(request: HttpRequest) -> HttpResponse:
    return _needs_page(request, overdue=False)


@never_cache
@require_capability(Capability.VIEW_SERVICES)
@require_safe
def overdue(request: HttpRequest) -> HttpResponse:
    return _needs_page(request, overdue=True)


@require_capability(Capability.EXPORT)
@require_POST
def needs_export(request: HttpRequest) -> HttpResponse:
    """The needs of the list's filter (``overdue=1``: the overdue ones) as XLSX, read
    through the user's export scope (posted: an export is an audited act)."""
    form = NeedFilterForm(request.POST)
    criteria = form.criteria()
    is_overdue = request.POST.get("overdue") == "1"
    found = selectors.search_needs(request.user, overdue=is_overdue,
                                   capability=Capability.EXPORT, **criteria)
    found = found.filter(pk__in=selectors.needs_visible_to(request.user).values("pk"))
    described = {k: v for k, v in criteria.items() if v}
    if is_overdue:
        described["overdue_days"] = selectors.overdue_days()
    filename = _("服务需求_{day}.xlsx").format(day=timezone.localdate().strftime("%Y%m%d"))
    path = _temp_xlsx()
    exporting.export_needs(request.user, found, path, criteria=described, file_name=filename)
    return _file_response(path, filename)


def _person_abilities(user: Any, person: Any) -> dict[str, bool]:
    return {"record": can(user, Capability.RECORD_SERVICES, person.hukou_region)}


@never_cache
@require_capability(Capability.VIEW_SERVICES)
@require_safe
def person_needs(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's needs with their referrals and services."""
    person = get_person_for(request.user, pk, Capability.VIEW_SERVICES)
    found = selectors.needs_of(request.user, person.pk)
    record(Actor.of(request.user), AuditAction.VIEW, "need", person_id=person.pk,
           region_code=person.hukou_region_id, data={"ids": [n.pk for n in found]})
    return render(request, "services/person_needs.html", {
        "person": person, "needs": found, "may": _person_abilities(request.user, person),
    })


@never_cache
@require_capability(Capability.RECORD_SERVICES)
@require_http_methods(["GET", "POST"])
def need_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a need of the person; the jurisdiction's eligibility rules are listed, and
    the one that applies decides (``actions.open_need``)."""
    person = get_person_for(request.user, pk, Capability.RECORD_SERVICES)
    form = NeedForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            values = form.values()
            need = actions.open_need(person, values["kind"], opened_on=values["opened_on"],
                                     note=values["note"], actor=Actor.of(request.user),
                                     scope=actions.write_scope(request.user))
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, _("已登记服务需求。"))
            return redirect("services:need", pk=need.pk)
    today = timezone.localdate()
    decisions = {}  # one line per rule that applies to the person's region today
    for kind in eligibility.restricted_kinds():
        decision = eligibility.decide(person, kind, today)
        if decision.rule is not None:
            decisions.setdefault(decision.rule.key, decision)
    return render(request, "services/need_form.html", {
        "person": person, "form": form, "decisions": list(decisions.values()),
    }, status=400 if form.errors else 200)


@never_cache
@require_capability(Capability.VIEW_SERVICES)
@require_safe
def need(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_need_for(request.user, pk)
    _record_view(request, found)
    return render(request, "services/need.html", _need_context(request, found))


def _need_context(request: HttpRequest, found: Need, **forms: Any) -> dict[str, Any]:
    may_record = can(request.user, Capability.RECORD_SERVICES, found.person.hukou_region)
    loop = selectors.loop_of(found)
    context = {
        "need": found, **loop, "may_record": may_record,
        "live": [r for r in loop["referrals"] if r.state in LIVE_REFERRALS],
        "waiting": (timezone.localdate() - found.opened_on).days,
    }
    if may_record:
        context |= {
            "may_refer": need_may(found.state, NeedAction.REFER),
            "may_reopen": need_may(found.state, NeedAction.REOPEN),
            "may_withdraw": need_may(found.state, NeedAction.WITHDRAW),
            "refer_form": forms.get("refer_form") or ReferForm(
                providers=selectors.providers_for(request.user, found)),
            "reopen_form": forms.get("reopen_form") or ReasonForm(prefix="reopen"),
            "withdraw_form": forms.get("withdraw_form") or ReasonForm(prefix="withdraw"),
        }
    return context


def _need_for_action(request: HttpRequest, pk: int) -> Need:
    return selectors.get_need_for(request.user, pk, Capability.RECORD_SERVICES)


def _act(request: HttpRequest, found: Need, form: Any, form_name: str,
         write: Callable[[dict[str, Any]], Any], done: str) -> HttpResponse:
    """Run ``write`` with the form's values; on a problem show the need's page again
    with the form's errors (status 400)."""
    if form.is_valid():
        try:
            write(form.values())
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, done)
            return redirect("services:need", pk=found.pk)
    found.refresh_from_db()
    context = _need_context(request, found, **{form_name: form})
    context["failed"] = form
    return render(request, "services/need.html", context, status=400)


@require_capability(Capability.RECORD_SERVICES)
@require_POST
def need_refer(request: HttpRequest, pk: int) -> HttpResponse:
    found = _need_for_action(request, pk)
    form = ReferForm(request.POST, providers=selectors.providers_for(request.user, found))
    return _act(request, found, form, "refer_form", lambda v: actions.refer(
        found, v["provider"], day=v["day"], actor=Actor.of(request.user),
        scope=actions.write_scope(request.user)), _("已转介。"))


@require_capability(Capability.RECORD_SERVICES)
@require_POST
def need_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    found = _need_for_action(request, pk)
    form = ReasonForm(request.POST, prefix="reopen")
    return _act(request, found, form, "reopen_form", lambda v: actions.reopen_need(
        found, reason=v["reason"], day=v["day"], actor=Actor.of(request.user),
        scope=actions.write_scope(request.user)), _("需求已重新开启。"))


@require_capability(Capability.RECORD_SERVICES)
@require_POST
def need_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    found = _need_for_action(request, pk)
    form = ReasonForm(request.POST, prefix="withdraw")
    return _act(request, found, form, "withdraw_form", lambda v: actions.withdraw_need(
        found, reason=v["reason"], day=v["day"], actor=Actor.of(request.user),
        scope=actions.write_scope(request.user)), _("需求已撤销。"))


# ---------------------------------------------------------------------------
# Referrals


def _referral_for_action(request: HttpRequest, pk: int) -> Referral:
    return selectors.get_referral_for(request.user, pk, Capability.RECORD_SERVICES)


def _referral_step(request: HttpRequest, pk: int, form_class: type, act: Any, done: str,
                   template: str, **context: Any) -> HttpResponse:
    """A step on a referral from its form: ``act(referral, values, actor, scope)`` writes
    it through the services; their refusal lands in the form's error summary."""
    referral = _referral_for_action(request, pk)
    form = form_class(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            act(referral, form.values(), Actor.of(request.user), actions.write_scope(request.user))
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, done)
            return redirect("services:need", pk=referral.need_id)
    return render(request, template, {"referral": referral, "form": form, **context},
                  status=400 if form.errors else 200)


@never_cache
@require_capability(Capability.RECORD_SERVICES)
@require_http_methods(["GET", "POST"])
def referral_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _referral_step(
        request, pk, DayForm,
        lambda referral, values, actor, scope: actions.accept_referral(
            referral, day=values["day"], actor=actor, scope=scope),
        _("已记录机构接收转介。"), "services/referral_form.html",
        title=_("机构接收转介"), submit=_("记录接收"))


@never_cache
@require_capability(Capability.RECORD_SERVICES)
@require_http_methods(["GET", "POST"])
def referral_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _referral_step(
        request, pk, ReasonForm,
        lambda referral, values, actor, scope: actions.decline_referral(
            referral, reason=values["reason"], day=values["day"], actor=actor, scope=scope),
        _("转介已退回，需求重新等待转介。"), "services/referral_form.html",
        title=_("转介被机构退回"), submit=_("记录退回"))


@never_cache
@require_capability(Capability.RECORD_SERVICES)
@require_http_methods(["GET", "POST"])
def referral_service(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a service given on the referral; its outcome moves the need."""
    return _referral_step(
        request, pk, ServiceForm,
        lambda referral, values, actor, scope: actions.record_service(
            referral, values, actor=actor, scope=scope),
        _("已记录服务。"), "services/service_form.html")


# ---------------------------------------------------------------------------
# Providers


@never_cache
@require_capability(Capability.VIEW_SERVICES)
@require_safe
def providers(request: HttpRequest) -> HttpResponse:
    form = ProviderFilterForm(request.GET or None)
    found = selectors.search_providers(request.user, **(form.criteria() if form.is_bound else {}))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "services/providers.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "may_manage": can(request.user, Capability.MANAGE_PROVIDERS),
        "may_export": can(request.user, Capability.EXPORT),
    })


@require_capability(Capability.EXPORT)
@require_POST
def providers_export(request: HttpRequest) -> HttpResponse:
    form = ProviderFilterForm(request.POST)
    criteria = form.criteria()
    found = selectors.search_providers(request.user, **criteria)
    filename = _("服务机构_{day}.xlsx").format(day=timezone.localdate().strftime("%Y%m%d"))
    path = _temp_xlsx()
    exporting.export_providers(request.user, found, path,
                               criteria={k: v for k, v in criteria.items() if v},
                               file_name=filename)
    return _file_response(path, filename)


@never_cache
@require_capability(Capability.VIEW_SERVICES)
@require_safe
def provider(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_provider_for(request.user, pk)
    return render(request, "services/provider.html", {
        "provider": found, "load": selectors.provider_load(found),
        "may_manage": can(request.user, Capability.MANAGE_PROVIDERS, found.region),
    })


def _provider_form(request: HttpRequest, existing: Any = None) -> HttpResponse:
    initial = ProviderForm.initial_of(existing) if existing is not None else None
    form = ProviderForm(request.POST if request.method == "POST" else None,
                        **({"initial": initial} if initial else {}))
    if form.is_bound and form.is_valid():
        try:
            saved, _changes = actions.save_provider(
                form.values(), actor=Actor.of(request.user),
                scope=actions.write_scope(request.user, Capability.MANAGE_PROVIDERS),
                provider=existing)
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, _("已保存服务机构。"))
            return redirect("services:provider", pk=saved.pk)
    return render(request, "services/provider_form.html", {"form": form, "provider": existing},
                  status=400 if form.errors else 200)


@never_cache
@require_capability(Capability.MANAGE_PROVIDERS)
@require_http_methods(["GET", "POST"])
def provider_new(request: HttpRequest) -> HttpResponse:
    return _provider_form(request)


@never_cache
@require_capability(Capability.MANAGE_PROVIDERS)
@require_http_methods(["GET", "POST"])
def provider_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _provider_form(request, selectors.get_provider_for(request.user, pk,
                                                              Capability.MANAGE_PROVIDERS))


# ---------------------------------------------------------------------------
# Townships: needs against providers


@never_cache
@require_capability(Capability.VIEW_STATISTICS)
@require_safe
def coverage(request: HttpRequest) -> HttpResponse:
    """Per township: the unmet needs by kind against the providers that serve it."""
    form = CoverageForm(request.GET or None)
    tops = scope_regions(request.user, Capability.VIEW_STATISTICS)
    region = tops[0] if tops else None
    if form.is_bound and form.is_valid() and form.cleaned_data.get("region"):
        code = form.cleaned_data["region"].ljust(12, "0")
        chosen = Region.objects.filter(code=code).first()
        if chosen is None or not can(request.user, Capability.VIEW_STATISTICS, chosen):
            raise Http404
        region = chosen
    rows = selectors.township_coverage(request.user, region) if region else []
    return render(request, "services/coverage.html", {
        "form": form, "region": region, "rows": rows[:COVERAGE_ROWS], "total": len(rows),
        "limit": COVERAGE_ROWS,
    })


