"""The service loop's background jobs (``yangguang.jobs.kinds``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from yangguang.audit.services import Actor
from yangguang.jobs.kinds import JobKind, register
from yangguang.services.survey_needs import open_needs_from_surveys


def needs_from_survey(job: Any, context: Any) -> dict[str, Any]:
    """Open the needs of this year's and last year's surveys that are not yet open
    (idempotent: a second run opens none)."""
    year = timezone.localdate().year
    totals: dict[str, Any] = {}
    for survey_year in (year - 1, year):
        result = open_needs_from_surveys(survey_year, actor=Actor("job:" + job.kind))
        context.log(gettext_noop("{year}年度调查：新登记需求{opened}项，已有{already}项，不符合条件等{refused}项"),
                    year=survey_year, opened=result.opened, already=result.already,
                    refused=sum(result.refused.values()))
        for key, value in result.as_dict().items():
            totals[key] = totals.get(key, 0) + value
    return totals


register(JobKind("needs_from_survey", _("年度调查需求登记"), needs_from_survey,
                 daily_at=dt.time(2, 30), result_labels={
                     "opened": _("新登记的服务需求"), "already": _("已登记过的需求"),
                     "not_eligible": _("不符合资格条件"), "person_deceased": _("人员已死亡")}))
