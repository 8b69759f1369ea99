"""The benefits' periodic job (``yangguang.jobs.kinds``): every programme screened over
every province with registered persons, both lists turned into work items
(``services.screen_into_items``, idempotent)."""

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


def screen_benefits(job: Any, context: Any, on: dt.date | None = None) -> dict[str, Any]:
    """Screen each programme in each province on today's date into work items."""
    on = on or timezone.localdate()
    actor = Actor("job:" + getattr(job, "kind", "screen_benefits"))
    regions = screening_regions()
    keys = list(policy.policies().programmes)
    total = {"created": 0, "seen": 0}
    for i, key in enumerate(keys):
        for region in regions:
            done = services.screen_into_items(key, region, on, actor=actor)
            total = {name: total[name] + done[name] for name in total}
        context.progress(i + 1, len(keys))
    context.log(gettext_noop("筛查{programmes}个项目、{regions}个省：新增待办{created}件，仍在待办{seen}件"),
                programmes=len(keys), regions=len(regions), **total)
    return total


register(JobKind("screen_benefits", _("补贴筛查（主动发现、动态监管）"), screen_benefits,
                 daily_at=dt.time(3, 0),
                 result_labels={"created": _("新增筛查待办"), "seen": _("仍在待办")}))
