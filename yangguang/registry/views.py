"""Registry pages: search, the person page, forms, certificate actions, import, export.

Views parse the request, check the capability and call selectors (reads) and
services (writes). Every page about persons is scoped (a person outside the user's
regions is a 404) and sent with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, home_region_code, scope_regions
from yangguang.audit.services import Actor
from yangguang.core import stash
from yangguang.core.contributions import person_actions, person_sections_for
from yangguang.core.crypto import mask_id
from yangguang.core.errors import ValidationFailed
from yangguang.imports import spec as import_spec
from yangguang.imports import workbook as import_workbook
from yangguang.registry import exporting, rules, selectors, services, timeline, validation
from yangguang.registry.forms import (
    CANCEL_REASONS,
    FREEZE_REASONS,
    SEARCH_TOKEN,
    CertificateActionForm,
    DeathForm,
    ImportForm,
    MoveAwayForm,
    PersonForm,
    ReassessmentForm,
    RevealForm,
    SearchForm,
    add_problems,
)
from yangguang.registry.models import Category, ImportJob, Level, Person
from yangguang.registry.services import import_jobs

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _file_response(path: Path, filename: str) -> FileResponse:
    """Send a file we wrote for this response and delete it (the open handle keeps it)."""
    handle = open(path, "rb")  # noqa: SIM115 - closed by FileResponse
    path.unlink()
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


# ---------------------------------------------------------------------------
# Search and export


def _search_url(request: HttpRequest, data: Any) -> str:
    """The address of the search ``data`` describes: its criteria in the query string,
    except the full numbers, which are held under a token (``core.stash``)."""
    query = QueryDict(mutable=True)
    numbers = {}
    for name in SearchForm.CRITERIA:
        value = data.get(name, "")
        if value and name in SearchForm.NUMBERS:
            numbers[name] = value
        elif value:
            query[name] = value
    if numbers:
        query[SEARCH_TOKEN] = stash.put(request, numbers)
    return reverse("registry:search") + (f"?{query.urlencode()}" if query else "")


@never_cache
@require_capability(Capability.VIEW_PERSON)
@require_http_methods(["GET", "HEAD", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    """The search page. The form posts; the criteria move to the address of the results
    (so that they can be reloaded and paged), but full numbers never do."""
    if request.method == "POST" or any(request.GET.get(n) for n in SearchForm.NUMBERS):
        url = _search_url(request, request.POST if request.method == "POST" else request.GET)
        if _is_htmx(request):  # htmx fetches the results at that address into the page
            response = HttpResponse()
            response["HX-Location"] = json.dumps({"path": url, "target": "#results"})
            return response
        return redirect(url)
    data = request.GET.copy()
    token = data.get(SEARCH_TOKEN, "")
    numbers = stash.get(request, token) if token else {}
    for name, value in (numbers or {}).items():
        data[name] = value
    form = SearchForm(data)
    context: dict[str, Any] = {"form": form}
    if form.is_valid() and numbers is None:
        # Without its numbers the search would find far more than was asked for.
        form.add_error(None, _("查询已过期：证件号码只保留{minutes}分钟，请重新填写后查询。").format(
            minutes=stash.LIFETIME_SECONDS // 60))
    if form.is_valid():
        criteria = form.criteria()
        persons = selectors.search_persons(request.user, **criteria)
        page = selectors.page_of(selectors.with_display(persons),
                                 after=form.cleaned_data.get("after"),
                                 before=form.cleaned_data.get("before"))
        selectors.label_hukou_paths(page.items)
        count, capped = selectors.count_capped(persons)
        if criteria["id_number"] or criteria["certificate_number"]:
            services.record_search(criteria, [p.pk for p in page.items],
                                   actor=Actor.of(request.user),
                                   region_code=home_region_code(request.user))
        context |= {
            "page": page, "count": count, "capped": capped,
            "next_query": form.query(token, after=page.after) if page.after else "",
            "previous_query": form.query(token, before=page.before) if page.before else "",
            "export_region": _export_region(request.user, form.cleaned_data.get("region")),
        }
    if not _is_htmx(request):
        return render(request, "registry/search.html", context)
    if form.errors:
        # The error summary belongs at the top of the page: load the whole page.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = request.get_full_path()
        return response
    return render(request, "registry/includes/search_partial.html", context)


def _export_region(user: Any, region: Any) -> Any:
    """The region an export of this search covers: the one searched, or the user's only
    export region; None when the user may not export there (or must pick a region)."""
    if region is not None:
        return region if can(user, Capability.EXPORT, region) else None
    regions = scope_regions(user, Capability.EXPORT)
    return regions[0] if len(regions) == 1 else None


@require_capability(Capability.EXPORT)
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    """The persons of the current search (with an open certificate, living) as XLSX."""
    form = SearchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("导出条件有误，请先修改搜索条件。"))
        return redirect("registry:search")
    criteria = form.criteria()
    region = _export_region(request.user, criteria["region"])
    if region is None:
        messages.error(request, _("请先在搜索条件中填写您负责的一个地区，再导出。"))
        return redirect(_search_url(request, request.POST))
    persons = selectors.search_persons(request.user, capability=Capability.EXPORT, **criteria)
    described = {k: v for k, v in criteria.items() if v}
    described["region"] = region.code
    if criteria["id_number"]:
        described["id_number"] = mask_id(criteria["id_number"])
    if criteria["certificate_number"]:
        described["certificate_number"] = "…" + criteria["certificate_number"][-4:]
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as tmp:
        path = Path(tmp.name)
    filename = _("残疾人信息_{region}_{day}.xlsx").format(
        region=region.name, day=timezone.localdate().strftime("%Y%m%d"))
    exporting.export_persons(region.code, path, actor=Actor.of(request.user), persons=persons,
                             criteria=described, file_name=filename)
    return _file_response(path, filename)


# ---------------------------------------------------------------------------
# One person


def _abilities(user: Any, person: Any) -> dict[str, bool]:
    region = person.hukou_region
    return {
        "edit": can(user, Capability.EDIT_PERSON, region),
        "change": can(user, Capability.CHANGE_CERTIFICATE, region),
        "reveal": can(user, Capability.REVEAL_ID, region),
    }


@never_cache
@require_capability(Capability.VIEW_PERSON)
@require_safe
def person(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_person_for(request.user, pk)
    services.record_view(found, actor=Actor.of(request.user))
    selectors.label_hukou_paths([found])
    certificates = selectors.certificates_of(found)

    def may(capability: str) -> bool:  # (links other apps add: in the person's region)
        return can(request.user, capability, found.hukou_region)

    for certificate in certificates:
        certificate.components_text = _("、").join(
            _("{category}{level}").format(category=Category(c["category"]).label,
                                          level=Level(c["level"]).label)
            for c in certificate.components)
        certificate.links = person_actions("certificate", certificate, found, may)
    return render(request, "registry/person.html", {
        "person": found,
        "may": _abilities(request.user, found),
        "links": person_actions("person", found, found, may),
        "certificates": certificates,
        "assessments": list(found.assessments.order_by("-assessed_on")),
        "members": selectors.household_members(request.user, found),
        "household_statuses": selectors.household_statuses(request.user, found),
        "timeline": timeline.timeline(selectors.timeline_events(found)),
        "ethnicity": validation.ethnicities().get(found.ethnicity, found.ethnicity),
        "sections": person_sections_for(request, found),
    })


@never_cache
@require_capability(Capability.EDIT_PERSON)
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST if request.method == "POST" else None, user=request.user)
    existing = None
    if form.is_bound and form.is_valid():
        try:
            created = services.register_person(form.person_data, actor=Actor.of(request.user),
                                               scope=services.write_scope(request.user))
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
            if any(problem.code == "id_exists" for problem in exc.problems):
                existing = _registered_as(request, form.person_data.id_number.normalized)
        else:
            messages.success(request, _("已登记{name}。").format(name=created.name))
            return redirect("registry:person", pk=created.pk)
    return render(request, "registry/person_form.html", {"form": form, "existing": existing})


def _registered_as(request: HttpRequest, id_number: str) -> Person | None:
    """Who an ID number the user tried to register again belongs to, for a link to
    them: found like a search by that number (in the user's scope; the service says
    nothing more for others) and audited as one."""
    criteria = {"id_number": id_number}
    found = selectors.search_persons(request.user, **criteria).select_related("hukou_region").first()
    if found is not None:
        services.record_search(criteria, [found.pk], actor=Actor.of(request.user),
                               region_code=home_region_code(request.user))
    return found


@never_cache
@require_capability(Capability.EDIT_PERSON)
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_person_for(request.user, pk, Capability.EDIT_PERSON)
    certificate = None if found.deceased_date else services.current_certificate(found)
    form = PersonForm(request.POST if request.method == "POST" else None, user=request.user,
                      person=found, certificate=certificate)
    if not form.is_bound:  # the form shows the whole record: a view
        services.record_view(found, actor=Actor.of(request.user))
    if form.is_bound and form.is_valid():
        try:
            changed = services.update_person(found, form.person_data, actor=Actor.of(request.user),
                                             scope=services.write_scope(request.user))
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, _("已保存修改。") if changed or certificate
                             else _("没有需要保存的修改。"))
            return redirect("registry:person", pk=found.pk)
    return render(request, "registry/person_form.html", {"form": form, "person": found})


@never_cache
@require_capability(Capability.REVEAL_ID)
@require_http_methods(["GET", "POST"])
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the full ID number once, for a reason that goes into the audit log."""
    found = selectors.get_person_for(request.user, pk, Capability.REVEAL_ID)
    form = RevealForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            number = services.reveal_id_number(found, form.cleaned_data["reason"],
                                               actor=Actor.of(request.user))
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            return render(request, "registry/reveal_result.html",
                          {"person": found, "number": number})
    return render(request, "registry/reveal.html", {"form": form, "person": found})


