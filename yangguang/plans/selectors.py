"""Reads of the plans app, always within the user's scope.

A plan concerns its own region and every region below it: a monitor sees the plans
of the regions they hold ``view_plans`` in, of the regions above them (a county's
monitor follows the province's and the prefecture's plans, which the county carries
out) and of the regions below them. Plans are public documents and name no person;
the scope keeps each user's list to the plans that concern them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_paths
from yangguang.plans.files import catalogue, unit_name
from yangguang.plans.models import Plan, PlanTask, TaskLevel, TaskProgress, TaskUnit, UnitRole


def _scope(user: Any) -> Q:
    paths = scope_paths(user, Capability.VIEW_PLANS)
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        parts = path.strip("/").split("/")
        above = ["/".join(parts[:n]) + "/" for n in range(1, len(parts))]
        q |= Q(region__path__startswith=path) | Q(region__path__in=above)
    return q


def visible_plans(user: Any) -> QuerySet[Plan]:
    return Plan.objects.filter(_scope(user)).select_related("region").order_by("region__code", "key")


def get_plan_for(user: Any, key: str) -> Plan:
    """The plan ``key`` if the user may see it; 404 otherwise, as for a plan that does
    not exist."""
    plan = visible_plans(user).filter(key=key).first()
    if plan is None:
        raise Http404
    return plan


def indicators(plan: Plan) -> list[Any]:
    """The plan's indicator rows, each with ``catalogue_name`` (or "" when reported by hand)
    and ``unit_name`` (the unit as printed, or its English name on English pages)."""
    entries = catalogue()
    rows = list(plan.indicators.order_by("row"))
    for row in rows:
        entry = entries.get(row.catalogue_key)
        row.catalogue_name = entry.name if entry else ""
        row.unit_name = unit_name(row.unit)
    return rows


@dataclass
class TaskNode:
    task: PlanTask
    depth: int
    units: dict[str, list[str]] = field(default_factory=dict)
    latest: TaskProgress | None = None

    @property
    def lead(self) -> list[str]:
        return self.units.get(UnitRole.LEAD, [])

    @property
    def participating(self) -> list[str]:
        return self.units.get(UnitRole.PARTICIPATING, [])

    @property
    def responsible(self) -> list[str]:
        return self.units.get(UnitRole.RESPONSIBLE, [])


@dataclass
class TaskSection:
    node: TaskNode
    rows: list[TaskNode] = field(default_factory=list)


def task_tree(plan: Plan, latest: dict[int, TaskProgress] | None = None) -> list[TaskSection]:
    """The plan's tasks in order, grouped by section, each with its depth, units and
    (given ``latest``, from ``latest_reports``) its latest progress report."""
    tasks = list(plan.tasks.order_by("position").prefetch_related(
        Prefetch("units", queryset=TaskUnit.objects.order_by("role", "position"))))
    depth: dict[int, int] = {}
    sections: list[TaskSection] = []
    for task in tasks:
        depth[task.pk] = 0 if task.parent_id is None else depth[task.parent_id] + 1
        node = TaskNode(task, depth[task.pk], latest=(latest or {}).get(task.pk))
        for unit in task.units.all():
            node.units.setdefault(unit.role, []).append(unit.name)
        if task.parent_id is None:
            sections.append(TaskSection(node))
        elif sections:
            sections[-1].rows.append(node)
    return sections


def task_count(plan: Plan) -> dict[str, int]:
    """How many tasks and sub-tasks the plan has, and how many name their units."""
    tasks = plan.tasks.exclude(parent=None)
    return {"tasks": tasks.count(), "with_units": tasks.filter(units__isnull=False).distinct().count()}


def progress_visible(user: Any) -> Q:
    """Progress reports of the regions in the user's scope (and below them)."""
    paths = scope_paths(user, Capability.VIEW_PLANS)
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        q |= Q(region__path__startswith=path)
    return q


def task_reports(user: Any, task: PlanTask) -> QuerySet[TaskProgress]:
    return (TaskProgress.objects.filter(progress_visible(user), task=task)
            .select_related("region", "reported_by").order_by("-reported_at", "-id"))


def latest_reports(user: Any, plan: Plan) -> dict[int, TaskProgress]:
    """The latest report the user may see on each task of ``plan``, by task id."""
    latest: dict[int, TaskProgress] = {}
    rows = (TaskProgress.objects.filter(progress_visible(user), task__plan=plan)
            .select_related("region").order_by("task_id", "-reported_at", "-id"))
    for report in rows:
        latest.setdefault(report.task_id, report)
    return latest


def get_task_for(user: Any, plan: Plan, task_id: int) -> PlanTask:
    task = plan.tasks.exclude(level=TaskLevel.SECTION).filter(pk=task_id).select_related("plan__region").first()
    if task is None:
        raise Http404
    return task


def task_units(task: PlanTask) -> dict[str, list[str]]:
    units: dict[str, list[str]] = {}
    for unit in task.units.order_by("role", "position"):
        units.setdefault(unit.role, []).append(unit.name)
    return {"lead": units.get(UnitRole.LEAD, []), "participating": units.get(UnitRole.PARTICIPATING, []),
            "responsible": units.get(UnitRole.RESPONSIBLE, [])}
