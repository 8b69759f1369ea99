"""The jobs app's own periodic job: the queue's finished tasks are pruned (the jobs,
which users see, are kept)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from yangguang.jobs.kinds import JobKind, register

#: Finished tasks older than this are deleted from the queue's table.
TASKS_KEPT_DAYS = 30


def prune_tasks(job: Any, context: Any) -> dict[str, Any]:
    """Delete the queue's tasks finished more than ``TASKS_KEPT_DAYS`` ago (idempotent)."""
    cutoff = timezone.now() - dt.timedelta(days=TASKS_KEPT_DAYS)
    deleted, _by_model = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return {"pruned": deleted}


register(JobKind("prune_tasks", _("清理任务队列"), prune_tasks, daily_at=dt.time(2, 0),
                 result_labels={"pruned": _("清理的队列记录")}))