# ---------------------------------------------------------------------------
# Certificate actions and death

_ACTIONS = {
    "cancel": (services.cancel_certificate, CANCEL_REASONS),
    "freeze": (services.freeze_certificate, FREEZE_REASONS),
    "restore": (services.restore_certificate, None),
}


@never_cache
@require_capability(Capability.CHANGE_CERTIFICATE)
@require_http_methods(["GET", "POST"])
def certificate_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in _ACTIONS:
        raise Http404
    certificate = selectors.get_certificate_for(request.user, pk, Capability.CHANGE_CERTIFICATE)
    change, reasons = _ACTIONS[action]
    form = CertificateActionForm(request.POST if request.method == "POST" else None,
                                 reasons=reasons)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        kwargs = {"reason": data["reason"]} if reasons else {}
        try:
            change(certificate, day=data["day"], note=data["note"], actor=Actor.of(request.user),
                   **kwargs)
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, _("已更新残疾人证{number}的状态。").format(
                number=certificate.number_masked))
            return redirect("registry:person", pk=certificate.person_id)
    return render(request, "registry/certificate_action.html", {
        "form": form, "certificate": certificate, "person": certificate.person, "action": action,
    })


@never_cache
@require_capability(Capability.CHANGE_CERTIFICATE)
@require_http_methods(["GET", "POST"])
def reassess(request: HttpRequest, pk: int) -> HttpResponse:
    """A change of category or level, on the assessment it rests on (a reviewer's action)."""
    found = selectors.get_person_for(request.user, pk, Capability.CHANGE_CERTIFICATE)
    certificate = None if found.deceased_date else services.current_certificate(found)
    form = ReassessmentForm(request.POST if request.method == "POST" else None)
    if certificate is not None and form.is_bound and form.is_valid():
        try:
            issued = services.reassess(found, form.reassessment, actor=Actor.of(request.user),
                                       scope=services.write_scope(request.user,
                                                                  Capability.CHANGE_CERTIFICATE))
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, _("已按重新评定结果发放残疾人证{number}。").format(
                number=issued.number_masked))
            return redirect("registry:person", pk=found.pk)
    return render(request, "registry/reassess.html",
                  {"form": form, "person": found, "certificate": certificate})


