"""/households: read-only. Household data changes through person updates and services.

A household is visible when its region lies in the caller's ``view_person`` scope; its
detail lists only the members the caller may see, and is recorded as a ``view`` event
with their ids. The list holds no personal data and is not recorded.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_q
from yangguang.api import serialize
from yangguang.api.access import audit_view, existing_id, require
from yangguang.api.common import READ_ERRORS, region_filter
from yangguang.api.errors import ApiError
from yangguang.api.pagination import Page, PageQuery, paginate
from yangguang.api.schemas import HouseholdDetail, HouseholdItem
from yangguang.registry.models import Household
from yangguang.registry.selectors import persons_visible_to

router = Router(tags=["households"])


def households(request: HttpRequest) -> QuerySet[Household]:
    """The households whose region lies in the caller's ``view_person`` scope (403 if none)."""
    require(request, Capability.VIEW_PERSON)
    return Household.objects.select_related("region").filter(
        scope_q(request.user, Capability.VIEW_PERSON, region_field="region"))


class HouseholdQuery(PageQuery):
    number: str | None = Field(None, max_length=32, pattern=r"^[0-9A-Za-z-]*$",
                               description="家庭编号（完全一致）")
    region: str | None = Field(None, max_length=12, description="所在地区划代码（6或12位），含其下级")


@router.get("/households", response={200: Page[HouseholdItem], **READ_ERRORS},
            summary="家庭列表（分页，仅限管辖范围）")
def list_households(request: HttpRequest, query: Query[HouseholdQuery]) -> dict[str, Any]:
    rows = households(request).order_by("id")
    if query.number:
        rows = rows.filter(number=query.number)
    if query.region:
        rows = rows.filter(region__code__startswith=region_filter(query.region, "region").short_code)
    return paginate(request, rows, query, lambda items: [serialize.household_item(h) for h in items])


@router.get("/households/{int:household_id}", response={200: HouseholdDetail, **READ_ERRORS},
            summary="家庭详情（经济状况与管辖范围内的成员）")
def get_household(request: HttpRequest, household_id: int) -> dict[str, Any]:
    household = households(request).filter(pk=existing_id(household_id)).first()
    if household is None:
        raise ApiError(404, "not_found")
    members = list(persons_visible_to(request.user).filter(household=household).order_by("id"))
    audit_view(request, "household", household, region_code=household.region_id,
               ids=[p.pk for p in members])
    return serialize.household_detail(household, members, list(household.statuses.all()))
