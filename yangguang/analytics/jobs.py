"""The analytics' background job (``yangguang.jobs.kinds``): a plan's monitoring or
evaluation report (``evaluation``), written as DOCX and XLSX for its owner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from yangguang.analytics import evaluation, evaluation_files
from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
from yangguang.jobs.kinds import JobKind, register
from yangguang.jobs.messages import message
from yangguang.jobs.services import JobFailed
from yangguang.plans.models import Plan

REPORT_DIR = "reports"


def report_path(job: Any, suffix: str) -> Path:
    """Where the report file of ``job`` (``.docx`` or ``.xlsx``) is kept."""
    directory = Path(settings.MEDIA_ROOT) / REPORT_DIR
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory / f"{job.pk.hex}{suffix}"


def plan_report(job: Any, context: Any) -> dict[str, Any]:
    """Build the report of ``params`` (plan, kind, year) for the owner's regions, in the
    language the owner asked in, and write it in both formats."""
    params = job.params
    owner = get_user_model().objects.get(pk=job.owner_id)
    plan = Plan.objects.filter(key=params["plan"]).select_related("region").first()
    if plan is None:
        raise JobFailed(gettext_noop("没有代码为 {key} 的规划"), key=params["plan"])
    with translation.override(params.get("language") or settings.LANGUAGE_CODE):
        context.progress(0, 4)
        try:
            year, as_of = evaluation.as_of_date(plan, params["kind"], params.get("year"))
            evaluation.ensure_results(plan, as_of, actor=Actor("job:" + job.kind))
            context.progress(1, 4)
            report = evaluation.build(plan, params["kind"], year, user=owner, actor=Actor("job:" + job.kind))
        except ValidationFailed as exc:
            raise JobFailed(gettext_noop("报告的参数不再有效：{reason}"), reason=exc.problems[0].message) from exc
        context.progress(2, 4)
        evaluation_files.write_docx(report, report_path(job, ".docx"))
        context.progress(3, 4)
        evaluation_files.write_xlsx(report, report_path(job, ".xlsx"))
        context.progress(4, 4)
    counts = report.status_counts
    result = {"indicators": len(report.indicators), "at_risk": counts["at_risk"] + counts["not_achieved"],
              "no_data": counts["no_data"], "regions": len(report.regions), "tasks_reported": report.tasks_reported}
    context.log(gettext_noop("{plan}：{kind}，截至{as_of}，指标{indicators}项，有风险或未实现{at_risk}项，无数据{no_data}项"),
                plan=plan.key, kind=message(evaluation.KINDS[params["kind"]]), as_of=as_of.isoformat(), **{
                    k: result[k] for k in ("indicators", "at_risk", "no_data")})
    return {**result, "as_of": as_of.isoformat()}


register(JobKind("plan_report", _("规划监测评估报告"), plan_report, result_labels={
    "indicators": _("指标"), "at_risk": _("有风险或未实现"), "no_data": _("无数据"), "regions": _("地区"),
    "tasks_reported": _("有进展报告的任务"), "as_of": _("截至日期")}))
