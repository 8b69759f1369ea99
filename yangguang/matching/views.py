"""Data comparison pages: the lists (upload and match), a run (counts, the matches
of one's regions, discrepancies and their XLSX), the review queue (each candidate
with why, confirm or reject). Views parse the request, check the capability and call
selectors (scoped reads) and services (writes, audited)."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.core.errors import ValidationFailed
from yangguang.jobs import services as jobs
from yangguang.matching import effects, exporting, kinds, selectors, services
from yangguang.matching.forms import DecisionForm, UploadForm
from yangguang.matching.models import Candidate, MatchRun

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_DIR = "matching"
ALLOWED_SUFFIXES = (".xlsx", ".xls", ".csv")
#: A file up to this size is matched within the upload's request; a larger one by a worker.
INLINE_BYTES = 2 << 20


def _store_upload(upload) -> Path:
    directory = Path(settings.MEDIA_ROOT) / UPLOAD_DIR
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
    with open(path, "wb") as f:
        for chunk in upload.chunks():
            f.write(chunk)
    return path


@require_capability(Capability.MATCH_LISTS)
@require_http_methods(["GET", "POST"])
def lists(request: HttpRequest) -> HttpResponse:
    """The lists kept (newest first) with their latest run, and the upload form."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            form.add_error("file", _("文件“{value}”不是 XLSX、XLS 或 CSV 文件").format(value=upload.name))
        else:
            path = _store_upload(upload)
            day = form.cleaned_data["list_date"]
            job = jobs.submit("match_list", owner=request.user, queue=upload.size > INLINE_BYTES, params={
                "path": str(path), "kind": form.cleaned_data["kind"],
                "department": form.cleaned_data["department"], "date": day.isoformat() if day else "",
                "file_name": upload.name})
            if upload.size > INLINE_BYTES:
                messages.info(request, _("名单较大，已交给后台任务比对。"))
                return redirect("jobs:list")
            job = jobs.run(job.pk) or job
            result = job.result or {}
            if "run" in result:
                messages.success(request, _("名单已导入并比对。"))
                return redirect("matching:run", pk=result["run"])
            messages.error(request, _("名单有{count}行有问题，没有导入：详见后台任务的记录。").format(
                count=result.get("rejected", 0)))
            return redirect("jobs:list")
    rows = [(kept, kinds.get(kept.kind).label, selectors.runs_of(kept).first())
            for kept in selectors.lists()[:100]]
    return render(request, "matching/lists.html", {"form": form, "rows": rows, "kinds": kinds.KINDS})


def _run_for(request: HttpRequest, pk: int) -> MatchRun:
    try:
        return selectors.get_run_for(request.user, pk)
    except MatchRun.DoesNotExist:
        raise Http404 from None


@require_capability(Capability.MATCH_LISTS)
@require_safe
def run(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's counts, then the matches and discrepancies within the user's regions."""
    match_run = _run_for(request, pk)
    found = selectors.candidates_visible_to(request.user).filter(run=match_run).select_related(
        "list_row", "person")
    return render(request, "matching/run.html", {
        "run": match_run, "kind": kinds.get(match_run.department_list.kind),
        "candidates": [(c, effects.EFFECTS.get(c.effect, "")) for c in found.order_by("list_row__row")[:500]],
        "discrepancies": [(c, effects.EFFECTS.get(c.effect, ""))
                          for c in selectors.discrepancies(request.user, match_run)[:500]],
        "unknown_to_registry": selectors.unknown_to_registry(request.user, match_run)[:500],
        "unknown_to_department": selectors.unknown_to_department(request.user, match_run)[:500]})


@require_capability(Capability.MATCH_LISTS)
@require_POST
def discrepancies_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's discrepancies in the user's regions, as XLSX (audited)."""
    match_run = _run_for(request, pk)
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as tmp:
        path = Path(tmp.name)
    filename = _("比对差异_{run}.xlsx").format(run=match_run.pk)
    exporting.export_discrepancies(request.user, match_run, path, file_name=filename)
    handle = open(path, "rb")  # noqa: SIM115 - closed by FileResponse
    path.unlink()
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


@require_capability(Capability.REVIEW_MATCHES)
@require_safe
def review(request: HttpRequest) -> HttpResponse:
    """Candidates waiting for review in the user's regions, each with its comparisons."""
    queue = selectors.review_queue(request.user)[:100]
    return render(request, "matching/review.html", {
        "queue": [(c, kinds.get(c.run.department_list.kind)) for c in queue]})


@require_capability(Capability.REVIEW_MATCHES)
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        candidate = selectors.get_candidate_for(request.user, pk)
    except Candidate.DoesNotExist:
        raise Http404 from None
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择确认或否决"))
        return redirect("matching:review")
    confirm = form.cleaned_data["decision"] == "confirm"
    try:
        decided = services.decide(candidate, confirm=confirm, user=request.user)
    except ValidationFailed as exc:
        messages.error(request, "；".join(p.message for p in exc.problems))
    else:
        if confirm:
            messages.success(request, _("已确认第{row}行与{name}匹配：{effect}").format(
                row=decided.list_row.row, name=candidate.person.name,
                effect=effects.EFFECTS.get(decided.effect, decided.effect)))
        else:
            messages.success(request, _("已否决第{row}行与{name}的匹配。").format(
                row=decided.list_row.row, name=candidate.person.name))
    return redirect("matching:review")
