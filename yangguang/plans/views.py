"""The plans' pages: the list of the plans that concern the user, and one plan with its
indicator table and task tree. Read-only; the plan files are the source of truth."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can
from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
from yangguang.plans import progress, selectors, services
from yangguang.plans.forms import ProgressForm


@never_cache
@require_capability(Capability.VIEW_PLANS)
@require_safe
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = list(selectors.visible_plans(request.user))
    for plan in plans:
        plan.indicator_count = plan.indicators.count()
        plan.counts = selectors.task_count(plan)
    return render(request, "plans/list.html", {"plans": plans})


@never_cache
@require_capability(Capability.VIEW_PLANS)
@require_safe
def plan_detail(request: HttpRequest, key: str) -> HttpResponse:
    plan = selectors.get_plan_for(request.user, key)
    latest = selectors.latest_reports(request.user, plan)
    return render(request, "plans/detail.html", {
        "plan": plan, "indicators": selectors.indicators(plan),
        "sections": selectors.task_tree(plan, latest),
    })


@never_cache
@require_capability(Capability.VIEW_PLANS)
@require_http_methods(["GET", "POST"])
def task_progress(request: HttpRequest, key: str, task_id: int) -> HttpResponse:
    """A task's progress reports (those of the user's regions), and the form for a new
    one when the user may report for some region of the plan."""
    plan = selectors.get_plan_for(request.user, key)
    task = selectors.get_task_for(request.user, plan, task_id)
    may_report = (can(request.user, Capability.REPORT_PROGRESS)
                  and bool(progress.reporting_regions(request.user, task)))
    form = None
    if may_report:
        form = ProgressForm(request.POST if request.method == "POST" else None, task=task, user=request.user)
        if form.is_bound and form.is_valid():
            try:
                services.report_progress(request.user, task, form.data_for_services(),
                                         actor=Actor.of(request.user))
            except ValidationFailed as exc:
                form.show(exc.problems)
            else:
                messages.success(request, _("已保存进展报告。"))
                return redirect("plans:progress", key=plan.key, task_id=task.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "plans/progress.html", {
        "plan": plan, "task": task, "units": selectors.task_units(task), "form": form,
        "reports": selectors.task_reports(request.user, task),
    })
