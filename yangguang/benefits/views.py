"""Benefit pages: the policies in force where and since when, and the decisions on a
person's page (contributed to the registry's page through ``core.contributions``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import home_region_code
from yangguang.audit.services import Actor
from yangguang.benefits import policy, rules, selectors, services
from yangguang.core.forms import ErrorSummaryMixin
from yangguang.regions.selectors import UnknownRegion, resolve_region


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
    return render(request, "benefits/screening.html", {"form": form, "found": found, "more": more,
                                                       "limit": SCREENING_LIMIT})


def person_section(request: HttpRequest, person: Any) -> dict[str, Any]:
    """The decisions of every programme for ``person`` today (the person page's read is
    audited by the registry's page). Not shown when the person's household lies outside
    the user's scope: the reasons would tell its economic status, which is that
    region's data (as ``registry.selectors.household_statuses`` keeps it)."""
    on = timezone.localdate()
    if not selectors.household_visible(request.user, person):
        return {"on": on, "decisions": [], "household_elsewhere": True}
    return {"on": on, "decisions": rules.decide(person, on)}
