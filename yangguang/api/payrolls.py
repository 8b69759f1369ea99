"""/payrolls: the monthly payrolls (``benefits.payroll``), as the pages.

Make a month's payroll of a region (``handle_case``; a draft, made again while a draft,
refused once approved), read it with its totals by region and its lines (``view_person``
over its region; the lines read are audited with the persons' ids), approve it
(``decide_case``; frozen from then on) and get the bank disbursement file (``export``).
The bank file is the one place the API gives full ID numbers: the bank credits the
一卡通 account by them; each file is an audited ``export`` event, as on the page.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can, scope_prefixes
from yangguang.api.access import actor, audit_view, existing_id, require
from yangguang.api.common import READ_ERRORS, WRITE_ERRORS, region_filter
from yangguang.api.errors import ApiError
from yangguang.api.pagination import Page, PageQuery, paginate
from yangguang.api.schemas import Input
from yangguang.benefits import payroll, selectors
from yangguang.benefits.models import Payroll, PayrollLine, PayrollState
from yangguang.benefits.services import problem
from yangguang.core.errors import ValidationFailed

router = Router(tags=["payrolls"])
MONTH = r"^\d{4}-\d{2}$"


class RegionTotal(Schema):
    code: str = Field(description="下一级区划代码（县的发放表按乡镇合计）")
    name: str
    persons: int = Field(description="发放人数")
    paid: float = Field(description="发放金额（元）：银行发放文件的合计")
    recover: float = Field(description="应追回（元）")
    withheld: int = Field(description="暂停发放的明细条数")


class Totals(Schema):
    persons: int
    paid: float
    recover: float
    withheld: int


class PayrollItem(Schema):
    id: int
    month: str = Field(description="发放月份 YYYY-MM")
    region: str = Field(description="区划代码（12位）")
    region_name: str
    state: Literal["draft", "approved"]
    state_label: str
    run_at: dt.datetime
    run_by: str
    approved_at: dt.datetime | None
    approved_by: str


class PayrollDetail(PayrollItem):
    totals: Totals
    regions: list[RegionTotal] = Field(description="按下一级地区合计")
    actions: list[str] = Field(description="当前可办理的操作：approve（审核）、run（重新生成）、"
                                           "bank_file（下载银行发放文件）")


class PayrollLineOut(Schema):
    id: int
    person_id: int
    grant_id: int
    region: str = Field(description="户籍地区划代码")
    programme: str
    kind: Literal["regular", "arrears", "backpay", "recovery", "withheld"] = Field(
        description="regular 当月 / arrears 补发 / backpay 补差 / recovery 追回（负数）/ withheld 暂停（0）")
    for_month: str = Field(description="所属月份 YYYY-MM")
    due: float | None = Field(description="应发（元）；金额待定（占位）时为 null")
    paid_before: float = Field(description="已由审核通过的发放表发放（元）")
    amount: float = Field(description="本次金额（元）")
    note: str


class PayrollIn(Input):
    month: str = Field(pattern=MONTH, description="发放月份 YYYY-MM")
    region: str = Field(max_length=12, description="区划代码（6或12位）")


class PayrollQuery(PageQuery):
    state: Literal["draft", "approved"] | None = Field(None, description="按状态筛选")


class BankFileQuery(Schema):
    format: Literal["xlsx", "csv"] = Field("xlsx", description="xlsx 或 csv")


def _item(p: Payroll) -> dict[str, Any]:
    return {"id": p.pk, "month": p.month.isoformat()[:7], "region": p.region_id,
            "region_name": p.region.name, "state": p.state,
            "state_label": str(PayrollState(p.state).label), "run_at": p.run_at,
            "run_by": p.run_by, "approved_at": p.approved_at, "approved_by": p.approved_by}


def _detail(request: HttpRequest, p: Payroll) -> dict[str, Any]:
    totals = payroll.totals_of(p)
    draft = p.state == PayrollState.DRAFT
    actions = [name for name, capability, allowed in (
        ("approve", Capability.DECIDE_CASE, draft), ("run", Capability.HANDLE_CASE, draft),
        ("bank_file", Capability.EXPORT, True)) if allowed and can(request.user, capability, p.region)]
    return _item(p) | {"totals": totals["total"], "regions": totals["regions"], "actions": actions}


def _line(line: PayrollLine) -> dict[str, Any]:
    return {"id": line.pk, "person_id": line.person_id, "grant_id": line.grant_id,
            "region": line.region_id, "programme": line.programme, "kind": line.kind,
            "for_month": line.for_month.isoformat()[:7],
            "due": float(line.due) if line.due is not None else None,
            "paid_before": float(line.paid_before), "amount": float(line.amount), "note": line.note}


def payroll_for(request: HttpRequest, payroll_id: int, capability: str = Capability.VIEW_PERSON) -> Payroll:
    require(request, capability)
    found = selectors.payroll_for(request.user, existing_id(payroll_id))
    if found is None or not can(request.user, capability, found.region):
        raise ApiError(404, "not_found")
    return found


def _scope(request: HttpRequest, capability: str) -> tuple[str, ...]:
    return tuple(scope_prefixes(request.user, capability))


@router.get("/payrolls", response={200: Page[PayrollItem], **READ_ERRORS},
            summary="发放表列表（分页，仅限管辖范围内地区的）")
def list_payrolls(request: HttpRequest, query: Query[PayrollQuery]) -> dict[str, Any]:
    require(request, Capability.VIEW_PERSON)
    rows = selectors.payrolls_for(request.user, state=query.state or "").order_by("id")
    return paginate(request, rows, query, lambda items: [_item(p) for p in items])


@router.post("/payrolls", response={201: PayrollDetail, **WRITE_ERRORS},
             summary="生成某月某地区的发放表（草稿；草稿重新生成时替换，已审核的拒绝）")
def run_payroll(request: HttpRequest, payload: PayrollIn) -> Status:
    require(request, Capability.HANDLE_CASE)
    try:
        month = payroll.parse_month(payload.month)
    except ValueError:
        raise ValidationFailed([problem("payroll_month", "month", value=payload.month)]) from None
    region = region_filter(payload.region, "region")
    made = payroll.run_payroll(month, region, actor=actor(request),
                               scope=_scope(request, Capability.HANDLE_CASE))
    return Status(201, _detail(request, selectors.payroll_for(request.user, made.pk)))


@router.get("/payrolls/{int:payroll_id}", response={200: PayrollDetail, **READ_ERRORS},
            summary="发放表：状态与按地区合计")
def get_payroll(request: HttpRequest, payroll_id: int) -> dict[str, Any]:
    return _detail(request, payroll_for(request, payroll_id))


@router.get("/payrolls/{int:payroll_id}/lines", response={200: Page[PayrollLineOut], **READ_ERRORS},
            summary="发放表明细（分页；记一条查看事件，含所列人员编号）")
def list_payroll_lines(request: HttpRequest, payroll_id: int, query: Query[PageQuery]) -> dict[str, Any]:
    found = payroll_for(request, payroll_id)
    page = paginate(request, found.lines.order_by("id"), query,
                    lambda items: [_line(line) for line in items])
    audit_view(request, "payroll", found, region_code=found.region_id,
               ids=sorted({line["person_id"] for line in page["results"]}),
               query={"page": query.page, "after": query.after})
    return page


@router.post("/payrolls/{int:payroll_id}/approve", response={200: PayrollDetail, **WRITE_ERRORS},
             summary="审核发放表（审核后冻结，所列金额计为已发放）")
def approve_payroll(request: HttpRequest, payroll_id: int) -> dict[str, Any]:
    found = payroll_for(request, payroll_id, Capability.DECIDE_CASE)
    payroll.approve_payroll(found, actor=actor(request), scope=_scope(request, Capability.DECIDE_CASE))
    return _detail(request, selectors.payroll_for(request.user, found.pk))


@router.get("/payrolls/{int:payroll_id}/bank-file", response={**READ_ERRORS},
            summary="银行发放文件（XLSX 或 CSV，含完整公民身份号码；需导出权限，记一条导出事件）",
            openapi_extra={"responses": {"200": {
                "description": "银行发放文件",
                "content": {payroll_content: {"schema": {"type": "string", "format": "binary"}}
                            for payroll_content in ("application/vnd.openxmlformats-officedocument"
                                                    ".spreadsheetml.sheet", "text/csv")}}}})
def payroll_bank_file(request: HttpRequest, payroll_id: int, query: Query[BankFileQuery]) -> HttpResponse:
    found = payroll_for(request, payroll_id, Capability.EXPORT)
    name = f"payroll-{found.region_id}-{found.month:%Y-%m}-{found.state}.{query.format}"
    if query.format == "xlsx":
        buffer: Any = io.BytesIO()
        payroll.export_payroll(found, buffer, "xlsx", actor=actor(request),
                               scope=_scope(request, Capability.EXPORT), file_name=name)
        body = buffer.getvalue()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        buffer = io.StringIO()
        payroll.export_payroll(found, buffer, "csv", actor=actor(request),
                               scope=_scope(request, Capability.EXPORT), file_name=name)
        body = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
