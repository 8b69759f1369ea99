"""Every write to a job: submit, run (claim, progress, log, end), cancel, retry.

A job's work runs in a worker process (``yangguang worker``), which receives the job's
id through django-tasks' database queue (``jobs.tasks.run_job``). While it runs, its
progress and any cancel request travel through the ``progress`` cache rather than the
job's row: an import holds SQLite's write lock (and PostgreSQL's locks on the
registry) for its whole transaction, and neither the worker nor a page may wait for it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import caches
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from yangguang.audit.services import Actor, record
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.jobs import kinds, workers
from yangguang.jobs.messages import encode
from yangguang.jobs.models import Job, JobState

log = logging.getLogger(__name__)

PROGRESS_TIMEOUT = 24 * 60 * 60

MESSAGES = {
    "job_not_cancellable": _("任务已经结束，不能取消"),
    "job_not_retryable": _("只有失败或已取消的任务可以重试"),
}


class Cancelled(Exception):
    """Raised inside a job's work when someone asked to cancel it."""


class JobFailed(Exception):
    """A job's work could not be done for a reason its user can act on; the message
    (a msgid marked with ``gettext_noop``, and its parameters) is shown on the jobs page
    in the reader's language (no personal data)."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.stored = encode(msgid, **params)


def _progress_key(job_id: Any) -> str:
    return f"job:{job_id}"


def _cancel_key(job_id: Any) -> str:
    return f"job-cancel:{job_id}"


def _line(stored: str) -> str:
    """A log line: the local time and a stored message (``jobs.messages``)."""
    return f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {stored}\n"


def append_log(job: Job, msgid: str, **params: Any) -> None:
    """Add a line to the job's log, outside any work transaction (a line written inside
    one would vanish with it): ``msgid`` (marked with ``gettext_noop``) and its
    parameters, translated when a page shows it. No personal data: administrators read
    job logs."""
    Job.objects.filter(pk=job.pk).update(log=Concat(F("log"), Value(_line(encode(msgid, **params)))))


class Context:
    """What a job's work is given: report progress (which also answers a cancel
    request by raising ``Cancelled``) and keep log lines for the end."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.lines: list[str] = []

    def progress(self, done: int, total: int | None) -> None:
        """``done`` of ``total`` (None: not known yet) units of work are done."""
        cache = caches["progress"]
        cache.set(_progress_key(self.job.pk), {"done": done, "total": total, "at": time.time()},
                  PROGRESS_TIMEOUT)
        if cache.get(_cancel_key(self.job.pk)):
            raise Cancelled

    def log(self, msgid: str, **params: Any) -> None:
        """A line for the job's log, written when the job ends (its work may hold the
        database's write lock until then): ``msgid`` (marked with ``gettext_noop``) and
        its parameters, which may be messages themselves (``jobs.messages.message``),
        translated when a page shows the line."""
        self.lines.append(_line(encode(msgid, **params)))


def progress(job: Job) -> dict[str, int | None]:
    """``{"done": …, "total": … or None}``: live while the job runs, else as it ended."""
    if job.state == JobState.RUNNING:
        latest = caches["progress"].get(_progress_key(job.pk)) or {}
        return {"done": latest.get("done", 0), "total": latest.get("total")}
    return {"done": job.progress_done, "total": job.progress_total}


def cancel_requested(job: Job) -> bool:
    return bool(caches["progress"].get(_cancel_key(job.pk)))


def submit(kind: str, *, owner: Any = None, region_id: str | None = None,
           params: dict[str, Any] | None = None, slot: str | None = None,
           queue: bool = True) -> Job:
    """Record a job of ``kind`` and queue it for a worker, in the caller's transaction
    (the queue is a table of the same database, so both commit or neither). With
    ``queue=False`` the caller runs it itself (``run``), as the import page does with a
    small file."""
    kinds.get(kind)  # an unknown kind fails here, not in the worker
    with transaction.atomic():
        job = Job.objects.create(kind=kind, owner=owner, region_id=region_id,
                                 params=params or {}, slot=slot)
        if queue:
            _enqueue(job)
    return job


def _enqueue(job: Job) -> None:
    from yangguang.jobs.tasks import run_job

    run_job.enqueue(str(job.pk))


