"""The ``providers`` import kind: the service-resources database (服务资源库) from a
spreadsheet, on the shared import's plain row path.

A row is a provider, keyed by its region and name: a provider already stored is
changed to the row (``updated``) or left alone when nothing differs (``unchanged``),
so importing a file again changes nothing. The write is ``actions.save_provider``,
the same as the provider form's and the API's.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.imports import spec
from yangguang.imports.running import Context
from yangguang.registry import validation as v
from yangguang.services import actions
from yangguang.services.models import Provider, ProviderKind, ProviderStatus, ServiceKind

#: File content: Chinese names whatever the UI language (codes are accepted too).
KIND_NAMES = {str(k): str(label) for k, label in ProviderKind.choices}
SERVICE_NAMES = {str(k): str(label) for k, label in ServiceKind.choices}
STATUS_NAMES = {str(k): str(label) for k, label in ProviderStatus.choices}
_SPLIT = re.compile(r"[、，,；;/\s]+")
MESSAGES = {
    "provider_kind_unknown": _("机构类型“{value}”无法识别：应为{choices}之一"),
    "service_kind_unknown": _("服务类型“{value}”无法识别：应为{choices}之一"),
    "status_unknown": _("状态“{value}”无法识别：应为{choices}之一"),
    "capacity_invalid": _("服务能力“{value}”应为不小于0的整数"),
    "provider_duplicate_in_file": _("与第{row}行是同一地区的同名机构"),
}


def _problem(code: str, field: str, **params: Any) -> Problem:
    return Problem(code, field, MESSAGES[code], params)


def _coded(names: dict[str, str], code: str, field: str, text: str) -> str:
    by_name = {name: key for key, name in names.items()}
    found = by_name.get(text, text if text in names else None)
    if found is None:
        raise ValidationFailed([_problem(code, field, value=text,
                                         choices="、".join(names.values()))])
    return found


def parse_kind(cell: Any) -> str:
    return _coded(KIND_NAMES, "provider_kind_unknown", "kind", v.clean_text(cell))


def parse_services(cell: Any) -> list[str]:
    text = v.clean_text(cell)
    # 「如康家园/残疾人之家」 is one provider kind, but no service name holds a separator.
    return sorted({_coded(SERVICE_NAMES, "service_kind_unknown", "kinds", part)
                   for part in _SPLIT.split(text) if part})


def parse_status(cell: Any) -> str:
    return _coded(STATUS_NAMES, "status_unknown", "status", v.clean_text(cell))


def parse_counties(cell: Any) -> list[str]:
    """The neighbouring counties' codes (checked as counties; the provider's own county is
    dropped when the row is saved, ``actions.service_counties``)."""
    parts = [part for part in _SPLIT.split(v.clean_text(cell)) if part]
    return actions.service_counties(parts, "")


def parse_capacity(cell: Any) -> int:
    text = v.clean_text(cell)
    try:
        number = float(text)
    except ValueError:
        number = -1
    # 'inf', 'nan' and '1e400' read as floats that are no count of persons.
    if not math.isfinite(number) or number < 0 or number != int(number):
        raise ValidationFailed([_problem("capacity_invalid", "capacity", value=text)])
    return int(number)


class ProvidersKind(spec.ImportKind):
    name = "providers"
    label = _("服务机构")
    sheet = "服务机构"
    capability = Capability.MANAGE_PROVIDERS
    region_key = "region"
    columns = (
        spec.Column("name", "机构名称", True, _("机构的全称，同一地区内不重复"),
                    parse=lambda cell: _text(cell, "name", _("机构名称"), 100), width=28),
        spec.Column("kind", "机构类型", True, _("康复机构、残疾儿童康复定点机构、辅助器具服务中心等"),
                    parse=parse_kind, choices=tuple(KIND_NAMES.values()), width=22),
        spec.Column("region", "所在地区划代码", True,
                    _("地市、县级（6位或12位）或乡镇级（12位）区划代码"),
                    parse=lambda cell: actions.provider_region(v.clean_text(cell)),
                    text=True, width=16),
        spec.Column("kinds", "服务类型", True, _("提供的服务，多项用顿号“、”分隔"),
                    parse=parse_services, width=30,
                    accepted="、".join(SERVICE_NAMES.values())),
        spec.Column("capacity", "服务能力（人）", True, _("可同时服务的人数或床位数"),
                    parse=parse_capacity, width=12),
        spec.Column("designated_from", "认定日期", False, _("如2021-03-05；未经认定的不填"),
                    parse=lambda cell: v.parse_date(cell, field="designated_from",
                                                    label=_("认定日期")),
                    date=True, width=12),
        spec.Column("designated_until", "认定有效期至", False, _("长期有效的不填"),
                    parse=lambda cell: v.parse_date(cell, field="designated_until",
                                                    label=_("认定有效期至"), allow_future=True),
                    date=True, width=12),
        spec.Column("status", "状态", False, _("运营中、暂停服务或已关闭；不填为运营中"),
                    parse=parse_status, choices=tuple(STATUS_NAMES.values())),
        spec.Column("phone", "联系电话", False, _("固定电话或手机号码"),
                    parse=lambda cell: v.parse_phone(cell, field="phone"), text=True),
        spec.Column("service_counties", "服务的邻近县", False,
                    _("本县以外也服务的邻近县的区划代码（6位或12位），多个用顿号“、”分隔；不填为只服务本县"),
                    parse=parse_counties, text=True, width=24),
    )

    def make(self, values: dict[str, Any], context: Context) -> actions.ProviderData:
        return actions.ProviderData(
            name=values["name"], kind=values["kind"], region=values["region"],
            kinds=values["kinds"], capacity=values["capacity"],
            designated_from=values["designated_from"],
            designated_until=values["designated_until"],
            status=values["status"] or ProviderStatus.ACTIVE, phone=values["phone"] or "",
            service_counties=values["service_counties"] or [])

    def region_of(self, data: actions.ProviderData) -> str:
        return data.region

    def check(self, rows: list[spec.Row], context: Context) -> None:
        first_row = context.seen.setdefault("providers", {})
        for row in rows:
            first = first_row.setdefault((row.data.region, row.data.name), row.number)
            if first != row.number:
                row.problems.append(_problem("provider_duplicate_in_file", "name", row=first))

    def write(self, row: spec.Row, context: Context) -> spec.Outcome:
        data: actions.ProviderData = row.data
        stored = Provider.objects.filter(region_id=data.region, name=data.name).first()
        _provider, changes = actions.save_provider(data, actor=context.actor,
                                                   scope=context.scope, provider=stored)
        if stored is None:
            return spec.Outcome.CREATED
        return spec.Outcome.UPDATED if changes else spec.Outcome.UNCHANGED


def _text(cell: Any, field: str, label: Any, max_length: int) -> str:
    text = " ".join(v.clean_text(cell).split())
    if not text:
        raise v.fail("required", field, label=label)
    if len(text) > max_length:
        raise v.fail("too_long", field, label=label, max=max_length)
    return text


PROVIDERS = ProvidersKind()
