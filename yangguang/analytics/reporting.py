"""The rule of a value entered by hand: one function every path (the form, and any
import or API to come) calls before ``services.enter_hand_value`` writes.

Two kinds of row take a value by hand: a row the catalogue does not compute (「人工
填报」), and a row with a relative target, whose comparison value (the region's GDP
growth, say) the responsible unit enters. The value is for one region (the plan's or
one below it down to township, in the user's scope for reporting) and one year of the
plan; its source, the date of the figure and the unit are required, an evidence file
(PDF, image, spreadsheet or document up to 10 MB) optional.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext_lazy as _

from yangguang.analytics.selectors import result_code
from yangguang.core import text
from yangguang.core.errors import Problem
from yangguang.plans import progress
from yangguang.plans.models import Operator, Plan, PlanIndicator
from yangguang.regions.models import Region, RegionLevel
from yangguang.registry.validation import clean_text

SOURCE_MAX = 200
UNIT_MAX = 100
VALUE_LIMIT = Decimal("1e12")
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".xlsx", ".xls", ".docx", ".doc", ".ofd")
#: The choice of a relative row's comparison value: ``"<row>:compared"``.
COMPARED = ":compared"


@dataclass(frozen=True)
class HandValueData:
    entry: str  # "<row>" for a row reported by hand, "<row>:compared" for a comparison value
    region: str  # a 6- or 12-digit code
    year: int | None
    value: str
    source: str
    reported_on: dt.date | None
    unit: str
    evidence_name: str = ""
    evidence_size: int = 0


def entries(plan: Plan) -> list[tuple[str, PlanIndicator, bool]]:
    """The rows of ``plan`` that take a value by hand: (choice, row, is the comparison value)."""
    out = []
    for ind in plan.indicators.order_by("row"):
        if ind.by_hand:
            out.append((str(ind.row), ind, False))
        elif ind.target_op == Operator.RELATIVE:
            out.append((f"{ind.row}{COMPARED}", ind, True))
    return out


def regions(user: Any, plan: Plan) -> list[Region]:
    """The regions ``user`` may enter values for on ``plan``, down to township."""
    return [r for r in progress.plan_regions(user, plan) if r.level <= RegionLevel.TOWNSHIP]


def parse_value(raw: str) -> Decimal | None:
    """A finite decimal within ±10^12 with at most six decimal places, or None."""
    try:
        value = Decimal(clean_text(raw).replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or abs(value) >= VALUE_LIMIT or value.as_tuple().exponent < -6:
        return None
    return value


def check(user: Any, plan: Plan, data: HandValueData, *, today: dt.date | None = None
          ) -> tuple[list[Problem], dict[str, Any]]:
    """Every problem of ``data`` (empty when good), and what to store: the row, whether
    it is the comparison value, the region's code, the value."""
    today = today or dt.date.today()
    problems: list[Problem] = []
    found: dict[str, Any] = {}
    chosen = {choice: (ind, compared) for choice, ind, compared in entries(plan)}
    if data.entry not in chosen:
        problems.append(Problem("hand_value_row", "entry", _("请选择本规划中人工填报或相对目标的指标")))
    else:
        found["indicator"], found["compared_with"] = chosen[data.entry]
    allowed = {r.code: r for r in regions(user, plan)}
    region = allowed.get((data.region or "").strip().ljust(12, "0"))
    if region is None:
        problems.append(Problem("hand_value_region", "region", _("您不能为这个地区填报本规划的指标")))
    else:
        found["region_code"] = result_code(region)
    if data.year not in progress.plan_years(plan, today):
        problems.append(Problem("hand_value_year", "year", _("填报年度应在规划期内，且不晚于今年")))
    value = parse_value(data.value)
    if not (data.value or "").strip():
        problems.append(Problem("hand_value_missing", "value", _("请填写指标值")))
    elif value is None:
        problems.append(Problem("hand_value_invalid", "value",
                                _("指标值应为数字（绝对值小于一万亿，最多六位小数）：{value}"),
                                {"value": data.value[:40]}))
    else:
        found["value"] = value
    for name, raw, limit in (("source", data.source, SOURCE_MAX), ("unit", data.unit, UNIT_MAX)):
        if not (raw or "").strip():
            problems.append(Problem(f"hand_value_{name}_missing", name,
                                    _("请填写数据来源") if name == "source" else _("请填写填报单位")))
        elif len(raw) > limit or not text.is_clean(raw):
            problems.append(Problem("hand_value_text", name, _("不能超过{n}个字，且不能含控制字符"), {"n": limit}))
    if data.reported_on is None:
        problems.append(Problem("hand_value_date_missing", "reported_on", _("请填写数据日期（YYYY-MM-DD）")))
    elif data.reported_on > today:
        problems.append(Problem("hand_value_date_future", "reported_on", _("数据日期不能晚于今天")))
    if data.evidence_name:
        if PurePath(data.evidence_name).suffix.lower() not in EVIDENCE_TYPES:
            problems.append(Problem("hand_value_evidence_type", "evidence",
                                    _("佐证材料应为 PDF、图片、表格或文档（{types}）"),
                                    {"types": "、".join(EVIDENCE_TYPES)}))
        elif data.evidence_size > EVIDENCE_MAX_BYTES:
            problems.append(Problem("hand_value_evidence_size", "evidence", _("佐证材料不能超过 10 MB")))
    return problems, found