def run(job_id: Any, *, worker: str | None = None) -> Job | None:
    """Run a queued job to its end in this process (``worker``: this process's worker
    id, by default one for the process); returns it, or None when it was no
    longer queued (cancelled meanwhile, or taken by another worker).

    Its state ends ``done`` with the work's result, ``failed`` with a message, or
    ``cancelled``; a forced stop of the process (a second Ctrl-C) marks it failed and
    goes on stopping. A process killed outright leaves it ``running`` until
    ``settle_interrupted`` notices its worker is gone.
    """
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=timezone.now(), finished_at=None, error="",
        attempts=F("attempts") + 1, worker=worker or workers.this_process())
    if not claimed:
        return None
    job = Job.objects.select_related("owner").get(pk=job_id)
    log.info("job %s (%s) started", job.pk, job.kind)
    context = Context(job)
    try:
        context.progress(0, None)
        job.result = kinds.get(job.kind).run(job, context) or {}
        job.state = JobState.DONE
    except Cancelled:
        job.state = JobState.CANCELLED
        context.log(gettext_noop("已按要求取消，没有写入任何数据"))
    except JobFailed as exc:
        job.state, job.error = JobState.FAILED, exc.stored
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        job.state = JobState.FAILED
        job.error = encode(gettext_noop("运行时发生了系统错误。可以重试；仍然失败请联系系统管理员。"))
    except BaseException:
        job.state = JobState.FAILED
        job.error = encode(gettext_noop("运行它的进程被停止，任务被中断。可以重试。"))
        raise
    finally:
        _end(job, context)
        log.info("job %s (%s) %s", job.pk, job.kind, job.state)
    return job


def _end(job: Job, context: Context) -> None:
    latest = caches["progress"].get(_progress_key(job.pk)) or {}
    job.progress_done, job.progress_total = latest.get("done") or 0, latest.get("total")
    job.finished_at = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        state=job.state, result=job.result, error=job.error, finished_at=job.finished_at,
        progress_done=job.progress_done, progress_total=job.progress_total,
        log=Concat(F("log"), Value("".join(context.lines))))
    caches["progress"].delete_many([_progress_key(job.pk), _cancel_key(job.pk)])


def cancel(job: Job, *, actor: Actor | Any) -> Job:
    """Cancel a queued job at once; ask a running one to stop (its work stops at its
    next progress report, and its transaction is rolled back)."""
    if job.ended:
        raise ValidationFailed([Problem(code="job_not_cancellable", field="",
                                        template=MESSAGES["job_not_cancellable"], params={})])
    caches["progress"].set(_cancel_key(job.pk), True, PROGRESS_TIMEOUT)
    with transaction.atomic():
        never_ran = Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
            state=JobState.CANCELLED, finished_at=timezone.now())
        if never_ran:
            caches["progress"].delete(_cancel_key(job.pk))
        record(actor, "cancel", "job", job.pk, data={"kind": job.kind})
    job.refresh_from_db()
    if never_ran:
        kinds.discard(job)
    return job


def retry(job: Job, *, actor: Actor | Any) -> Job:
    """Queue a failed or cancelled job again, with the same parameters."""
    settle_interrupted([job])
    if job.state not in (JobState.FAILED, JobState.CANCELLED):
        raise ValidationFailed([Problem(code="job_not_retryable", field="",
                                        template=MESSAGES["job_not_retryable"], params={})])
    with transaction.atomic():
        if Job.objects.filter(pk=job.pk, state__in=[JobState.FAILED, JobState.CANCELLED]).update(
                state=JobState.QUEUED, error="", finished_at=None,
                log=Concat(F("log"), Value(_line(encode(gettext_noop("重新排队运行")))))):
            _enqueue(job)
            record(actor, "retry", "job", job.pk, data={"kind": job.kind})
    caches["progress"].delete(_cancel_key(job.pk))
    job.refresh_from_db()
    return job


def settle_interrupted(jobs: list[Job] | None = None) -> int:
    """Mark failed the running jobs (of ``jobs``, else all) whose worker process is
    gone (killed, crashed, its machine restarted): their work was cut off, and a job
    that writes does so in one transaction, so nothing of it was kept. Pages call it on
    the jobs they show and workers on all, so no job stays "running" for ever.

    Returns how many were settled.
    """
    running = (Job.objects.filter(state=JobState.RUNNING) if jobs is None
               else [job for job in jobs if job.state == JobState.RUNNING])
    settled = 0
    for job in running:
        if workers.alive(job.worker):
            continue
        message = encode(gettext_noop("运行它的进程停止了（重启或崩溃），任务被中断，没有完成。可以重试。"))
        if Job.objects.filter(pk=job.pk, state=JobState.RUNNING, worker=job.worker).update(
                state=JobState.FAILED, error=message, finished_at=timezone.now(),
                log=Concat(F("log"), Value(_line(message)))):
            settled += 1
            caches["progress"].delete_many([_progress_key(job.pk), _cancel_key(job.pk)])
            workers.abandon_task(job.pk)
            kinds.discard(job)
        if isinstance(jobs, list):
            job.refresh_from_db()
    return settled
