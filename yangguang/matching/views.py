"""Data comparison pages: the lists (upload and match), a run (counts, the matches
of one's regions, discrepancies and their XLSX), the review queue (each candidate
with why, confirm or reject). Views parse the request, check the capability and call
selectors (scoped reads) and services (writes, audited)."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.core.errors import ValidationFailed
from yangguang.jobs import services as jobs
from yangguang.matching import changes as history
from yangguang.matching import effects, exchange, exporting, kinds, reports, selectors, services
from yangguang.matching.forms import DecisionForm, UploadForm
from yangguang.matching.jobs import upload_dir
from yangguang.matching.models import Candidate, MatchRun

SHOWN = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALLOWED_SUFFIXES = (".xlsx", ".xls", ".csv")
#: A file up to this size is matched within the upload's request; a larger one by a worker.
INLINE_BYTES = 2 << 20


def _store_upload(upload) -> Path:
    directory = upload_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
    with open(path, "wb") as f:
        for chunk in upload.chunks():
            f.write(chunk)
    return path


def _store_key(key: bytes, upload_path: Path) -> Path:
    """The exchange key beside the upload, readable by the platform's user only, until
    the job has run or ends without running (``matching.jobs`` deletes both): it is
    never kept."""
    path = upload_path.with_suffix(".key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(exchange.encode_key(key))
    return path


def _read_key(form: UploadForm) -> bytes | None:
    """The uploaded exchange key (None: none given); a form error when it is unusable."""
    upload = form.cleaned_data.get("key_file")
    if not upload:
        return None
    try:
        return exchange.parse_key(upload.read(4096))
    except exchange.ExchangeError as exc:
        form.add_error("key_file", str(exc))
        return None


@require_capability(Capability.MATCH_LISTS)
@require_http_methods(["GET", "POST"])
def lists(request: HttpRequest) -> HttpResponse:
    """The lists kept (newest first) with their latest run, and the upload form."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        key = _read_key(form)
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            form.add_error("file", _("文件“{value}”不是 XLSX、XLS 或 CSV 文件").format(value=upload.name))
        if not form.errors:
            return _submit(request, form, upload, key)
    rows = [(kept, kinds.get(kept.kind).label, selectors.runs_of(kept).first())
            for kept in selectors.lists()[:100]]
    return render(request, "matching/lists.html", {"form": form, "rows": rows, "kinds": kinds.KINDS})


def _submit(request: HttpRequest, form: UploadForm, upload: Any, key: bytes | None) -> HttpResponse:
    """Hand the upload to a ``match_list`` job: run here for a small file, by a worker
    for a large one (its progress on the jobs page)."""
    path = _store_upload(upload)
    day = form.cleaned_data["list_date"]
    params = {"path": str(path), "kind": form.cleaned_data["kind"],
              "department": form.cleaned_data["department"], "date": day.isoformat() if day else "",
              "file_name": upload.name}
    if key is not None:
        params["key_path"] = str(_store_key(key, path))
    queued = upload.size > INLINE_BYTES
    job = jobs.submit("match_list", owner=request.user, queue=queued, params=params)
    if queued:
        messages.info(request, _("名单较大，已交给后台任务比对，进度见后台任务。"))
        return redirect("jobs:detail", pk=job.pk)
    job = jobs.run(job.pk) or job
    result = job.result or {}
    if "run" in result:
        messages.success(request, _("名单已导入并比对。"))
        return redirect("matching:run", pk=result["run"])
    if result.get("key_missing"):
        messages.error(request, _("名单已导入，但身份号码是部门摘要：请把同一文件与交换密钥文件一起再上传一次。"))
        return redirect("matching:lists")
    if "rejected" not in result:  # the job failed (its reason on the job's page)
        messages.error(request, _("名单没有比对：原因见后台任务。"))
        return redirect("jobs:detail", pk=job.pk)
    messages.error(request, _("名单有{count}行有问题，没有导入：详见后台任务的记录。").format(
        count=result.get("rejected", 0)))
    return redirect("jobs:detail", pk=job.pk)


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
    findings = reports.run_findings(request.user, match_run)
    return render(request, "matching/run.html", {
        "run": match_run, "kind": kinds.get(match_run.department_list.kind),
        "candidates": [(c, effects.EFFECTS.get(c.effect, "")) for c in found.order_by("list_row__row")[:500]],
        **_report_context(findings), "previous": history.previous_run(request.user, match_run)})


def _report_context(findings: list[reports.Finding]) -> dict[str, Any]:
    """The per-region counts and each category's findings (the first 500) of a report."""
    return {"categories": list(reports.CATEGORIES.values()), "regions": reports.by_region(findings),
            "sections": [(key, label, [f for f in findings if f.category == key][:SHOWN])
                         for key, label in reports.CATEGORIES.items()]}


@require_capability(Capability.MATCH_LISTS)
@require_POST
def discrepancies_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's discrepancies in the user's regions, as XLSX (audited)."""
    match_run = _run_for(request, pk)
    filename = _("比对差异_{run}.xlsx").format(run=match_run.pk)
    return _xlsx(filename, lambda path: exporting.export_discrepancies(
        request.user, match_run, path, file_name=filename))


def _xlsx(filename: str, write: Any) -> HttpResponse:
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as tmp:
        path = Path(tmp.name)
    write(path)
    handle = open(path, "rb")  # noqa: SIM115 - closed by FileResponse
    path.unlink()
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


@require_capability(Capability.MATCH_LISTS)
@require_safe
def report(request: HttpRequest) -> HttpResponse:
    """The region report: the latest run of each list kind and the deceased persons
    still paid, counted per county, each finding listed."""
    findings = reports.region_findings(request.user)
    return render(request, "matching/report.html", {
        **_report_context(findings), "runs": [(r, kinds.get(r.department_list.kind).label)
                                              for r in reports.latest_runs(request.user)]})


@require_capability(Capability.MATCH_LISTS)
@require_POST
def report_xlsx(request: HttpRequest) -> HttpResponse:
    filename = _("比对差异报告_{day}.xlsx").format(day=timezone.localdate().isoformat())
    return _xlsx(filename, lambda path: exporting.export_region_report(
        request.user, path, file_name=filename))


@require_capability(Capability.MATCH_LISTS)
@require_safe
def run_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """What changed between an earlier run of the same kind (``since``; by default the
    one just before) and this one, in the user's regions."""
    match_run = _run_for(request, pk)
    earlier = history.earlier_runs(request.user, match_run)
    since = history.previous_run(request.user, match_run)
    if request.GET.get("since"):
        since = next((r for r in earlier if str(r.pk) == request.GET["since"]), None)
        if since is None:
            raise Http404
    found = history.compare(request.user, match_run, since) if since is not None else []
    return render(request, "matching/changes.html", {
        "run": match_run, "kind": kinds.get(match_run.department_list.kind), "since": since,
        "hashes_differ": since is not None and history.hashes_differ(match_run, since),
        "earlier": earlier, "changes": found[:1000], "total": len(found),
        "counts": {label: sum(1 for c in found if c.change == key)
                   for key, label in history.CHANGES.items()}})


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
