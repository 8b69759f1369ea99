"""``yangguang worker``: run background jobs (imports, the periodic jobs) until stopped.

Ctrl-C or SIGTERM stops it after the job it is running; a second one stops it at once,
that job ending as failed (interrupted, nothing of it kept) and open to retry.
"""

from __future__ import annotations

import logging
import sys

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.core.cli import TranslatedCommand
from yangguang.jobs.workers import Worker, new_worker_id


class Command(TranslatedCommand):
    help = gettext_lazy("运行后台任务（导入、定期任务），直到被停止（Ctrl-C 或 SIGTERM）。")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0,
                            help=_("没有任务时，每隔多少秒查看一次队列"))

    def handle(self, *args, interval: float, verbosity: int, **options):
        if verbosity:
            logger = logging.getLogger("yangguang.jobs")
            logger.addHandler(logging.StreamHandler(sys.stderr))
            logger.setLevel(logging.INFO)
            # Its own handler only: the root logger's console handler (settings.LOGGING)
            # would print every line a second time.
            logger.propagate = False
        # The library's worker says "starting" and "no more tasks" at every round.
        for name in ("django_tasks_db", "django_tasks", "django.tasks"):
            logging.getLogger(name).setLevel(logging.WARNING)
        worker_id = new_worker_id()
        self.stderr.write(_("后台任务进程已启动（{worker}）").format(worker=worker_id))
        Worker(worker_id=worker_id, interval=interval).serve()
