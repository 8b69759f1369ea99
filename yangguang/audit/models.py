"""Append-only, hash-chained audit events."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    CANCEL = "cancel", _("注销")
    IMPORT = "import", _("导入")
    EXPORT = "export", _("导出")
    VIEW = "view", _("查看")
    REVEAL = "reveal", _("查看完整身份号码")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    PERMISSION = "permission", _("权限变更")


class AuditEvent(models.Model):
    """One thing that happened. Rows are never updated or deleted.

    ``hash`` = SHA-256 over ``prev_hash`` and the event's canonical content, so
    altering or removing any event breaks every hash after it (within its segment,
    and a segment's seal in the main chain records its length and last hash).
    """

    occurred_at = models.DateTimeField(_("时间"), db_index=True)
    # No database constraint: the log must outlive any user row and cost no lookup per
    # insert. No index either: events are looked up by ``actor_name`` (indexed below),
    # which also covers failed sign-ins and system actors, and every import row pays
    # for each index.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.DO_NOTHING, null=True, blank=True,
        related_name="+", verbose_name=_("操作人"), db_constraint=False, db_index=False,
    )
    actor_name = models.CharField(_("操作人名称"), max_length=150)
    action = models.CharField(_("操作"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("对象类型"), max_length=40)
    object_id = models.CharField(_("对象编号"), max_length=40, blank=True)
    person_id = models.BigIntegerField(_("人员编号"), null=True, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Events of a long bulk job (an import) form a segment of their own, linked from
    # the segment's genesis and sealed into the main chain by one event at the end
    # (``audit.services.Segment``); "" for the main chain.
    segment = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["person_id", "id"]),
            models.Index(fields=["actor_name", "id"]),
            # The main chain's last event, however many segment events follow it.
            models.Index(fields=["-id"], condition=models.Q(segment=""), name="main_chain_tail"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.occurred_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit events are append-only")

    @property
    def data_text(self) -> str:
        """``data`` as compact JSON, Chinese kept readable (for pages and exports)."""
        return json.dumps(self.data, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
