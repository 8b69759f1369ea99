"""The ``household-statuses`` import kind: periods of a household's economic status
(低保, 特困 …), as civil affairs lists them, for households already registered.

A small kind on the shared import's plain row path: each column's parser, the row's
data object, a check across rows (the same period twice in a file), the household's
region as the scope, and the write through ``services.set_household_status``.
Importing a file again changes nothing: a period already stored is ``unchanged``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.imports import spec
from yangguang.imports.running import Context
from yangguang.registry import services
from yangguang.registry import validation as v
from yangguang.registry.models import Household, HouseholdStatus

#: File content: the statuses' Chinese names whatever the UI language.
STATUS_NAMES = {"dibao": "低保", "near_dibao": "低保边缘", "tekun": "特困",
                "low_income": "低收入", "poverty_exited": "脱贫户", "monitored": "防止返贫监测户"}
_STATUS_BY_NAME = {name: code for code, name in STATUS_NAMES.items()}
START_LABEL = _("开始日期")
END_LABEL = _("结束日期")
MESSAGES = {
    "status_unknown": _("经济状况“{value}”无法识别：应为{choices}之一"),
    "household_unknown": _("家庭编号“{value}”尚未登记：请先导入或登记该家庭的人员"),
    "end_before_start": _("结束日期{end}早于开始日期{start}"),
    "period_duplicate_in_file": _("与第{row}行的家庭经济状况重复"),
}


def _problem(code: str, field: str, **params: Any) -> Problem:
    return Problem(code, field, MESSAGES[code], params)


def _status(cell: Any) -> str:
    text = v.clean_text(cell)
    code = _STATUS_BY_NAME.get(text, text if text in STATUS_NAMES else None)
    if code is None:
        raise ValidationFailed([_problem("status_unknown", "status", value=text,
                                         choices="、".join(STATUS_NAMES.values()))])
    return code


@dataclass(frozen=True)
class Period:
    household: Household
    status: str
    start_date: dt.date
    end_date: dt.date | None

    @property
    def key(self) -> tuple[str, str, dt.date]:
        return (self.household.number, self.status, self.start_date)


class HouseholdStatusesKind(spec.ImportKind):
    name = "household-statuses"
    label = _("家庭经济状况")
    sheet = "家庭经济状况"
    capability = Capability.EDIT_PERSON
    region_key = "household_number"
    columns = (
        spec.Column("household_number", "家庭编号", True, _("与残疾人信息中的家庭编号一致"),
                    parse=v.parse_household_number, text=True, width=16),
        spec.Column("status", "经济状况", True, _("低保、低保边缘、特困、低收入、脱贫户或防止返贫监测户"),
                    parse=_status, choices=tuple(STATUS_NAMES.values())),
        spec.Column("start_date", "开始日期", True, _("如2021-03-05、2021/3/5或20210305"),
                    parse=lambda cell: v.parse_date(cell, field="start_date", label=START_LABEL),
                    date=True, width=12),
        spec.Column("end_date", "结束日期", False, _("仍在享受的不填"),
                    parse=lambda cell: v.parse_date(cell, field="end_date", label=END_LABEL,
                                                    allow_future=True),
                    date=True, width=12),
    )

    def make(self, values: dict[str, Any], context: Context) -> Period:
        start, end = values["start_date"], values["end_date"]
        if end is not None and end < start:
            raise ValidationFailed([_problem("end_before_start", "end_date",
                                             start=start.isoformat(), end=end.isoformat())])
        household = Household.objects.filter(number=values["household_number"]).first()
        if household is None:
            raise ValidationFailed([_problem("household_unknown", "household_number",
                                             value=values["household_number"])])
        return Period(household, values["status"], start, end)

    def region_of(self, data: Period) -> str:
        return data.household.region_id

    def check(self, rows: list[spec.Row], context: Context) -> None:
        first_row = context.seen.setdefault("periods", {})
        for row in rows:
            first = first_row.setdefault(row.data.key, row.number)
            if first != row.number:
                row.problems.append(_problem("period_duplicate_in_file", "status", row=first))

    def write(self, row: spec.Row, context: Context) -> spec.Outcome:
        period: Period = row.data
        if HouseholdStatus.objects.filter(
                household=period.household, status=period.status,
                start_date=period.start_date, end_date=period.end_date).exists():
            return spec.Outcome.UNCHANGED
        services.set_household_status(period.household, period.status, period.start_date,
                                      period.end_date, actor=context.actor)
        return spec.Outcome.CREATED


HOUSEHOLD_STATUSES = HouseholdStatusesKind()
