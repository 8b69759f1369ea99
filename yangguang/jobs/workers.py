"""The worker process: django-tasks' database worker, plus what the library leaves to
us — the periodic jobs, and noticing jobs whose worker died.

Each worker keeps a heartbeat in the ``progress`` cache (host, process id, time) from
a thread that touches no database, so it beats while a job holds the database's locks.
A job's worker is gone when its heartbeat is older than
``YANGGUANG_JOBS_WORKER_TIMEOUT`` seconds or, on the same machine, its process no
longer exists (then it is known at once, as after ``kill -9``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, OperationalError, close_old_connections, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker as TaskWorker
from django_tasks_db.models import DBTaskResult

from yangguang.jobs import kinds
from yangguang.jobs.models import Job

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
RUN_JOB_PATH = "yangguang.jobs.tasks.run_job"


def new_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{get_random_string(8)}"


def this_process() -> str:
    """The worker id of a process that runs a job itself (a web request, a command)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:"


def _heartbeat_key(worker_id: str) -> str:
    return f"worker:{worker_id}"


def beat(worker_id: str) -> None:
    caches["progress"].set(_heartbeat_key(worker_id), time.time(),
                           settings.YANGGUANG_JOBS_WORKER_TIMEOUT * 2)


def alive(worker_id: str) -> bool:
    """Whether the worker ``worker_id`` (``host:pid:random``) is still running."""
    if not worker_id:
        return False
    host, _, rest = worker_id.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname()[:60] and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # someone else's process: it exists
            pass
        return True
    last = caches["progress"].get(_heartbeat_key(worker_id))
    return last is not None and time.time() - last < settings.YANGGUANG_JOBS_WORKER_TIMEOUT


def abandon_task(job_id: Any) -> None:
    """Mark failed the queue's task of a job whose worker died running it (the library
    would leave it "running" for ever)."""
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING,
                                          task_path=RUN_JOB_PATH)
    ids = [task.pk for task in running if task.args_kwargs.get("args") == [str(job_id)]]
    DBTaskResult.objects.filter(pk__in=ids).update(status=TaskResultStatus.FAILED,
                                                   finished_at=timezone.now())


def submit_due(now: dt.datetime | None = None) -> list[Any]:
    """Submit each periodic kind whose time has come today and that has not been
    submitted for today (a monthly kind: for this month); returns the jobs submitted. Safe to call from any number of
    workers at once: a job's slot is unique."""
    from yangguang.jobs import services

    now = timezone.localtime(now)
    submitted = []
    for kind in kinds.periodic():
        slot = kinds.slot_of(kind, now)
        if slot is None:
            continue
        if Job.objects.filter(slot=slot).exists():  # the usual case: no failed insert
            continue
        try:
            with transaction.atomic():
                submitted.append(services.submit(kind.name, slot=slot))
        except IntegrityError:  # submitted already, by this worker or another
            continue
    return submitted


class Worker(TaskWorker):
    """django-tasks' worker with our duties between its rounds: settle the jobs of dead
    workers, submit the periodic jobs that are due, keep our heartbeat."""

    def __init__(self, *, worker_id: str, interval: float = 1.0,
                 max_tasks: int | None = None) -> None:
        super().__init__(queue_names=["default"], interval=interval, batch=True,
                         backend_name="default", startup_delay=False, max_tasks=max_tasks,
                         worker_id=worker_id, excluded_queue_names=[])
        self.stop_beating = threading.Event()

    def _beat(self) -> None:
        while not self.stop_beating.wait(HEARTBEAT_SECONDS):
            beat(self.worker_id)

    def serve(self) -> None:
        """Run until stopped (SIGINT/SIGTERM: after the current job; a second one at
        once, the job failing as interrupted)."""
        from yangguang.jobs import services

        beat(self.worker_id)
        threading.Thread(target=self._beat, name="heartbeat", daemon=True).start()
        self.configure_signals()
        try:
            while self.running:
                close_old_connections()
                try:
                    services.settle_interrupted()
                    submit_due()
                except OperationalError as exc:  # SQLite busy with another's import
                    log.warning("worker duties postponed: %s", exc)
                self.run()  # every ready task, then back here
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                if self.running:
                    time.sleep(self.interval)
        finally:
            self.stop_beating.set()
