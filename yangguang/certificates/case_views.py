"""/certificates/cases: the list of cases, a case with its history and the steps the
user may take now, a form per step, a new application, and the county's worklist.

Views parse the request and call ``certificates.services``; what may be done is the
transitions table's (``workflow``) and the case rules' (``rules``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can
from yangguang.accounts.services import home_region_code
from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.certificates import selectors, services, workflow
from yangguang.certificates.case_forms import (
    ApplicationForm,
    CaseFilterForm,
    ResidenceApplicationForm,
    StepForm,
)
from yangguang.certificates.models import CaseState
from yangguang.core.errors import ValidationFailed
from yangguang.registry.forms import add_problems
from yangguang.registry.selectors import get_person_for

PAGE_SIZE = 50


@never_cache
@require_safe
@require_capability(Capability.VIEW_PERSON)
def case_list(request: HttpRequest, person_pk: int | None = None) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = selectors.search_cases(request.user, state=filters.get("state", ""),
                                  kind=filters.get("kind", ""),
                                  open_only=filters.get("open", False),
                                  overdue=filters.get("overdue", False))
    person = None
    if person_pk is not None:
        person = get_person_for(request.user, person_pk)
        rows = rows.filter(person=person)
    cases = list(rows[:PAGE_SIZE])
    record(Actor.of(request.user), AuditAction.VIEW, "certificate_case",
           person_id=person.pk if person else None,
           region_code=person.hukou_region_id if person else home_region_code(request.user),
           data={"via": "web", "ids": [c.pk for c in cases],
                 "query": {k: v for k, v in filters.items() if v}})
    return render(request, "certificates/case_list.html", {
        "form": form, "cases": cases, "person": person, "more": rows.count() > PAGE_SIZE,
        "today": timezone.localdate(),
        "may_apply": person is not None and selectors.open_case_of(person.pk) is None,
        "may_handle": can(request.user, Capability.HANDLE_CASE),
    })


@never_cache
@require_safe
@require_capability(Capability.VIEW_PERSON)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for(request.user, pk)
    record(Actor.of(request.user), AuditAction.VIEW, "certificate_case", case.pk,
           person_id=case.person_id, region_code=case.hukou_region_id)
    return render(request, "certificates/case_detail.html", {
        "case": case, "person": case.person, "steps": selectors.steps_of(case),
        "actions": selectors.actions_for(request.user, case), "today": timezone.localdate(),
    })


@never_cache
@require_http_methods(["GET", "POST"])
@require_capability(Capability.HANDLE_CASE)
def case_new(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = get_person_for(request.user, person_pk, Capability.HANDLE_CASE)
    form = ApplicationForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            case = services.open_case(person, form.cleaned_data, user=request.user)
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, _("已登记{name}的{kind}申请。").format(
                name=person.name, kind=case.get_kind_display()))
            return redirect("certificates:case", pk=case.pk)
    return render(request, "certificates/case_new.html", {"form": form, "person": person})


@never_cache
@require_http_methods(["GET", "POST"])
@require_capability(Capability.HANDLE_CASE)
def case_new_at_residence(request: HttpRequest) -> HttpResponse:
    """跨省通办: an application taken in at the county of usual residence for a person
    whose hukou county is elsewhere; it then goes to that county to be decided."""
    form = ResidenceApplicationForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            case = services.open_case_for_applicant(values.pop("id_number"), values.pop("name"),
                                                    values, user=request.user)
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, _("已受理{name}的{kind}申请，请核对材料后转户籍地残联办理。").format(
                name=case.person.name, kind=case.get_kind_display()))
            return redirect("certificates:case", pk=case.pk)
    return render(request, "certificates/case_new_at_residence.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@require_capability(Capability.VIEW_PERSON)
def case_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = selectors.get_case_for(request.user, pk)
    transition = next((t for t in selectors.actions_for(request.user, case)
                       if t.action == action), None)
    if transition is None:
        raise Http404
    form = StepForm(case.kind, action, request.POST if request.method == "POST" else None,
                    case=case)
    if form.is_bound and form.is_valid():
        try:
            case = services.perform(case, action, form.cleaned_data, user=request.user)
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, _("已办理：{action}。当前状态：{state}。").format(
                action=workflow.Action(action).label, state=case.get_state_display()))
            return redirect("certificates:case", pk=case.pk)
    return render(request, "certificates/case_step.html", {
        "form": form, "case": case, "person": case.person,
        "action": workflow.Action(action), "transition": transition,
        "rejecting": transition.target == CaseState.REJECTED,
    })


@never_cache
@require_safe
@require_capability(Capability.VIEW_PERSON)
def worklist(request: HttpRequest) -> HttpResponse:
    work = selectors.worklist(request.user)
    record(Actor.of(request.user), AuditAction.VIEW, "certificate_case",
           region_code=home_region_code(request.user),
           data={"via": "web", "worklist": True,
                 "ids": [c.pk for c in work.deadlines + work.disputes_closing]})
    return render(request, "certificates/worklist.html", {"work": work})