@never_cache
@require_capability(Capability.CHANGE_CERTIFICATE)
@require_http_methods(["GET", "POST"])
def move_away(request: HttpRequest, pk: int) -> HttpResponse:
    """Record (or withdraw) that the person's hukou moved out of the county without a
    transfer of the certificate: the daily job then freezes and cancels it."""
    found = selectors.get_person_for(request.user, pk, Capability.CHANGE_CERTIFICATE)
    scope = services.write_scope(request.user, Capability.CHANGE_CERTIFICATE)
    initial = {"day": found.moved_away_on.isoformat() if found.moved_away_on else "",
               "to_region": found.moved_to_region_id or ""}
    form = MoveAwayForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and "withdraw" in request.POST:
        try:
            services.record_move_away(found, None, actor=Actor.of(request.user), scope=scope)
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, _("已撤销{name}的户籍迁出登记。").format(name=found.name))
            return redirect("registry:person", pk=found.pk)
    elif form.is_bound and form.is_valid():
        try:
            move = rules.parse_move_away(form.cleaned_data, hukou_region=found.hukou_region_id,
                                         birth_date=found.birth_date)
            services.record_move_away(found, move, actor=Actor.of(request.user), scope=scope)
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            freeze_on, cancel_on = rules.moved_away_dates(move.day)
            messages.success(request, _(
                "已登记{name}户籍迁出。未办理迁移的，残疾人证将于{freeze}冻结、{cancel}注销。"
            ).format(name=found.name, freeze=freeze_on.isoformat(), cancel=cancel_on.isoformat()))
            return redirect("registry:person", pk=found.pk)
    dates = rules.moved_away_dates(found.moved_away_on) if found.moved_away_on else None
    return render(request, "registry/move_away.html",
                  {"form": form, "person": found, "dates": dates,
                   "policy": rules.certificate_policy()})


