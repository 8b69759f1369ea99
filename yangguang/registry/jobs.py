"""The registry's background jobs (``yangguang.jobs.kinds``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from yangguang.audit.services import Actor
from yangguang.jobs.kinds import JobKind, register
from yangguang.registry import services
from yangguang.registry.services import import_jobs


def expire_certificates(job: Any, context: Any) -> dict[str, Any]:
    """Certificates past their validity become expired (idempotent: a second run the
    same day finds none)."""
    expired = services.expire_certificates(timezone.localdate(), actor=Actor("job:" + job.kind))
    context.log(gettext_noop("到期的残疾人证：{count}本"), count=expired)
    return {"expired": expired}


def apply_moves_away(job: Any, context: Any) -> dict[str, Any]:
    """Certificates of holders whose hukou moved away without a transfer: frozen, then
    cancelled, on the days computed from the move (idempotent)."""
    done = services.apply_moves_away(timezone.localdate(), actor=Actor("job:" + job.kind))
    context.log(gettext_noop("户籍迁出未迁移：冻结{frozen}本，注销{cancelled}本"), **done)
    return done


register(JobKind("import", _("批量导入"), import_jobs.run_import_job, result_labels={
    "rows": _("文件中的数据行"), "created": _("新登记"), "updated": _("已更新"),
    "unchanged": _("没有变化"), "rejected": _("有问题未导入")}))
register(JobKind("expire_certificates", _("残疾人证到期处理"), expire_certificates,
                 daily_at=dt.time(1, 0), result_labels={"expired": _("到期的残疾人证")}))
register(JobKind("moved_away_certificates", _("户籍迁出未迁移的残疾人证处理"), apply_moves_away,
                 daily_at=dt.time(1, 0), result_labels={"frozen": _("冻结的残疾人证"),
                                                        "cancelled": _("注销的残疾人证")}))
