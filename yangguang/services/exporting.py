"""The loop's lists as XLSX files: needs (all, a filter of them, the overdue ones) and
providers. Each export is one audit event with its row count and criteria. Needs are
read through the user's ``export`` scope; ID numbers stay masked (the list names the
person; the full number is the registry export's)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from yangguang.accounts.selectors import home_region_code
from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, record
from yangguang.core import xlsx
from yangguang.services.importing import KIND_NAMES, SERVICE_NAMES, STATUS_NAMES
from yangguang.services.models import Need, Provider


def _write(headers: list[str], rows: Iterable[list[Any]], path: str | Path, title: str) -> int:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(headers)
    count = 0
    for values in rows:
        sheet.append(xlsx.row(sheet, values))
        count += 1
    book.save(path)
    return count


def _need_rows(needs: QuerySet[Need]) -> Iterator[list[Any]]:
    today = timezone.localdate()
    for need in needs.select_related("person", "person__hukou_region").prefetch_related(
            "referrals__provider").iterator(chunk_size=2000):
        referrals = sorted(need.referrals.all(), key=lambda r: (r.referred_on, r.pk))
        yield [need.person.name, need.person.id_number_masked, need.person.hukou_region_id,
               need.person.hukou_region.name, need.get_kind_display(), need.get_source_display(),
               need.get_state_display(), need.opened_on, need.state_since,
               (today - need.opened_on).days, referrals[-1].provider.name if referrals else "",
               need.survey_detail_label, need.note]


def export_needs(user: Any, needs: QuerySet[Need], path: str | Path, *,
                 criteria: dict[str, Any], file_name: str = "") -> int:
    """Write ``needs`` (already read through the user's export scope) to ``path``."""
    headers = [_("姓名"), _("公民身份号码"), _("户籍地区划代码"), _("户籍地"), _("服务类型"),
               _("来源"), _("状态"), _("登记日期"), _("状态日期"), _("已登记天数"),
               _("最近转介机构"), _("调查所报需求"), _("说明")]
    with transaction.atomic():
        count = _write(headers, _need_rows(needs), path, _("服务需求"))
        record(Actor.of(user), AuditAction.EXPORT, "need", region_code=home_region_code(user),
               data={"rows": count, "criteria": criteria, "file": file_name or Path(path).name})
    return count


def _provider_rows(providers: QuerySet[Provider]) -> Iterator[list[Any]]:
    """File content in the import's Chinese names, whatever the UI language."""
    for p in providers:
        yield [p.name, KIND_NAMES[p.kind], p.region_id, p.region.name,
               "、".join(SERVICE_NAMES[o.kind] for o in p.offerings.all()), p.capacity,
               p.designated_from, p.designated_until, STATUS_NAMES[p.status], p.phone]


def export_providers(user: Any, providers: QuerySet[Provider], path: str | Path, *,
                     criteria: dict[str, Any], file_name: str = "") -> int:
    """Write ``providers`` in the columns of the ``providers`` import (and the region's
    name), so the list can be corrected and imported back."""
    headers = ["机构名称", "机构类型", "所在地区划代码", _("所在地区"), "服务类型", "服务能力（人）",
               "认定日期", "认定有效期至", "状态", "联系电话"]
    with transaction.atomic():
        count = _write(headers, _provider_rows(providers), path, "服务机构")
        record(Actor.of(user), AuditAction.EXPORT, "provider", region_code=home_region_code(user),
               data={"rows": count, "criteria": criteria, "file": file_name or Path(path).name})
    return count
