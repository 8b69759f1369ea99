"""Survey pages: the form (one person, one year), the completion by region and the
export of those not yet surveyed. Views parse the request, check the capability and
call selectors (scoped reads) and services (writes, audited)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, scope_regions
from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
from yangguang.regions.models import Region
from yangguang.regions.selectors import UnknownRegion, ancestors, resolve_region
from yangguang.registry import selectors as registry
from yangguang.registry.services import record_view
from yangguang.survey import exporting, selectors, services
from yangguang.survey.forms import SurveyForm, initial_of
from yangguang.survey.rules import FIRST_YEAR

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(value: object, default: int) -> int:
    try:
        year = int(str(value))
    except (TypeError, ValueError):
        return default
    if not FIRST_YEAR <= year <= timezone.localdate().year:
        raise Http404
    return year


@never_cache
@require_capability(Capability.VIEW_PERSON)
@require_safe
def person_surveys(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's surveys, year by year, with links to record or change them."""
    person = registry.get_person_for(request.user, pk)
    record_view(person, actor=Actor.of(request.user))
    surveys = selectors.surveys_of(request.user, person)
    this_year = selectors.current_year()
    return render(request, "survey/person_surveys.html", {
        "person": person, "surveys": surveys, "this_year": this_year,
        "has_this_year": any(s.year == this_year for s in surveys),
        "may_edit": can(request.user, Capability.EDIT_PERSON, person.hukou_region),
    })


@never_cache
@require_capability(Capability.EDIT_PERSON)
@require_http_methods(["GET", "POST"])
def survey_form(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """Record or change the person's survey of ``year``: pre-filled from that year's
    survey, or else from the latest before it (without its date)."""
    person = registry.get_person_for(request.user, pk, Capability.EDIT_PERSON)
    year = _year(year, selectors.current_year())
    stored = selectors.survey_of(request.user, person, year)
    previous = None if stored else selectors.last_before(request.user, person, year)
    initial = initial_of(stored or previous)
    if stored is None:
        initial.pop("survey_date", None)
    form = SurveyForm(request.POST if request.method == "POST" else None, year=year,
                      initial=initial)
    if form.is_bound and form.is_valid():
        try:
            _survey, outcome = services.record_survey(
                person, form.data_for_services(), actor=Actor.of(request.user),
                scope=services.write_scope(request.user))
        except ValidationFailed as exc:
            form.show(exc.problems)
        else:
            messages.success(request, {
                services.CREATED: _("已录入{year}年调查。"),
                services.UPDATED: _("已保存{year}年调查的修改。"),
                services.UNCHANGED: _("{year}年调查没有需要保存的修改。"),
            }[outcome].format(year=year))
            return redirect("survey:person", pk=person.pk)
    return render(request, "survey/form.html", {
        "person": person, "form": form, "year": year, "stored": stored, "previous": previous,
    })


def _region_for(request: HttpRequest, code: str) -> Region:
    try:
        region = resolve_region(code)
    except UnknownRegion:
        raise Http404 from None
    if not can(request.user, Capability.VIEW_PERSON, region):
        raise Http404
    return region


@never_cache
@require_capability(Capability.VIEW_PERSON)
@require_safe
def completion(request: HttpRequest) -> HttpResponse:
    """Certified, surveyed and not yet, by region down to the village, for a year; and
    the first of those not yet surveyed, with the export of them all."""
    this_year = selectors.current_year()
    year = _year(request.GET.get("year"), this_year)
    code = request.GET.get("region", "")
    regions = scope_regions(request.user, Capability.VIEW_PERSON)
    if not code:
        if len(regions) != 1:
            return render(request, "survey/completion_index.html", {
                "regions": regions, "year": year,
                "years": range(this_year, FIRST_YEAR - 1, -1)})
        code = regions[0].code
    region = _region_for(request, code)
    result = selectors.completion(request.user, region, year)
    trail = [r for r in ancestors(region) if can(request.user, Capability.VIEW_PERSON, r)]
    return render(request, "survey/completion.html", {
        "completion": result, "region": region, "year": year, "trail": trail,
        "years": range(this_year, max(FIRST_YEAR, this_year - 9) - 1, -1),
        "waiting": selectors.not_surveyed_page(request.user, year, region),
        "may_export": can(request.user, Capability.EXPORT, region),
    })


@require_capability(Capability.EXPORT)
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    """Those not yet surveyed in a region and year, as the import's fill-in sheet."""
    year = _year(request.POST.get("year"), selectors.current_year())
    region = _region_for(request, request.POST.get("region", ""))
    if not can(request.user, Capability.EXPORT, region):
        raise Http404
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as tmp:
        path = Path(tmp.name)
    filename = _("未调查人员_{region}_{year}.xlsx").format(region=region.name, year=year)
    exporting.export_not_surveyed(request.user, year, region, path, file_name=filename)
    handle = open(path, "rb")  # noqa: SIM115 - closed by FileResponse
    path.unlink()
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)
