"""Background jobs: what was asked, by whom, for which region, and how it went.

The queue itself is django-tasks' database backend (``django_tasks_db``): a job is
delivered to a worker as a task carrying only the job's id. This record is what users
see and act on (progress, result, log, retry, cancel); see ``docs/architecture.md``
for why the queue is django-tasks.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yangguang.jobs.messages import render


class JobState(models.TextChoices):
    QUEUED = "queued", _("等待运行")
    RUNNING = "running", _("正在运行")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


#: States a job does not leave unless someone retries it.
ENDED = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class Job(models.Model):
    """One run of a job kind (``jobs.kinds``), from submission to its end.

    ``params`` are the kind's arguments; ``result`` is what it reports at the end,
    ``log`` its lines (no personal data: both are shown to administrators). Live
    progress while it runs is in the ``progress`` cache (an import holds SQLite's
    write lock, so the row cannot be written then); ``progress_done`` and
    ``progress_total`` keep the last figures once it has ended.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=50)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("提交人"),
    )
    region = models.ForeignKey(
        "regions.Region", models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("地区"),
    )
    params = models.JSONField(_("参数"), default=dict, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=JobState.choices,
                             default=JobState.QUEUED)
    progress_done = models.PositiveBigIntegerField(_("已完成"), default=0)
    progress_total = models.PositiveBigIntegerField(_("总数"), null=True, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    log = models.TextField(_("日志"), blank=True)
    attempts = models.PositiveIntegerField(_("运行次数"), default=0)
    worker = models.CharField(_("运行进程"), max_length=100, blank=True)
    #: For a periodic job, its kind and due slot (``expire_certificates@2026-12-05``):
    #: unique, so however many workers schedule it, it is submitted once.
    slot = models.CharField(_("周期时段"), max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["-created_at"]),
            models.Index(fields=["state"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.state}"

    @property
    def ended(self) -> bool:
        return self.state in ENDED

    @property
    def log_lines(self) -> list[str]:
        """The log's lines, each message in the active language (``jobs.messages``)."""
        return [f"{line[:19]} {render(line[20:])}" if line[19:20] == " " else render(line)
                for line in self.log.splitlines()]

    @property
    def error_message(self) -> str:
        """Why the job failed, in the active language."""
        return render(self.error)
