"""The plans' pages: the list of the plans that concern the user, and one plan with its
indicator table and task tree. Read-only; the plan files are the source of truth."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.plans import selectors


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
    return render(request, "plans/detail.html", {
        "plan": plan, "indicators": selectors.indicators(plan), "sections": selectors.task_tree(plan),
    })