@never_cache
@require_capability(Capability.CHANGE_CERTIFICATE)
@require_http_methods(["GET", "POST"])
def death(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_person_for(request.user, pk, Capability.CHANGE_CERTIFICATE)
    form = DeathForm(request.POST if request.method == "POST" else None)
    if found.deceased_date is None and form.is_bound and form.is_valid():
        try:
            services.record_death(found, form.cleaned_data["day"], actor=Actor.of(request.user))
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            messages.success(request, _("已登记{name}死亡，其残疾人证已注销。").format(name=found.name))
            return redirect("registry:person", pk=found.pk)
    return render(request, "registry/death.html", {"form": form, "person": found})


# ---------------------------------------------------------------------------
# Import


@never_cache
@require_capability(Capability.EDIT_PERSON)
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    form = ImportForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    if form.is_bound and form.is_valid():
        try:
            job = import_jobs.start_import(request.user, form.cleaned_data.get("file"),
                                           dry_run=form.cleaned_data["dry_run"],
                                           kind=form.cleaned_data.get("kind") or "persons")
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            return redirect("registry:import_job", pk=job.pk)
    jobs = selectors.recent_imports(request.user, limit=10)
    for job in jobs:
        import_jobs.sync_status(job)
    return render(request, "registry/import.html", {
        "form": form, "jobs": jobs, "kinds": import_spec.kinds()})


def _job_for(request: HttpRequest, pk: Any) -> ImportJob:
    """The user's own import job; anyone else's is a 404."""
    job = get_object_or_404(ImportJob.objects.select_related("job"), pk=pk, user=request.user)
    import_jobs.sync_status(job)
    return job


@never_cache
@require_capability(Capability.EDIT_PERSON)
@require_safe
def import_job(request: HttpRequest, pk: Any) -> HttpResponse:
    job = _job_for(request, pk)
    if _is_htmx(request):
        if job.finished:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "registry/includes/import_progress.html",
                      {"job": job, "progress": import_jobs.progress(job)})
    return render(request, "registry/import_job.html", {
        "job": job, "progress": None if job.finished else import_jobs.progress(job),
        "has_report": job.finished and import_jobs.report_path(job).exists(),
        "can_confirm": import_jobs.can_confirm(job),
        "kind": _kind(job.kind),
    })


@require_capability(Capability.EDIT_PERSON)
@require_POST
def import_confirm(request: HttpRequest, pk: Any) -> HttpResponse:
    """「确认导入」: import the file of a finished dry run for real, without a second upload."""
    dry_run = _job_for(request, pk)
    try:
        job = import_jobs.confirm_import(request.user, dry_run)
    except ValidationFailed as exc:
        messages.error(request, exc.problems[0].message)
        return redirect("registry:import_job", pk=dry_run.pk)
    return redirect("registry:import_job", pk=job.pk)


def _kind(name: str) -> import_spec.ImportKind:
    try:
        return import_spec.get(name)
    except KeyError:
        raise Http404 from None


@never_cache
@require_capability(Capability.EDIT_PERSON)
@require_safe
def import_report(request: HttpRequest, pk: Any) -> HttpResponse:
    job = _job_for(request, pk)
    path = import_jobs.report_path(job)
    if not path.exists():
        raise Http404
    name = _("错误报告_{name}.xlsx").format(name=Path(job.file_name).stem)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name,  # noqa: SIM115
                        content_type=XLSX)


@require_capability(Capability.EDIT_PERSON)
@require_safe
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    found = _kind(kind)
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as tmp:
        path = Path(tmp.name)
    import_workbook.write_template(found, path)
    return _file_response(path, _("{label}导入模板.xlsx").format(label=found.label))

