"""The one task the queue carries: run job ``job_id`` (see ``jobs.services.run``)."""

from __future__ import annotations

from django_tasks import task
from django_tasks.base import TaskContext


@task(takes_context=True)
def run_job(context: TaskContext, job_id: str) -> None:
    from yangguang.jobs import services

    services.run(job_id, worker=context.task_result.worker_ids[-1])
