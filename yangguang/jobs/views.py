"""The jobs page: the user's background jobs (all of them for administrators), their
progress, result and log, and the cancel and retry buttons. Works without JavaScript
(the page refreshes itself while a job is active); htmx only swaps the table."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
from yangguang.jobs import kinds, selectors, services
from yangguang.jobs.models import Job

PAGE_SIZE = 25


def _shown(job: Job) -> dict[str, Any]:
    return {"job": job, "label": kinds.label(job.kind), "progress": services.progress(job),
            "result": kinds.result_items(job.kind, job.result),
            "cancelling": not job.ended and services.cancel_requested(job)}


@never_cache
@login_required
@require_safe
def job_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.jobs_visible_to(request.user), PAGE_SIZE).get_page(
        request.GET.get("page"))
    services.settle_interrupted(list(page.object_list))
    shown = [_shown(job) for job in page.object_list]
    return render(request, "jobs/list.html", {
        "page": page, "jobs": shown, "active": any(not s["job"].ended for s in shown),
        "others": selectors.sees_others_jobs(request.user),
    })


@never_cache
@login_required
@require_safe
def job_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    job = selectors.get_job_for(request.user, pk)
    services.settle_interrupted([job])
    return render(request, "jobs/detail.html", {
        "s": _shown(job), "job": job, "active": not job.ended,
        "others": selectors.sees_others_jobs(request.user)})


def _back(request: HttpRequest, job: Job) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        target = ""
    return redirect(target) if target else redirect("jobs:detail", pk=job.pk)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: Any) -> HttpResponse:
    job = selectors.get_job_for(request.user, pk)
    try:
        job = services.cancel(job, actor=Actor.of(request.user))
    except ValidationFailed as exc:
        messages.error(request, exc.problems[0].message)
    else:
        messages.success(request, _("任务已取消。") if job.ended
                         else _("已要求停止任务，它会在下一步停止，已做的改动全部撤销。"))
    return _back(request, job)


@login_required
@require_POST
def retry(request: HttpRequest, pk: Any) -> HttpResponse:
    job = selectors.get_job_for(request.user, pk)
    try:
        services.retry(job, actor=Actor.of(request.user))
    except ValidationFailed as exc:
        messages.error(request, exc.problems[0].message)
    else:
        messages.success(request, _("任务已重新排队，稍后由后台任务进程运行。"))
    return _back(request, job)
