"""The benefits' periodic jobs (``yangguang.jobs.kinds``): every programme screened over
every province with registered persons, both lists turned into work items and the
open items no longer found closed (``services.screen_into_items``, idempotent) —
daily, and once a month in full (persons whose items were resolved come back when
still found)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from yangguang.audit.services import Actor
from yangguang.benefits import policy, services
from yangguang.jobs.kinds import JobKind, register
from yangguang.registry.models import Person


def screening_regions() -> list[str]:
    """The provinces (2-digit prefixes) where persons are registered."""
    return sorted(Person.objects.annotate(province=Substr("hukou_region_id", 1, 2))
                  .values_list("province", flat=True).distinct())


def screen_benefits(job: Any, context: Any, on: dt.date | None = None, *,
                    full: bool = False) -> dict[str, Any]:
    """Screen each programme in each province on today's date into work items."""
    on = on or timezone.localdate()
    actor = Actor("job:" + getattr(job, "kind", "screen_benefits"))
    regions = screening_regions()
    keys = list(policy.policies().programmes)
    total = {"created": 0, "seen": 0, "closed": 0}
    for i, key in enumerate(keys):
        for region in regions:
            done = services.screen_into_items(key, region, on, actor=actor, full=full)
            total = {name: total[name] + done[name] for name in total}
        context.progress(i + 1, len(keys))
    context.log(gettext_noop("筛查{programmes}个项目、{regions}个省：新增待办{created}件，仍在待办{seen}件，"
                             "关闭已不成立的待办{closed}件"),
                programmes=len(keys), regions=len(regions), **total)
    return total


def screen_benefits_full(job: Any, context: Any, on: dt.date | None = None) -> dict[str, Any]:
    """The monthly full screening: as the daily one, and persons whose items were
    resolved come back when still found."""
    return screen_benefits(job, context, on, full=True)


RESULT_LABELS = {"created": _("新增筛查待办"), "seen": _("仍在待办"),
                 "closed": _("关闭已不成立的待办")}
register(JobKind("screen_benefits", _("补贴筛查（主动发现、动态监管）"), screen_benefits,
                 daily_at=dt.time(3, 0), result_labels=RESULT_LABELS))
register(JobKind("screen_benefits_full", _("补贴每月全面筛查"), screen_benefits_full,
                 daily_at=dt.time(4, 0), monthly_on=1, result_labels=RESULT_LABELS))
