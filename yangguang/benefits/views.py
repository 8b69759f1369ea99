"""Benefit pages: the policies in force where and since when, and the decisions on a
person's page (contributed to the registry's page through ``core.contributions``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, home_region_code, scope_prefixes
from yangguang.audit.services import Actor
from yangguang.benefits import policy, rules, selectors, services, states
from yangguang.benefits.models import BenefitGrant, ItemKind, ItemStatus
from yangguang.benefits.states import ApplicantType, ApplicationAction, ApplicationState
from yangguang.core import ratelimit
from yangguang.core.crypto import mask_name
from yangguang.core.errors import ValidationFailed
from yangguang.core.forms import ErrorSummaryMixin
from yangguang.regions.models import RegionLevel
from yangguang.regions.selectors import UnknownRegion, resolve_region
from yangguang.registry.forms import add_problems
from yangguang.registry.selectors import get_person_for


def date_field(label: Any) -> forms.DateField:
    return forms.DateField(label=label, help_text=_("格式 YYYY-MM-DD"),
                           widget=forms.DateInput(attrs={"type": "date"}))


class PoliciesForm(ErrorSummaryMixin, forms.Form):
    region = forms.CharField(label=_("户籍地区划代码"), max_length=12, min_length=6,
                             help_text=_("6位或12位代码，如 630102（西宁市城东区）"))
    on = date_field(_("日期"))

    def clean_region(self) -> Any:
        return region_of(self.cleaned_data["region"])


def region_of(code: str) -> Any:
    """The region of a form's code field, or the field's error."""
    try:
        return resolve_region(code)
    except UnknownRegion:
        raise forms.ValidationError(_("没有这个区划代码")) from None


def _submitted(form: forms.Form, act: Callable[[dict[str, Any]], Any]) -> Any:
    """``act(cleaned_data)`` for a valid form; None when the form or the service refuses
    (the problems are on the form, for its error summary)."""
    if not form.is_valid():
        return None
    try:
        return act(form.cleaned_data)
    except ValidationFailed as exc:
        add_problems(form, exc.problems)
        return None


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
    """主动发现 and 动态监管: the persons of a region (within the user's scope) eligible
    for a programme on a day and receiving none of it, and those receiving it and no
    longer eligible, each with the reasons, screened set-based
    (``selectors.screening_report``); the lists read are audited."""
    form = ScreeningForm(request.GET if "programme" in request.GET else None)
    lists: list[dict[str, Any]] = []
    if form.is_valid():
        region, on = form.cleaned_data["region"], form.cleaned_data["on"]
        key = form.cleaned_data["programme"]
        report = selectors.screening_report(request.user, key, region.short_code, on)
        shown: list[int] = []
        for kind in ItemKind:
            rows = report[kind.value]
            more = len(rows) > SCREENING_LIMIT
            rows = rows[:SCREENING_LIMIT]
            shown += [r["person_id"] for r in rows]
            lists.append({"kind": kind.value, "label": kind.label, "rows": rows, "more": more,
                          "eligible": kind == ItemKind.ELIGIBLE_NOT_RECEIVING})
        names = selectors.names_of(shown)
        for found in lists:
            for row in found["rows"]:
                row["person_name"] = names.get(row["person_id"], "")
        services.record_screening(key, region.code, on, shown,
                                  actor=Actor.of(request.user), region_code=home_region_code(request.user))
    return render(request, "benefits/screening.html", {
        "form": form, "lists": lists, "limit": SCREENING_LIMIT,
        "programme": form.cleaned_data.get("programme") if form.is_bound and form.is_valid() else "",
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
    applied_on = date_field(_("申请日期"))
    note = forms.CharField(label=_("意见"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = _programme_choices()


class StepForm(ErrorSummaryMixin, forms.Form):
    action = forms.ChoiceField(label=_("环节"), choices=ApplicationAction.choices)
    day = date_field(_("日期"))
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
        app = _submitted(form, lambda v: services.apply(
            person, v["programme"], applicant_type=v["applicant_type"],
            applicant_name=v["applicant_name"], applied_on=v["applied_on"], note=v["note"],
            actor=Actor.of(request.user), scope=_scope(request)))
        if app is not None:
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


#: What the deadline of each state with a period is called on the pages.
DEADLINE_LABELS = {"review": _("乡镇审核时限"), "check_level": _("残联核定等级时限"),
                   "publication": _("公示期至")}


def _deadline_label(state: str) -> Any:
    return DEADLINE_LABELS[states.DEADLINES[state][0]] if state in states.DEADLINES else ""


class ResidenceApplyForm(ApplyForm):
    id_number = forms.CharField(label=_("公民身份号码"), max_length=18, min_length=15)
    name = forms.CharField(label=_("姓名"), max_length=50)
    residence_region = forms.CharField(label=_("常住地区划代码"), max_length=12, min_length=6,
                                       help_text=_("受理的常住地（您负责的地区），6位或12位代码"))
    field_order = ["id_number", "name", "residence_region", "programme", "applicant_type",
                   "applicant_name", "applied_on", "note"]

    def clean_residence_region(self) -> Any:
        return region_of(self.cleaned_data["residence_region"])


@require_capability(Capability.HANDLE_CASE)
@require_http_methods(["GET", "HEAD", "POST"])
def apply_at_residence(request: HttpRequest) -> HttpResponse:
    """跨省通办: take in an application at the county of usual residence for a person
    registered elsewhere, named by ID number and name; forwarded to the hukou county."""
    if request.method == "POST":
        form = ResidenceApplyForm(request.POST)
        app = _submitted(form, lambda v: services.apply_at_residence(
            v["id_number"], v["name"], v["programme"], residence_region=v["residence_region"].code,
            applicant_type=v["applicant_type"], applicant_name=v["applicant_name"],
            applied_on=v["applied_on"], note=v["note"], actor=Actor.of(request.user),
            scope=_scope(request)))
        if app is not None:
            messages.success(request, _("已登记申请。"))
            return redirect("benefits:application", pk=app.pk)
        status = 400
    else:
        form = ResidenceApplyForm(initial={
            "applied_on": timezone.localdate(), "applicant_type": ApplicantType.PERSON,
            "residence_region": home_region_code(request.user) or ""})
        status = 200
    return render(request, "benefits/apply_at_residence.html", {"form": form}, status=status)


def _query(request: HttpRequest) -> str:
    """The list's filters, for the links to the other pages of it."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


class ApplicationFilter(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False,
                              choices=[("", _("全部"))] + list(ApplicationState.choices))
    programme = forms.ChoiceField(label=_("补贴项目"), required=False)
    overdue = forms.BooleanField(label=_("只看已超过办理时限的"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [("", _("全部"))] + _programme_choices()


@require_capability(Capability.VIEW_PERSON)
@require_safe
def applications(request: HttpRequest) -> HttpResponse:
    """The applications of the user's regions by state, filtered by state and programme."""
    form = ApplicationFilter(request.GET)
    v = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    found = selectors.applications_for(request.user, state=v.get("state", ""),
                                       programme=v.get("programme", ""),
                                       overdue_on=today if v.get("overdue") else None)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    names = {p.key: p.name for p in policy.policies().programmes.values()}
    for app in page:
        app.programme_name = names.get(app.programme, app.programme)
        app.overdue = services.is_overdue(app, today)
        app.deadline_label = _deadline_label(app.state)
    return render(request, "benefits/applications.html", {
        "form": form, "page": page, "query": _query(request),
        "perms_handle": can(request.user, Capability.HANDLE_CASE)})


def _application_page(request: HttpRequest, app: Any, form: StepForm | None = None,
                      status: int = 200) -> HttpResponse:
    actions = selectors.actions_for(request.user, app)
    if form is None and actions:
        form = StepForm(actions=actions, initial={"day": timezone.localdate()})
    programme = policy.policies().programmes.get(app.programme)
    return render(request, "benefits/application.html", {
        "app": app, "steps": app.steps.all(), "form": form, "actions": actions,
        "programme_name": programme.name if programme else app.programme,
        "deadline_label": _deadline_label(app.state),
        "overdue": services.is_overdue(app, timezone.localdate()),
        "grant": BenefitGrant.objects.filter(application=app).first()}, status=status)


@require_capability(Capability.VIEW_PERSON)
@require_safe
def application(request: HttpRequest, pk: int) -> HttpResponse:
    """An application with its steps (who, when, note) and the actions available now."""
    app = selectors.application_for(request.user, pk)
    if app is None:
        raise Http404
    return _application_page(request, app)


@require_capability(Capability.VIEW_PERSON)
@require_POST
def application_step(request: HttpRequest, pk: int) -> HttpResponse:
    """Take one step on an application (the step's capability over its region); a
    refused step shows the page again with the error summary (status 400)."""
    app = selectors.application_for(request.user, pk)
    actions = selectors.actions_for(request.user, app) if app is not None else []
    if not actions:
        raise Http404
    form = StepForm(request.POST, actions=actions)
    if _submitted(form, lambda v: services.take_step(
            app, v["action"], day=v["day"], note=v["note"], actor=Actor.of(request.user),
            user=request.user)) is not None:
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



# ---------------------------------------------------------------------------
# Screening work items (筛查待办)


class ItemFilter(forms.Form):
    status = forms.ChoiceField(label=_("跟进状态"), required=False,
                               choices=[("", _("待跟进和已联系"))] + list(ItemStatus.choices))
    kind = forms.ChoiceField(label=_("类别"), required=False,
                             choices=[("", _("全部"))] + list(ItemKind.choices))
    programme = forms.ChoiceField(label=_("补贴项目"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [("", _("全部"))] + _programme_choices()


class FollowUpForm(ErrorSummaryMixin, forms.Form):
    status = forms.ChoiceField(label=_("跟进结果"))
    day = date_field(_("日期"))
    note = forms.CharField(label=_("说明"), max_length=500, required=False,
                           help_text=_("经核实不符合条件或关闭时必须填写理由"))

    def __init__(self, *args: Any, moves: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(m, ItemStatus(m).label) for m in moves or []]


@require_capability(Capability.VIEW_PERSON)
@require_safe
def screening_items(request: HttpRequest) -> HttpResponse:
    """The screening work items of the user's regions (the township's and the county's
    worklist), open and contacted first; the list read is audited."""
    form = ItemFilter(request.GET)
    v = form.cleaned_data if form.is_valid() else {}
    found = selectors.items_for(request.user, status=v.get("status", ""), kind=v.get("kind", ""),
                                programme=v.get("programme", ""))
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    names = {p.key: p.name for p in policy.policies().programmes.values()}
    for item in page:
        item.programme_name = names.get(item.programme, item.programme)
    services.record_items_read([item.pk for item in page], actor=Actor.of(request.user),
                               region_code=home_region_code(request.user))
    return render(request, "benefits/screening_items.html", {
        "form": form, "page": page, "query": _query(request),
        "may_follow_up": can(request.user, Capability.HANDLE_CASE)})


def _item_page(request: HttpRequest, item: Any, form: FollowUpForm | None = None,
               status: int = 200) -> HttpResponse:
    moves = sorted(services.ITEM_MOVES.get(item.status, ()), key=ItemStatus.values.index) \
        if can(request.user, Capability.HANDLE_CASE, item.region) else []
    if form is None and moves:
        form = FollowUpForm(moves=moves, initial={"day": timezone.localdate()})
    programme = policy.policies().programmes.get(item.programme)
    return render(request, "benefits/screening_item.html", {
        "item": item, "form": form if moves else None,
        "programme_name": programme.name if programme else item.programme}, status=status)


@require_capability(Capability.VIEW_PERSON)
@require_http_methods(["GET", "HEAD", "POST"])
def screening_item(request: HttpRequest, pk: int) -> HttpResponse:
    """One work item: who, why, the follow-up so far; the follow-up form (handle_case
    over the person's region)."""
    item = selectors.item_for(request.user, pk)
    if item is None:
        raise Http404
    if request.method != "POST":
        services.record_items_read([item.pk], actor=Actor.of(request.user),
                                   region_code=item.region_id)
        return _item_page(request, item)
    if not can(request.user, Capability.HANDLE_CASE, item.region):
        raise Http404
    form = FollowUpForm(request.POST, moves=list(services.ITEM_MOVES.get(item.status, ())))
    if _submitted(form, lambda v: services.follow_up(
            item, v["status"], day=v["day"], note=v["note"], actor=Actor.of(request.user),
            scope=_scope(request))) is not None:
        messages.success(request, _("已记录跟进情况。"))
        return redirect("benefits:screening_item", pk=item.pk)
    return _item_page(request, item, form, status=400)


# ---------------------------------------------------------------------------
# 公示: public, no sign-in


@never_cache
@require_safe
def publication(request: HttpRequest, code: str) -> HttpResponse:
    """The applications of a county in 公示 now, for anyone: the name masked (张*), the
    programme and the amount decided — nothing else about the person. Limited per
    client address (``core.ratelimit``, as the e-certificate verification): the masked
    names are still about real persons, so walking every county is slowed down."""
    if not ratelimit.allowed(request, "benefits-publication", settings.BENEFITS_PUBLICATION_LIMIT):
        response = render(request, "benefits/publication_throttled.html", status=429)
        response["Retry-After"] = str(ratelimit.WINDOW_SECONDS)
        return response
    try:
        county = resolve_region(code)
    except UnknownRegion:
        raise Http404 from None
    if county.level != RegionLevel.COUNTY:
        raise Http404
    names = {p.key: p.name for p in policy.policies().programmes.values()}
    rows = [{"name": mask_name(app.person.name), "programme": names.get(app.programme, app.programme),
             "amount": app.amount, "unit": app.unit}
            for app in selectors.published_in(county.short_code)]
    return render(request, "benefits/publication.html", {"county": county, "rows": rows})
