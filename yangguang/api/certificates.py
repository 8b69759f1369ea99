"""/certificates: list, detail, issue (for a person) and status changes.

Issuing needs ``edit_person`` (as registering does); freezing, restoring and
cancelling need ``change_certificate``. Both go through ``registry.services``, which
enforce the status transitions and audit each change.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Status

from yangguang.accounts.permissions import Capability
from yangguang.api import serialize
from yangguang.api.access import actor, audit_view, existing_id, require
from yangguang.api.common import READ_ERRORS, WRITE_ERRORS
from yangguang.api.errors import LABELS, problem
from yangguang.api.pagination import Page, PageQuery, paginate
from yangguang.api.persons import person_for, stored_row
from yangguang.api.schemas import (
    CertificateDetail,
    CertificateIssue,
    CertificateItem,
    ReassessmentIn,
    StatusChange,
)
from yangguang.core.errors import ValidationFailed
from yangguang.registry import services
from yangguang.registry.models import Certificate, StatusReason
from yangguang.registry.rules import certificate_suffix, parse_reassessment, parse_row
from yangguang.registry.selectors import get_certificate_for, persons_visible_to
from yangguang.registry.validation import parse_category, parse_date, parse_level
from yangguang.registry.validation import problem as field_problem

router = Router(tags=["certificates"])

# Which reasons each change accepts; a death is recorded on the person, not here.
FREEZE_REASONS = frozenset({StatusReason.MOVED_AWAY, StatusReason.OTHER})
CANCEL_REASONS = frozenset({StatusReason.MOVED_AWAY, StatusReason.NO_LONGER_ELIGIBLE,
                            StatusReason.VOLUNTARY, StatusReason.OTHER})


def certificate_for(request: HttpRequest, certificate_id: int, capability: str) -> Certificate:
    """The certificate if the caller holds ``capability`` over its holder: 403 if nowhere,
    else 404."""
    require(request, capability)
    return get_certificate_for(request.user, existing_id(certificate_id), capability)


def detail(certificate_id: int) -> dict[str, Any]:
    return serialize.certificate_detail(
        Certificate.objects.select_related("person").prefetch_related("history")
        .get(pk=certificate_id))


class CertificateQuery(PageQuery):
    status: Literal["valid", "expired", "frozen", "cancelled"] | None = Field(
        None, description="按状态筛选")
    person_id: int | None = Field(None, ge=1, le=2**63 - 1, description="持证人编号")


@router.get("/certificates", response={200: Page[CertificateItem], **READ_ERRORS},
            summary="残疾人证列表（分页，仅限管辖范围）")
def list_certificates(request: HttpRequest, query: Query[CertificateQuery]) -> dict[str, Any]:
    require(request, Capability.VIEW_PERSON)
    rows = (Certificate.objects.select_related("person")
            .filter(person__in=persons_visible_to(request.user).values("pk")))
    filters: dict[str, Any] = {}
    if query.status:
        filters["status"] = query.status
        rows = rows.filter(status=query.status)
    if query.person_id:
        filters["person_id"] = query.person_id
        rows = rows.filter(person_id=query.person_id)
    page = paginate(request, rows.order_by("id"), query,
                    lambda items: [serialize.certificate_item(c) for c in items])
    audit_view(request, "certificate", ids=[c["id"] for c in page["results"]],
               query=filters | {"page": query.page, "page_size": query.page_size})
    return page


@router.get("/certificates/{int:certificate_id}", response={200: CertificateDetail, **READ_ERRORS},
            summary="残疾人证详情（含状态变更记录）")
def get_certificate(request: HttpRequest, certificate_id: int) -> dict[str, Any]:
    certificate = certificate_for(request, certificate_id, Capability.VIEW_PERSON)
    audit_view(request, "certificate", certificate, person_id=certificate.person_id,
               region_code=certificate.person.hukou_region_id)
    return serialize.certificate_detail(certificate)


def _number(id_number: str, payload: CertificateIssue) -> str:
    """The certificate number the payload describes; "" when its category or level is
    invalid (``parse_row`` then reports those and does not check the number)."""
    try:
        category, level = parse_category(payload.category), parse_level(payload.level)
    except ValidationFailed:
        return ""
    return id_number + certificate_suffix(category, level, payload.reissue_count or 0)


@router.post("/persons/{int:person_id}/certificates",
             response={201: CertificateDetail, **WRITE_ERRORS},
             summary="为残疾人发放、换领或补发残疾人证", tags=["certificates"])
def issue_certificate(request: HttpRequest, person_id: int, payload: CertificateIssue
                      ) -> Status:
    """The number is made from the person's ID number, the category, the level and the
    reissue count. The same number with a later issue date renews the open certificate;
    a different number cancels it and issues a new one."""
    person = person_for(request, person_id, Capability.EDIT_PERSON)
    row = stored_row(person)
    components = payload.components
    if isinstance(components, list):
        components = [c.model_dump() for c in components]
    row |= {"category": payload.category, "level": payload.level, "issue_date": payload.issue_date,
            "components": components or "", "certificate_number": _number(row["id_number"], payload)}
    data = parse_row(row)
    certificate = services.issue_certificate(person, data.certificate, actor=actor(request),
                                             scope=services.write_scope(request.user))
    return Status(201, detail(certificate.pk))


@router.post("/persons/{int:person_id}/reassessments",
             response={201: CertificateDetail, **WRITE_ERRORS},
             summary="重新评定：按评定结果变更残疾类别或等级", tags=["certificates"])
def reassess(request: HttpRequest, person_id: int, payload: ReassessmentIn) -> Status:
    """A change of category or level rests on an assessment (recorded with it): the open
    certificate is cancelled (reason ``reassessed``) and the new one issued, both on the
    effective date. Needs ``change_certificate``, as the web page does."""
    person = person_for(request, person_id, Capability.CHANGE_CERTIFICATE)
    values = payload.model_dump()
    if isinstance(values["components"], list):
        values["components"] = [dict(c) for c in values["components"]]
    certificate = services.reassess(person, parse_reassessment(values), actor=actor(request),
                                    scope=services.write_scope(request.user,
                                                               Capability.CHANGE_CERTIFICATE))
    return Status(201, detail(certificate.pk))


@router.post("/certificates/{int:certificate_id}/status",
             response={200: CertificateDetail, **WRITE_ERRORS},
             summary="冻结、恢复或注销残疾人证")
def change_certificate_status(request: HttpRequest, certificate_id: int,
                              payload: StatusChange) -> dict[str, Any]:
    certificate = certificate_for(request, certificate_id, Capability.CHANGE_CERTIFICATE)
    day = (parse_date(payload.effective_date, field="effective_date", label=LABELS["effective_date"])
           if payload.effective_date else timezone.localdate())
    who = actor(request)
    if payload.status == "valid":
        if payload.reason is not None:
            raise ValidationFailed([problem("reason_invalid", "reason", value=payload.reason)])
        services.restore_certificate(certificate, day=day, actor=who, note=payload.note)
    else:
        allowed = FREEZE_REASONS if payload.status == "frozen" else CANCEL_REASONS
        if payload.reason is None:
            raise ValidationFailed([field_problem("required", "reason", label=LABELS["reason"])])
        if payload.reason not in allowed:
            raise ValidationFailed([problem("reason_invalid", "reason", value=payload.reason)])
        change = (services.freeze_certificate if payload.status == "frozen"
                  else services.cancel_certificate)
        change(certificate, reason=payload.reason, day=day, actor=who, note=payload.note)
    return detail(certificate.pk)
