"""A plan's monitoring and evaluation reports page: the form that asks for one (a
background job, ``analytics.jobs.plan_report``), the user's reports of the plan with
their progress, and their files (each download audited as an export). Permissioned
like the plan's page: ``view_plans`` and a plan that concerns the user."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from yangguang.accounts.decorators import require_capability
from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import home_region_code
from yangguang.analytics import evaluation, services
from yangguang.analytics.jobs import report_path
from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
from yangguang.jobs import services as jobs
from yangguang.jobs.models import Job, JobState
from yangguang.plans import progress
from yangguang.plans import selectors as plan_selectors
from yangguang.plans.forms import mark_fields, rule_select
from yangguang.plans.models import Plan
from yangguang.registry.forms import Form, add_problems

SHOWN = 20
FILES = {"docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
         "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")}


class ReportForm(Form):
    mandatory = frozenset({"kind"})

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["kind"] = rule_select(gettext_lazy("报告类型"), [
            ("", gettext_lazy("请选择")), *[(k, evaluation.kind_label(k)) for k in evaluation.KINDS]])
        years = reversed(progress.plan_years(plan))
        self.fields["year"] = rule_select(
            gettext_lazy("年度"), [("", "—"), *[(str(y), str(y)) for y in years]],
            help_text=gettext_lazy("只用于年度监测。中期评估截至{mid}年底，总结评估截至{end}年底。").format(
                mid=evaluation.midterm_year(plan), end=plan.end_year))
        mark_fields(self)

    def values(self) -> tuple[str, int | None]:
        data = self.cleaned_data
        year = (data.get("year") or "").strip()
        return data.get("kind") or "", int(year) if year.isdigit() else None


def _reports(user: Any, plan: Plan) -> list[dict[str, Any]]:
    shown = list(Job.objects.filter(kind="plan_report", owner=user, params__plan=plan.key)
                 .order_by("-created_at")[:SHOWN])
    jobs.settle_interrupted(shown)
    return [{"job": job, "kind": evaluation.kind_label(job.params["kind"]) if job.params.get("kind") in
             evaluation.KINDS else job.params.get("kind"), "year": job.params.get("year"),
             "progress": jobs.progress(job)} for job in shown]


@never_cache
@require_capability(Capability.VIEW_PLANS)
@require_http_methods(["GET", "POST"])
def reports(request: HttpRequest, key: str) -> HttpResponse:
    plan = plan_selectors.get_plan_for(request.user, key)
    form = ReportForm(request.POST if request.method == "POST" else None, plan=plan)
    if form.is_bound and form.is_valid():
        kind, year = form.values()
        try:
            year, as_of = evaluation.as_of_date(plan, kind, year)
        except ValidationFailed as exc:
            add_problems(form, exc.problems)
        else:
            jobs.submit("plan_report", owner=request.user, region_id=home_region_code(request.user) or None,
                        params={"plan": plan.key, "kind": kind, "year": year,
                                "language": translation.get_language()})
            messages.success(request, _("已开始生成报告，完成后可在下表下载。"))
            return redirect("analytics:reports", key=plan.key)
    shown = _reports(request.user, plan)
    return render(request, "analytics/reports.html", {
        "plan": plan, "form": form, "reports": shown, "active": any(not s["job"].ended for s in shown)})


@never_cache
@require_capability(Capability.VIEW_PLANS)
@require_safe
def report_file(request: HttpRequest, key: str, job_id: Any, fmt: str) -> HttpResponse:
    """The DOCX or XLSX file of one of the user's finished reports of the plan (audited
    as an export); 404 for anyone else's, or a report not finished."""
    plan = plan_selectors.get_plan_for(request.user, key)
    job = Job.objects.filter(pk=job_id, kind="plan_report", owner=request.user, params__plan=plan.key,
                             state=JobState.DONE).first()
    if job is None or fmt not in FILES:
        raise Http404
    content_type, suffix = FILES[fmt]
    path = report_path(job, suffix)
    if not path.exists():
        raise Http404
    services.record_report_export(Actor.of(request.user), plan, kind=job.params.get("kind"),
                                  year=job.params.get("year"), as_of=job.result.get("as_of"), fmt=fmt, job_id=job.pk)
    name = f"{plan.key}-{job.params.get('kind')}-{job.params.get('year')}{suffix}"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=content_type)
