"""Benefit pages: the policies in force where and since when, and the decisions on a
person's page (contributed to the registry's page through ``core.contributions``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, home_region_code, scope_prefixes
from yangguang.audit.services import Actor
from yangguang.benefits import policy, rules, selectors, services, states
from yangguang.benefits.models import BenefitGrant
from yangguang.benefits.states import ApplicantType, ApplicationAction, ApplicationState
from yangguang.core.errors import ValidationFailed
from yangguang.core.forms import ErrorSummaryMixin
from yangguang.regions.selectors import UnknownRegion, resolve_region
from yangguang.registry.forms import add_problems
from yangguang.registry.selectors import get_person_for


class PoliciesForm(ErrorSummaryMixin, forms.Form):
    region = forms.CharField(label=_("户籍地区划代码"), max_length=12, min_length=6,
                             help_text=_("6位或12位代码，如 630102（西宁市城东区）"))
    on = forms.DateField(label=_("日期"), help_text=_("格式 YYYY-MM-DD"),
                         widget=forms.DateInput(attrs={"type": "date"}))

    def clean_region(self) -> Any:
        try:
            return resolve_region(self.cleaned_data["region"])
        except UnknownRegion:
            raise forms.ValidationError(_("没有这个区划代码")) from None


@require_capability(Capability.VIEW_PERSON)
@require_safe
def programmes(request: HttpRequest) -> HttpResponse:
    """What is in force for a hukou region on a day: each programme's conditions and
    amounts, the jurisdiction and versions it comes from, since when, with the source."""
    data = request.GET if "region" in request.GET else {
        "region": (home_region_code(request.user) or "630000000000")[:6],
        "on": timezone.localdate().isoformat()}
    form = PoliciesForm(data)
    rows = []
    if form.is_valid():
        region = form.cleaned_data["region"]
        rows = selectors.in_force(region.code, form.cleaned_data["on"])
    return render(request, "benefits/programmes.html", {"form": form, "rows": rows})


class ScreeningForm(PoliciesForm):
    programme = forms.ChoiceField(label=_("补贴项目"))
    field_order = ["programme", "region", "on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [(p.key, p.name) for p in policy.policies().programmes.values()]


#: The most persons a screening page lists (the command line lists all).
SCREENING_LIMIT = 200


@require_capability(Capability.VIEW_PERSON)
@require_safe
def screening(request: HttpRequest) -> HttpResponse:
    """主动发现: the persons of a region (within the user's scope) eligible for a programme
    on a day, each with the reasons, screened set-based; the list read is audited."""
    form = ScreeningForm(request.GET if "programme" in request.GET else None)
    found: list[Any] = []
    more = False
    if form.is_valid():
        region, on = form.cleaned_data["region"], form.cleaned_data["on"]
        key = form.cleaned_data["programme"]
        for decision in selectors.screen(request.user, key, region.short_code, on, eligible=True):
            if len(found) == SCREENING_LIMIT:
                more = True
                break
            found.append(decision)
        names = selectors.names_of([d.person_id for d in found])
        for d in found:
            d.person_name = names.get(d.person_id, "")
        services.record_screening(key, region.code, on, [d.person_id for d in found],
                                  actor=Actor.of(request.user), region_code=home_region_code(request.user))
    return render(request, "benefits/screening.html", {
        "form": form, "found": found, "more": more, "limit": SCREENING_LIMIT,
        "may_apply": can(request.user, Capability.HANDLE_CASE)})


def person_section(request: HttpRequest, person: Any) -> dict[str, Any]:
    """The decisions of every programme for ``person`` today (the person page's read is
    audited by the registry's page). Not shown when the person's household lies outside
    the user's scope: the reasons would tell its economic status, which is that
    region's data (as ``registry.selectors.household_statuses`` keeps it)."""
    on = timezone.localdate()
    if not selectors.household_visible(request.user, person):
        return {"on": on, "decisions": [], "household_elsewhere": True}
    return {"on": on, "decisions": rules.decide(person, on), "person_id": person.pk,
            "may_apply": can(request.user, Capability.HANDLE_CASE, person.hukou_region)}


# ---------------------------------------------------------------------------
# Applications and grants


def _programme_choices() -> list[tuple[str, str]]:
    return [(p.key, p.name) for p in policy.policies().programmes.values()]


class ApplyForm(ErrorSummaryMixin, forms.Form):
    programme = forms.ChoiceField(label=_("补贴项目"))
    applicant_type = forms.ChoiceField(label=_("申请方式"), choices=ApplicantType.choices)
    applicant_name = forms.CharField(label=_("代办人"), max_length=100, required=False,
                                     help_text=_("监护人或村（居）委会代为申请时填写"))
    applied_on = forms.DateField(label=_("申请日期"), help_text=_("格式 YYYY-MM-DD"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("意见"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = _programme_choices()


class StepForm(ErrorSummaryMixin, forms.Form):
    action = forms.ChoiceField(label=_("环节"), choices=ApplicationAction.choices)
    day = forms.DateField(label=_("日期"), help_text=_("格式 YYYY-MM-DD"),
                          widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("意见"), max_length=500, required=False,
                           help_text=_("不予通过时必须填写理由"))

    def __init__(self, *args: Any, actions: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if actions is not None:
            self.fields["action"].choices = [(a, ApplicationAction(a).label) for a in actions]


def _scope(request: HttpRequest) -> tuple[str, ...]:
    return tuple(scope_prefixes(request.user, Capability.HANDLE_CASE))


@require_capability(Capability.HANDLE_CASE)
@require_http_methods(["GET", "HEAD", "POST"])
def apply(request: HttpRequest, person_id: int) -> HttpResponse:
    """Open an application for a person (from the person page, or 主动发现 from the
    screening list with ``?programme=…&proactive=1``)."""
    person = get_person_for(request.user, person_id, Capability.HANDLE_CASE)
    if request.method == "POST":
        form = ApplyForm(request.POST)
        if form.is_valid():
            v = form.cleaned_data
            try:
                app = services.apply(person, v["programme"], applicant_type=v["applicant_type"],
                                     applicant_name=v["applicant_name"], applied_on=v["applied_on"],
                                     note=v["note"], actor=Actor.of(request.user),
                                     scope=_scope(request))
            except ValidationFailed as exc:
                add_problems(form, exc.problems)
            else:
                messages.success(request, _("已登记申请。"))
                return redirect("benefits:application", pk=app.pk)
        status = 400
    else:
        form = ApplyForm(initial={
            "programme": request.GET.get("programme", ""), "applied_on": timezone.localdate(),
            "applicant_type": ApplicantType.PROACTIVE if request.GET.get("proactive")
            else ApplicantType.PERSON})
        status = 200
    return render(request, "benefits/apply.html", {"form": form, "person": person}, status=status)


def _query(request: HttpRequest) -> str:
    """The list's filters, for the links to the other pages of it."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


class ApplicationFilter(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False,
                              choices=[("", _("全部"))] + list(ApplicationState.choices))
    programme = forms.ChoiceField(label=_("补贴项目"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [("", _("全部"))] + _programme_choices()


@require_capability(Capability.VIEW_PERSON)
@require_safe
def applications(request: HttpRequest) -> HttpResponse:
    """The applications of the user's regions by state, filtered by state and programme."""
    form = ApplicationFilter(request.GET)
    v = form.cleaned_data if form.is_valid() else {}
    found = selectors.applications_for(request.user, state=v.get("state", ""),
                                       programme=v.get("programme", ""))
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    names = {p.key: p.name for p in policy.policies().programmes.values()}
    for app in page:
        app.programme_name = names.get(app.programme, app.programme)
    return render(request, "benefits/applications.html", {"form": form, "page": page,
                                                          "query": _query(request)})


def _application_page(request: HttpRequest, app: Any, form: StepForm | None = None,
                      status: int = 200) -> HttpResponse:
    may_act = can(request.user, Capability.HANDLE_CASE, app.person.hukou_region_id)
    actions = states.actions_from(app.state) if may_act else []
    if form is None and actions:
        form = StepForm(actions=actions, initial={"day": timezone.localdate()})
    programme = policy.policies().programmes.get(app.programme)
    return render(request, "benefits/application.html", {
        "app": app, "steps": app.steps.all(), "form": form, "actions": actions,
        "programme_name": programme.name if programme else app.programme,
        "grant": BenefitGrant.objects.filter(application=app).first()}, status=status)


@require_capability(Capability.VIEW_PERSON)
@require_safe
def application(request: HttpRequest, pk: int) -> HttpResponse:
    """An application with its steps (who, when, note) and the actions available now."""
    app = selectors.application_for(request.user, pk)
    if app is None:
        raise Http404
    return _application_page(request, app)


@require_capability(Capability.HANDLE_CASE)
@require_POST
def application_step(request: HttpRequest, pk: int) -> HttpResponse:
    """Take one step on an application; a refused step shows the page again with the
    error summary (status 400)."""
    app = selectors.application_for(request.user, pk)
    if app is None or not can(request.user, Capability.HANDLE_CASE, app.person.hukou_region_id):
        raise Http404
    form = StepForm(request.POST, actions=states.actions_from(app.state))
    if form.is_valid():
        v = form.cleaned_data
        try:
            services.take_step(app, v["action"], day=v["day"], note=v["note"],
                               actor=Actor.of(request.user), scope=_scope(request))
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, _("已办理。"))
            return redirect("benefits:application", pk=app.pk)
    return _application_page(request, app, form, status=400)


@require_capability(Capability.VIEW_PERSON)
@require_safe
def grants(request: HttpRequest) -> HttpResponse:
    """Who receives which programme from which month, at which amount; stopped ones last."""
    form = ApplicationFilter(request.GET)
    v = form.cleaned_data if form.is_valid() else {}
    found = selectors.grants_for(request.user, programme=v.get("programme", "")).order_by(
        "stop_month", "-start_month", "pk")
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    names = {p.key: p.name for p in policy.policies().programmes.values()}
    for grant in page:
        grant.programme_name = names.get(grant.programme, grant.programme)
    return render(request, "benefits/grants.html", {"form": form, "page": page,
                                                    "query": _query(request)})
