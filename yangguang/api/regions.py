"""/regions: the administrative division tree, read-only.

Regions are public reference data: any authenticated caller may read all of them,
and reads are not audited.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router

from yangguang.api import serialize
from yangguang.api.common import READ_ERRORS, region_filter
from yangguang.api.errors import ApiError
from yangguang.api.pagination import Page, PageQuery, paginate
from yangguang.api.schemas import PRINTABLE, RegionDetail, RegionItem
from yangguang.regions.models import Region
from yangguang.regions.selectors import UnknownRegion, ancestors, resolve_region

router = Router(tags=["regions"])


class RegionQuery(PageQuery):
    parent: str | None = Field(None, max_length=12, description="上级区划代码：只列其下一级")
    level: int | None = Field(None, ge=1, le=5, description="级别：1省级 2地级 3县级 4乡级 5村级")
    q: str | None = Field(None, max_length=50, pattern=PRINTABLE, description="名称包含的文字")
    include_retired: bool = Field(False, description="是否包括已停用的区划")


@router.get("/regions", response={200: Page[RegionItem], **READ_ERRORS},
            summary="行政区划列表（分页）")
def list_regions(request: HttpRequest, query: Query[RegionQuery]) -> dict[str, Any]:
    rows = Region.objects.order_by("code")
    if not query.include_retired:
        rows = rows.filter(valid_until__isnull=True)
    if query.parent:
        rows = rows.filter(parent=region_filter(query.parent, "parent"))
    if query.level:
        rows = rows.filter(level=query.level)
    if query.q and query.q.strip():
        rows = rows.filter(name__contains=query.q.strip())
    return paginate(request, rows, query, lambda items: [serialize.region_item(r) for r in items])


@router.get("/regions/{code}", response={200: RegionDetail, **READ_ERRORS},
            summary="行政区划详情（含上级与下一级）")
def get_region(request: HttpRequest, code: str, include_retired: bool = False) -> dict[str, Any]:
    try:
        region = resolve_region(code)
    except UnknownRegion:
        raise ApiError(404, "not_found") from None
    children = region.children.order_by("code")
    if not include_retired:
        children = children.filter(valid_until__isnull=True)
    return {
        **serialize.region_item(region),
        "urban_rural_class": region.urban_rural_class,
        "former_names": region.former_names,
        "ancestors": [serialize.region_ref(r) for r in ancestors(region)],
        "children": [serialize.region_item(r) for r in children],
    }
