"""Every write of the plans app.

``load_plans`` loads the plan files into the database in one transaction, after
checking all of them (``plans.files``): a bad file writes nothing. Loading is
idempotent: a plan whose file has not changed since it was last loaded (same SHA-256)
is left alone, so ``make run`` calls it every time at no cost. A changed file updates
its plan in place: indicators by row, tasks by position, the units of each task
replaced; each created or changed plan is one audit event.

``report_progress`` records a unit's progress report on a task, after
``progress.check``, with its audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core.errors import ValidationFailed
from yangguang.plans import progress
from yangguang.plans.files import PlanFileError, PlanSpec, plan_files, read_all
from yangguang.plans.models import Plan, PlanIndicator, PlanTask, TaskProgress, TaskUnit
from yangguang.plans.progress import ProgressData


@dataclass(frozen=True)
class LoadResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


def load_plans(paths: list[Path] | None = None, *, actor: Actor | None = None) -> LoadResult:
    """Load the plan files (all of ``plans/data/plans/`` by default) in one transaction."""
    specs = read_all(plan_files() if paths is None else paths)
    actor = actor or Actor("system:plans")
    created, updated, unchanged = [], [], []
    existing = {p.key: p for p in Plan.objects.filter(key__in=[s.plan["key"] for s in specs])}
    with transaction.atomic():
        for spec in specs:
            key = spec.plan["key"]
            plan = existing.get(key)
            if plan is not None and plan.file_hash == spec.digest:
                unchanged.append(key)
                continue
            (created if plan is None else updated).append(key)
            _write(spec, plan, actor)
    return LoadResult(created, updated, unchanged)


def _keep_reported(spec: PlanSpec, tasks: dict[int, PlanTask]) -> None:
    """Refuse a file that would move, rename or drop a task with progress reports (they
    would silently belong to another task, or be deleted with it)."""
    reported = set(TaskProgress.objects.filter(task__in=tasks.values()).values_list("task_id", flat=True))
    problems = []
    for position, task in tasks.items():
        if task.pk not in reported:
            continue
        new = spec.tasks[position - 1] if position <= len(spec.tasks) else None
        if new is None or (new["number"], new["title"]) != (task.number, task.title):
            problems.append(_("{file}：tasks[{n}]：任务「{task}」已有进展报告，不能移动、改名或删除").format(
                file=spec.path.name, n=position, task=f"{task.number}{task.title}"))
    if problems:
        raise PlanFileError(problems)


def _write(spec: PlanSpec, plan: Plan | None, actor: Actor) -> None:
    is_new = plan is None
    if plan is None:
        plan = Plan(key=spec.plan["key"])
    for name, value in spec.plan.items():
        setattr(plan, name, value)
    plan.file_hash = spec.digest
    plan.save()
    # Indicators by row.
    rows = {i.row: i for i in plan.indicators.all()}
    for data in spec.indicators:
        indicator = rows.pop(data["row"], None) or PlanIndicator(plan=plan)
        for name, value in data.items():
            setattr(indicator, name, value)
        indicator.save()
    PlanIndicator.objects.filter(pk__in=[i.pk for i in rows.values()]).delete()
    # Tasks by position; a task's parent is written before it. A task that has progress
    # reports keeps its number and title: the file may not move, rename or drop it.
    tasks = {t.position: t for t in plan.tasks.all()}
    _keep_reported(spec, tasks)
    written: list[PlanTask] = []
    for position, data in enumerate(spec.tasks, start=1):
        task = tasks.pop(position, None) or PlanTask(plan=plan, position=position)
        task.parent = written[data["parent"]] if data["parent"] is not None else None
        for name in ("level", "number", "title", "line", "note"):
            setattr(task, name, data[name])
        task.save()
        written.append(task)
    PlanTask.objects.filter(pk__in=[t.pk for t in tasks.values()]).delete()
    TaskUnit.objects.filter(task__plan=plan).delete()
    TaskUnit.objects.bulk_create([
        TaskUnit(task=task, role=role, name=name, position=n)
        for task, data in zip(written, spec.tasks, strict=True)
        for n, (role, name) in enumerate(data["units"], start=1)
    ])
    record(actor, AuditAction.CREATE if is_new else AuditAction.UPDATE, "plan", plan.pk,
           region_code=plan.region_id,
           data={"key": plan.key, "file": spec.path.name, "sha256": spec.digest,
                 "indicators": len(spec.indicators), "tasks": len(spec.tasks)})


def report_progress(user: Any, task: PlanTask, data: ProgressData, *, actor: Actor) -> TaskProgress:
    """Record a progress report on ``task`` (checked by ``progress.check``; audited).

    Raises ``ValidationFailed`` with every problem; nothing is written then."""
    problems, region = progress.check(user, task, data)
    if problems:
        raise ValidationFailed(problems)
    with transaction.atomic():
        report = TaskProgress.objects.create(
            task=task, region=region, year=data.year, unit=data.unit.strip(), status=data.status,
            summary=data.summary.strip(), problems=(data.problems or "").strip(),
            reported_by=user if getattr(user, "pk", None) else None)
        record(actor, AuditAction.CREATE, "task_progress", report.pk, region_code=region.code,
               data={"plan": task.plan.key, "task": f"{task.number}{task.title}", "year": data.year,
                     "unit": report.unit, "status": report.status})
    return report
