"""/persons: list, detail, create, replace (PUT) and update (PATCH).

Input goes through ``rules.parse_row``, the check every import row passes, so the
API accepts the same values and reports the same error codes as the import template.
Reads go through ``registry.selectors`` (the scope filter) and are recorded as
``view`` events; writes go through ``registry.services``, which audit them.

An update changes the person's own fields only; the ID number (and the sex and birth
date it encodes) cannot change, and certificates change through ``/certificates``.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from yangguang.accounts.permissions import Capability
from yangguang.api import serialize
from yangguang.api.access import actor, audit_view, existing_id, require
from yangguang.api.common import READ_ERRORS, WRITE_ERRORS, region_filter
from yangguang.api.pagination import Page, PageQuery, paginate
from yangguang.api.schemas import (
    PRINTABLE,
    PersonCreate,
    PersonDetail,
    PersonFields,
    PersonItem,
    PersonReplace,
)
from yangguang.core.crypto import decrypt_id
from yangguang.registry import services
from yangguang.registry.models import Person
from yangguang.registry.rules import parse_row
from yangguang.registry.selectors import get_person_for, search_persons

router = Router(tags=["persons"])


def person_for(request: HttpRequest, person_id: int, capability: str) -> Person:
    """The person if the caller holds ``capability`` over them: 403 if nowhere, else 404."""
    require(request, capability)
    return get_person_for(request.user, existing_id(person_id), capability)


def stored_row(person: Person) -> dict[str, Any]:
    """The person's own columns of an import row (by column key), from what is stored.

    Holds the decrypted ID number, which ``parse_row`` checks the row against and which
    never leaves the server.
    """
    return {
        "name": person.name, "id_number": decrypt_id(person.id_number_encrypted),
        "hukou_region": person.hukou_region_id, "ethnicity": person.ethnicity,
        "residence_region": person.residence_region_id or "", "phone": person.phone,
        "household_number": person.household.number if person.household_id else "",
        "relation_to_head": person.relation_to_head,
    }




def detail(person_id: int) -> dict[str, Any]:
    """The response after a write by a caller who may edit the person."""
    return serialize.person_detail(
        Person.objects.select_related("hukou_region", "residence_region", "household")
        .prefetch_related("certificates").get(pk=person_id))


class PersonQuery(PageQuery):
    name: str | None = Field(None, max_length=50, pattern=PRINTABLE, description="姓名开头的文字")
    region: str | None = Field(None, max_length=12, description="户籍地区划代码（6或12位），含其下级")
    category: int | None = Field(None, ge=1, le=7, description="当前残疾人证的残疾类别")
    level: int | None = Field(None, ge=1, le=4, description="当前残疾人证的残疾等级")
    status: Literal["valid", "expired", "frozen", "cancelled", "deceased"] | None = Field(
        None, description="当前残疾人证的状态（cancelled：只有已注销的证），或 deceased 已死亡")


@router.get("/persons", response={200: Page[PersonItem], **READ_ERRORS},
            summary="残疾人列表（分页，仅限管辖范围）")
def list_persons(request: HttpRequest, query: Query[PersonQuery]) -> dict[str, Any]:
    require(request, Capability.VIEW_PERSON)
    filters = query.model_dump(exclude_none=True, exclude={"page", "page_size"})
    region = region_filter(query.region, "region") if query.region else None
    rows = search_persons(request.user, name=query.name or "", region=region,
                          category=query.category, level=query.level, status=query.status or "")
    rows = rows.select_related("hukou_region").prefetch_related("certificates")
    page = paginate(request, rows, query, lambda items: [serialize.person_item(p) for p in items])
    audit_view(request, "person", ids=[p["id"] for p in page["results"]],
               query=filters | {"page": query.page, "page_size": query.page_size})
    return page


@router.get("/persons/{int:person_id}", response={200: PersonDetail, **READ_ERRORS},
            summary="残疾人详情")
def get_person(request: HttpRequest, person_id: int) -> dict[str, Any]:
    person = person_for(request, person_id, Capability.VIEW_PERSON)
    services.record_view(person, actor=actor(request))  # the event the person page records
    return serialize.person_detail(person)


@router.post("/persons", response={201: PersonDetail, **WRITE_ERRORS},
             summary="登记残疾人（含残疾人证）")
def create_person(request: HttpRequest, payload: PersonCreate) -> Status:
    require(request, Capability.EDIT_PERSON)
    data = parse_row(payload.model_dump(exclude_none=True))
    person = services.register_person(data, actor=actor(request), scope=services.write_scope(request.user))
    return Status(201, detail(person.pk))


def _update(request: HttpRequest, person_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    person = person_for(request, person_id, Capability.EDIT_PERSON)
    row = stored_row(person) | {key: "" if value is None else value for key, value in fields.items()}
    data = parse_row(row, certificate=False)
    data.provided = None  # the row holds every field: a blank clears it
    services.update_person(person, data, actor=actor(request), scope=services.write_scope(request.user))
    return detail(person.pk)


@router.put("/persons/{int:person_id}", response={200: PersonDetail, **WRITE_ERRORS},
            summary="修改残疾人信息（全部字段，未提供的选填字段清空）")
def replace_person(request: HttpRequest, person_id: int, payload: PersonReplace
                   ) -> dict[str, Any]:
    return _update(request, person_id, {key: getattr(payload, key)
                                        for key in PersonFields.model_fields})


@router.patch("/persons/{int:person_id}", response={200: PersonDetail, **WRITE_ERRORS},
              summary="修改残疾人信息（仅提供的字段；null 或空字符串清空选填字段）")
def update_person(request: HttpRequest, person_id: int, payload: PersonFields) -> dict[str, Any]:
    return _update(request, person_id, payload.model_dump(exclude_unset=True))
