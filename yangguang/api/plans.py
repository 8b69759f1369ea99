"""/plans: the plans that concern the caller, their indicators and task trees, read-only.

The pages' rule (``plans.selectors``): a caller who holds ``view_plans`` nowhere gets
403; a plan outside their scope (neither their regions', nor above or below them) is
404 like a plan that does not exist. Plans are public documents naming no person, so
reads are not audited.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from yangguang.accounts.permissions import Capability
from yangguang.api.access import require
from yangguang.api.common import READ_ERRORS
from yangguang.api.errors import ApiError
from yangguang.api.schemas import RegionRef
from yangguang.api.serialize import region_ref
from yangguang.plans import selectors
from yangguang.plans.models import Plan

router = Router(tags=["plans"])

class PlanItem(Schema):
    key: str = Field(description="规划代码，如 wutai")
    title: str
    region: RegionRef = Field(description="辖区")
    start_year: int
    end_year: int
    baseline_year: int | None = Field(description="主要指标表的基期年；没有基期列时为 null")
    issuer: str
    document_number: str = Field(description="文号；原文未写时为空")
    issued_on: dt.date | None = Field(description="印发日期；原文未写时为 null")
    status: str = Field(description="文件状态，如 征求意见稿；正式印发的为空")


class Value(Schema):
    text: str = Field(description="原文，如 ＞80、≥97、0.75万、与全县地区生产总值增长同步；没有时为空")
    op: str = Field(description="运算符：= > ≥ < ≤，relative（相对目标），text（文字目标），空（无）")
    value: int | float | None = Field(description="数值（“万”已换算）；相对目标、文字目标或无值时为 null")


class Indicator(Schema):
    row: int
    number: str = Field(description="原文序号；正文中的目标为空")
    category: str
    wording: str = Field(description="指标，按原文")
    location: str = Field(description="在规划中的位置，如 专栏1、三(三)2")
    catalogue_key: str | None = Field(description="指标目录中的指标；手工填报的为 null")
    options: dict[str, Any] = Field(description="计算选项，如 severe_only")
    unit: str
    baseline: Value
    target: Value
    kind: str = Field(description="binding（约束性）、expected（预期性），或空（未标注）")
    accumulation: str = Field(description="point（时点值）、cumulative（规划期累计）、per_year（每年）")
    note: str


class PlanDetail(PlanItem):
    source: str = Field(description="原文文件")
    note: str
    indicators: list[Indicator]


class Task(Schema):
    id: int
    parent: int | None = Field(description="上级任务的 id；部分为 null")
    level: str = Field(description="section（部分）、task（任务）、subtask（子任务）")
    number: str = Field(description="编号，按原文")
    title: str
    lead_units: list[str] = Field(description="牵头单位")
    participating_units: list[str] = Field(description="参与单位")
    responsible_units: list[str] = Field(description="责任单位（原文不分牵头和参与时）")
    note: str


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _item(plan: Plan) -> dict[str, Any]:
    return {
        "key": plan.key, "title": plan.title, "region": region_ref(plan.region),
        "start_year": plan.start_year, "end_year": plan.end_year, "baseline_year": plan.baseline_year,
        "issuer": plan.issuer, "document_number": plan.document_number, "issued_on": plan.issued_on,
        "status": plan.status,
    }


def _plan(request: HttpRequest, key: str) -> Plan:
    require(request, Capability.VIEW_PLANS)
    try:
        return selectors.get_plan_for(request.user, key)
    except Http404:
        raise ApiError(404, "not_found") from None


@router.get("/plans", response={200: list[PlanItem], **READ_ERRORS}, summary="与本人所辖地区有关的规划")
def list_plans(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, Capability.VIEW_PLANS)
    return [_item(plan) for plan in selectors.visible_plans(request.user)]


@router.get("/plans/{key}", response={200: PlanDetail, **READ_ERRORS}, summary="规划详情及其主要指标")
def get_plan(request: HttpRequest, key: str) -> dict[str, Any]:
    plan = _plan(request, key)
    return {
        **_item(plan), "source": plan.source, "note": plan.note,
        "indicators": [{
            "row": i.row, "number": i.number, "category": i.category, "wording": i.wording,
            "location": i.location, "catalogue_key": i.catalogue_key or None, "options": i.options,
            "unit": i.unit, "kind": i.kind, "accumulation": i.accumulation, "note": i.note,
            "baseline": {"text": i.baseline_text, "op": i.baseline_op, "value": _number(i.baseline_value)},
            "target": {"text": i.target_text, "op": i.target_op, "value": _number(i.target_value)},
        } for i in selectors.indicators(plan)],
    }


@router.get("/plans/{key}/tasks", response={200: list[Task], **READ_ERRORS},
            summary="规划的重点任务（按原文顺序）及牵头、参与单位")
def list_plan_tasks(request: HttpRequest, key: str) -> list[dict[str, Any]]:
    plan = _plan(request, key)
    rows = []
    for section in selectors.task_tree(plan):
        for node in [section.node, *section.rows]:
            task = node.task
            rows.append({
                "id": task.pk, "parent": task.parent_id, "level": task.level, "number": task.number,
                "title": task.title, "lead_units": node.lead, "participating_units": node.participating,
                "responsible_units": node.responsible, "note": task.note,
            })
    return rows
