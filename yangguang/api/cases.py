"""/cases: certificate cases (新办, 换领, 迁移, 挂失补办, 注销, 类别/等级变更).

Create a case for a person, list and read cases, and take a step (a transition of the
case's kind). The same services as the pages (``certificates.services``): the same
scope (a case is seen from its hukou region and, when lodged there, its region of
usual residence), the same rules and messages, the same audit events.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from yangguang.accounts.permissions import Capability
from yangguang.api.access import actor, audit_view, existing_id, require
from yangguang.api.common import READ_ERRORS, WRITE_ERRORS
from yangguang.api.pagination import Page, PageQuery, paginate
from yangguang.api.persons import person_for
from yangguang.api.schemas import PRINTABLE, Input
from yangguang.certificates import selectors, services
from yangguang.certificates.models import Action, CaseKind, CaseState, CertificateCase

router = Router(tags=["cases"])

Kind = Literal["new", "renewal", "transfer", "reissue", "cancellation", "reassessment"]
State = Literal["applied", "accepted", "assessed", "published", "reviewing",
                "disputed_prefecture", "disputed_province", "issued", "completed", "rejected"]
StepAction = Literal["accept", "assess", "publish", "end_publication", "submit", "issue",
                     "complete", "dispute", "appeal", "decide_dispute", "reject", "forward"]


class ApplicationIn(Input):
    kind: Kind = Field(description="业务类型：new 新办、renewal 换领、transfer 迁移、"
                                   "reissue 挂失补办、cancellation 注销、reassessment 类别/等级变更")
    applicant: Literal["person", "guardian", "home_visit"] = Field(
        "person", description="申请方式：person 本人、guardian 监护人代为申请、home_visit 上门办证")
    guardian_name: str = Field("", max_length=50, pattern=PRINTABLE, description="监护人姓名")
    applied_on: str | None = Field(None, description="申请日期，默认今天", examples=["2025-09-15"])
    target_region: str | None = Field(None, description="迁入地区划代码（仅迁移）")
    cancellation_reason: Literal["death", "no_longer_eligible", "moved_away"] | None = Field(
        None, description="注销原因（仅注销）")
    residence_region: str | None = Field(None, description="常住地区划代码（在常住地申请时）")
    residence_permit: str = Field("", max_length=40, pattern=PRINTABLE, description="居住证号码")
    note: str = Field("", max_length=500, pattern=PRINTABLE, description="说明")


class CaseIn(ApplicationIn):
    person_id: int = Field(ge=1, le=2**63 - 1, description="申请人（残疾人）编号")


class CaseAtResidenceIn(ApplicationIn):
    """跨省通办: the applicant named by ID number and name, both as registered."""

    id_number: str = Field(max_length=20, pattern=PRINTABLE, description="申请人的公民身份号码")
    name: str = Field(max_length=50, pattern=PRINTABLE, description="申请人的姓名（与登记一致）")


class StepIn(Input):
    action: StepAction = Field(description="办理的步骤（详情中的 actions 列出当前可办理的步骤）")
    day: str | None = Field(None, description="办理日期，默认今天", examples=["2025-09-16"])
    note: str = Field("", max_length=500, pattern=PRINTABLE,
                      description="说明（申请复评、省级鉴定时必填，为异议理由）")
    institution: str | None = Field(None, max_length=100, pattern=PRINTABLE,
                                    description="评定机构（受理新办、变更时指定；录入评定结论时必填）")
    assessor: str | None = Field(None, max_length=50, pattern=PRINTABLE, description="评定人")
    assessed_on: str | None = Field(None, description="评定日期")
    category: int | str | None = Field(None, description="残疾类别代码1–7或名称")
    level: int | str | None = Field(None, description="残疾等级1–4")
    components: str | None = Field(None, description="多重残疾明细，如“视力二级；肢体三级”")
    reason: str | None = Field(None, max_length=200, pattern=PRINTABLE,
                               description="不予办理的理由（不予办理时必填）")
    effective_on: str | None = Field(None, description="注销日期（因死亡注销的为死亡日期）")


class CaseStepOut(Schema):
    action: str
    action_label: str
    from_state: str
    to_state: str
    actor: str
    day: dt.date
    note: str


class CaseItem(Schema):
    id: int
    person_id: int
    person_name: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    hukou_region: str
    residence_region: str | None
    holder_region: str
    applied_on: dt.date
    deadline: dt.date | None
    deadline_kind: str
    closed_on: dt.date | None


class TransitionOut(Schema):
    action: str
    label: str


class CaseDetail(CaseItem):
    applicant: str
    guardian_name: str
    target_region: str | None
    institution: str
    assessment_id: int | None
    dispute_level: int
    dispute_until: dt.date | None
    cancellation_reason: str
    rejection_reason: str
    certificate_id: int | None
    steps: list[CaseStepOut]
    actions: list[TransitionOut]


def _item(case: CertificateCase) -> dict[str, Any]:
    return {
        "id": case.pk, "person_id": case.person_id, "person_name": case.person.name,
        "kind": case.kind, "kind_label": str(CaseKind(case.kind).label),
        "state": case.state, "state_label": str(CaseState(case.state).label),
        "hukou_region": case.hukou_region_id, "residence_region": case.residence_region_id,
        "holder_region": case.holder_region_id, "applied_on": case.applied_on,
        "deadline": case.deadline, "deadline_kind": case.deadline_kind,
        "closed_on": case.closed_on,
    }


def _detail(request: HttpRequest, case: CertificateCase) -> dict[str, Any]:
    return _item(case) | {
        "applicant": case.applicant, "guardian_name": case.guardian_name,
        "target_region": case.target_region_id, "institution": case.institution,
        "assessment_id": case.assessment_id, "dispute_level": case.dispute_level,
        "dispute_until": case.dispute_until, "cancellation_reason": case.cancellation_reason,
        "rejection_reason": case.rejection_reason, "certificate_id": case.certificate_id,
        "steps": [{"action": s.action, "action_label": str(s.action_label),
                   "from_state": s.from_state, "to_state": s.to_state, "actor": s.actor,
                   "day": s.day, "note": s.note} for s in selectors.steps_of(case)],
        "actions": [{"action": t.action, "label": str(t.label)}
                    for t in selectors.actions_for(request.user, case)],
    }


def case_for(request: HttpRequest, case_id: int) -> CertificateCase:
    require(request, Capability.VIEW_PERSON)
    return selectors.get_case_for(request.user, existing_id(case_id))


class CaseQuery(PageQuery):
    state: State | None = Field(None, description="按状态筛选")
    kind: Kind | None = Field(None, description="按业务类型筛选")
    open: bool = Field(False, description="只列办理中的业务")


@router.get("/cases", response={200: Page[CaseItem], **READ_ERRORS},
            summary="残疾人证业务列表（分页，仅限管辖范围）")
def list_cases(request: HttpRequest, query: Query[CaseQuery]) -> dict[str, Any]:
    require(request, Capability.VIEW_PERSON)
    rows = selectors.search_cases(request.user, state=query.state or "", kind=query.kind or "",
                                  open_only=query.open).order_by("id")
    page = paginate(request, rows, query, lambda items: [_item(c) for c in items])
    filters = {k: v for k, v in (("state", query.state), ("kind", query.kind),
                                 ("open", query.open)) if v}
    audit_view(request, "certificate_case", ids=[c["id"] for c in page["results"]],
               query=filters | {"page": query.page, "page_size": query.page_size})
    return page


@router.get("/cases/{int:case_id}", response={200: CaseDetail, **READ_ERRORS},
            summary="残疾人证业务详情（含办理记录和当前可办理的步骤）")
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    case = case_for(request, case_id)
    audit_view(request, "certificate_case", case, person_id=case.person_id,
               region_code=case.hukou_region_id)
    return _detail(request, case)


@router.post("/cases", response={201: CaseDetail, **WRITE_ERRORS},
             summary="受理残疾人证申请（六类业务）")
def create_case(request: HttpRequest, payload: CaseIn) -> Status:
    """Refused (422) when the person may not apply now: an open case, within a year of
    a cancellation (``reapply_barred``), a certificate held (new) or missing (the other
    kinds), a guardian needed."""
    person = person_for(request, payload.person_id, Capability.HANDLE_CASE)
    values = payload.model_dump(exclude={"person_id"}, exclude_none=True)
    case = services.open_case(person, values, user=request.user)
    return Status(201, _detail(request, selectors.get_case_for(request.user, case.pk)))


@router.post("/cases/at-residence", response={201: CaseDetail, **WRITE_ERRORS},
             summary="在常住地受理跨省通办申请")
def create_case_at_residence(request: HttpRequest, payload: CaseAtResidenceIn) -> Status:
    """跨省通办: an application lodged at the county of usual residence (the caller's
    ``handle_case`` scope holds ``residence_region``; ``residence_permit`` required) for
    a person registered elsewhere, named by ID number and name (``applicant_not_found``
    unless both match). The residence county holds the case until it forwards it
    (``action`` forward) to the hukou county, which decides it."""
    require(request, Capability.HANDLE_CASE)
    values = payload.model_dump(exclude={"id_number", "name"}, exclude_none=True)
    case = services.open_case_for_applicant(payload.id_number, payload.name, values,
                                            user=request.user)
    return Status(201, _detail(request, selectors.get_case_for(request.user, case.pk)))


@router.post("/cases/{int:case_id}/transitions", response={200: CaseDetail, **WRITE_ERRORS},
             summary="办理残疾人证业务的一个步骤")
def take_step(request: HttpRequest, case_id: int, payload: StepIn) -> dict[str, Any]:
    """The step must be one of the case's ``actions`` now (``action_not_allowed``
    otherwise); the deciding steps (issue, complete, refuse at review) need
    ``decide_case``, the others ``handle_case``, over the case's hukou region."""
    case = case_for(request, case_id)
    values = payload.model_dump(exclude={"action"}, exclude_none=True)
    services.perform(case, Action(payload.action), values, user=request.user,
                     actor=actor(request))
    return _detail(request, selectors.get_case_for(request.user, case.pk))
