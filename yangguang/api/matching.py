"""/matching: a run's counts, the review queue with each candidate's comparisons, the
reviewer's decision, and the discrepancy reports (of one run, and of the user's regions)
— the pages' rules (``matching.selectors``, ``matching.services``, ``matching.reports``).

Candidates and findings name persons, so reading the queue or a page of findings is a
``view`` event with the ids returned; a decision is audited by the service, an XLSX
download by ``matching.exporting`` (an ``export`` event, as on the pages). A report's
counts name nobody and are not recorded. ID numbers appear masked only.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from yangguang.accounts.permissions import Capability
from yangguang.api.access import audit_view, existing_id, require
from yangguang.api.common import READ_ERRORS, WRITE_ERRORS, region_filter
from yangguang.api.errors import ApiError
from yangguang.api.pagination import NumberedPageQuery, Page, paginate_numbered
from yangguang.matching import exporting, reports, selectors, services
from yangguang.matching.models import Candidate, MatchRun

router = Router(tags=["matching"])


class RunSummary(Schema):
    id: int
    kind: str = Field(description="名单类型，如 deaths、dibao")
    department: str
    list_date: dt.date
    file_sha256: str
    rows: int
    matched_exact: int
    matched_probable: int
    review: int
    unmatched: int


class Level(Schema):
    comparison: str = Field(description="比较项：姓名、出生日期、性别、户籍地")
    label: str = Field(description="比较结果，如 拼音相同（同音字）")
    weight: float = Field(description="该项的匹配权重（对数似然比，以2为底）")


class CandidateOut(Schema):
    id: int
    run: int
    kind: str
    row: int = Field(description="名单中的行号（表头为第1行）")
    list_name: str
    person_id: int | None
    person_name: str
    match_type: str = Field(description="exact、probable、review 或 none")
    weight: float | None
    probability: float | None
    levels: list[Level]
    decision: str = Field(description="pending、confirmed 或 rejected")
    effect: str = Field(description="确认后的处理结果代码，如 applied、unchanged")


class DecisionIn(Schema):
    decision: Literal["confirm", "reject"]


def _candidate(c: Candidate) -> dict[str, Any]:
    return {"id": c.pk, "run": c.run_id, "kind": c.run.department_list.kind, "row": c.list_row.row,
            "list_name": c.list_row.name, "person_id": c.person_id,
            "person_name": c.person.name if c.person else "", "match_type": c.match_type,
            "weight": c.weight, "probability": c.probability, "levels": c.levels,
            "decision": c.decision, "effect": c.effect}


@router.get("/matching/runs/{run_id}", response={200: RunSummary, **READ_ERRORS}, summary="一次比对的结果")
def get_match_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    run = _run(request, run_id)
    kept = run.department_list
    return {"id": run.pk, "kind": kept.kind, "department": kept.department, "list_date": kept.list_date,
            "file_sha256": kept.sha256, **run.summary()}


@router.get("/matching/review", response={200: list[CandidateOut], **READ_ERRORS},
            summary="本辖区待复核的比对结果（按匹配权重从高到低，最多100条）")
def list_review_queue(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, Capability.REVIEW_MATCHES)
    queue = list(selectors.review_queue(request.user)[:100])
    audit_view(request, "match_candidate", ids=[c.pk for c in queue], query={"queue": "review"})
    return [_candidate(c) for c in queue]


@router.post("/matching/candidates/{candidate_id}/decision", response={200: CandidateOut, **WRITE_ERRORS},
             summary="确认或否决一条待复核的比对结果（确认后按名单类型处理登记）")
def decide_candidate(request: HttpRequest, candidate_id: int, payload: DecisionIn) -> dict[str, Any]:
    require(request, Capability.REVIEW_MATCHES)
    try:
        candidate = selectors.get_candidate_for(request.user, existing_id(candidate_id))
    except Candidate.DoesNotExist:
        raise ApiError(404, "not_found") from None
    decided = services.decide(candidate, confirm=payload.decision == "confirm", user=request.user)
    return _candidate(selectors.get_candidate_for(request.user, decided.pk))


# ---------------------------------------------------------------------------
# Discrepancy reports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CATEGORY_HELP = "差异类别：" + "、".join(reports.CATEGORIES)
Category = Literal[tuple(reports.CATEGORIES)]  # type: ignore[valid-type]


class CategoryCount(Schema):
    category: str = Field(description=CATEGORY_HELP)
    label: str
    count: int


class RegionCount(Schema):
    code: str = Field(description="县级区划代码（6位）；最后的合计行为空")
    name: str
    counts: dict[str, int] = Field(description="各差异类别的条数")
    total: int


class DiscrepancySummary(Schema):
    run: int | None = Field(description="比对编号；地区报告为 null")
    runs: list[int] = Field(description="报告依据的比对：一次比对，或地区报告中各类名单最近一次比对")
    categories: list[CategoryCount]
    regions: list[RegionCount] = Field(description="按县汇总，最后一行为合计")


class FindingOut(Schema):
    category: str = Field(description=CATEGORY_HELP)
    label: str
    region: str = Field(description="残疾人的户籍地区划代码；名单行未匹配到任何人时为名单上的区划代码")
    run: int | None = Field(description="发现该差异的比对；登记中已故仍在发放的为 null")
    row: int | None = Field(description="名单中的行号（表头为第1行）")
    list_name: str = Field(description="名单上的姓名")
    person_id: int | None
    person_name: str
    id_number_masked: str = Field(description="公民身份号码（遮蔽）")
    detail: str


class ReportFilter(Schema):
    region: str | None = Field(None, max_length=12, description="区划代码（6或12位），含其下级")


class FindingQuery(NumberedPageQuery, ReportFilter):
    category: Category | None = Field(None, description=CATEGORY_HELP)


def _within(found: list[reports.Finding], region: str | None, category: str | None = None
            ) -> list[reports.Finding]:
    prefix = region_filter(region, "region").short_code if region else ""
    return reports.within(found, category=category or "", region=prefix)


def _summary(found: list[reports.Finding], run: MatchRun | None, runs: list[MatchRun]) -> dict[str, Any]:
    counts = reports.by_region(found)
    keys = list(reports.CATEGORIES)
    return {"run": run.pk if run else None, "runs": [r.pk for r in runs],
            "categories": [{"category": key, "label": str(label), "count": n}
                           for (key, label), n in zip(reports.CATEGORIES.items(), counts[-1].counts,
                                                      strict=True)],
            "regions": [{"code": line.code, "name": line.name, "counts": dict(zip(keys, line.counts, strict=True)),
                         "total": line.total} for line in counts]}


def _finding(f: reports.Finding) -> dict[str, Any]:
    person = f.person
    return {"category": f.category, "label": str(f.label), "region": f.region,
            "run": f.run.pk if f.run else None, "row": f.row, "list_name": f.list_name,
            "person_id": person.pk if person else None, "person_name": person.name if person else "",
            "id_number_masked": person.id_number_masked if person else "", "detail": f.detail}


def _findings_page(request: HttpRequest, found: list[reports.Finding], query: FindingQuery,
                   object_type: str, obj: MatchRun | None, runs: list[MatchRun]) -> dict[str, Any]:
    page = paginate_numbered(request, _within(found, query.region, query.category), query,
                             lambda items: [_finding(f) for f in items])
    audit_view(request, object_type, obj, ids=sorted({f["person_id"] for f in page["results"]
                                                      if f["person_id"] is not None}),
               query={"category": query.category, "region": query.region, "page": query.page,
                      "runs": [r.pk for r in runs]})
    return page


def _run(request: HttpRequest, run_id: int) -> MatchRun:
    require(request, Capability.MATCH_LISTS)
    try:
        return selectors.get_run_for(request.user, existing_id(run_id))
    except MatchRun.DoesNotExist:
        raise ApiError(404, "not_found") from None


def _xlsx(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


XLSX_RESPONSE = {"responses": {"200": {"description": "XLSX：按县汇总，再每类差异一张表（身份号码遮蔽）",
                                       "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/matching/runs/{run_id}/discrepancies", response={200: DiscrepancySummary, **READ_ERRORS},
            summary="一次比对发现的差异：各类条数，按县汇总（仅限管辖范围）")
def get_run_discrepancies(request: HttpRequest, run_id: int, query: Query[ReportFilter]) -> dict[str, Any]:
    run = _run(request, run_id)
    return _summary(_within(reports.run_findings(request.user, run), query.region), run, [run])


@router.get("/matching/runs/{run_id}/discrepancies/findings", response={200: Page[FindingOut], **READ_ERRORS},
            summary="一次比对发现的差异明细（分页；记一条查看事件，含所列人员编号）")
def list_run_findings(request: HttpRequest, run_id: int, query: Query[FindingQuery]) -> dict[str, Any]:
    run = _run(request, run_id)
    return _findings_page(request, reports.run_findings(request.user, run), query, "match_run", run, [run])


@router.get("/matching/runs/{run_id}/discrepancies/xlsx", response={**READ_ERRORS},
            summary="一次比对发现的差异（XLSX，身份号码遮蔽；记一条导出事件）", openapi_extra=XLSX_RESPONSE)
def run_discrepancies_xlsx(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    name = f"discrepancies-run-{run.pk}.xlsx"
    buffer = io.BytesIO()
    exporting.export_discrepancies(request.user, run, buffer, file_name=name)
    return _xlsx(buffer.getvalue(), name)


@router.get("/matching/report", response={200: DiscrepancySummary, **READ_ERRORS},
            summary="本辖区的比对差异报告：各类名单最近一次比对及已故仍在发放，各类条数，按县汇总")
def get_discrepancy_report(request: HttpRequest, query: Query[ReportFilter]) -> dict[str, Any]:
    require(request, Capability.MATCH_LISTS)
    return _summary(_within(reports.region_findings(request.user), query.region), None,
                    reports.latest_runs(request.user))


@router.get("/matching/report/findings", response={200: Page[FindingOut], **READ_ERRORS},
            summary="本辖区的比对差异明细（分页；记一条查看事件，含所列人员编号）")
def list_report_findings(request: HttpRequest, query: Query[FindingQuery]) -> dict[str, Any]:
    require(request, Capability.MATCH_LISTS)
    return _findings_page(request, reports.region_findings(request.user), query, "match_report", None,
                          reports.latest_runs(request.user))


@router.get("/matching/report/xlsx", response={**READ_ERRORS},
            summary="本辖区的比对差异报告（XLSX，身份号码遮蔽；记一条导出事件）", openapi_extra=XLSX_RESPONSE)
def discrepancy_report_xlsx(request: HttpRequest) -> HttpResponse:
    require(request, Capability.MATCH_LISTS)
    name = f"discrepancy-report-{timezone.localdate().isoformat()}.xlsx"
    buffer = io.BytesIO()
    exporting.export_region_report(request.user, buffer, file_name=name)
    return _xlsx(buffer.getvalue(), name)
