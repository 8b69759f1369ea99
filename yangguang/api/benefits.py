"""/persons/{id}/benefits and /benefit-programmes: decisions with reasons, and what is in
force where.

A decision is ``benefits.rules.decide``, the same as the person page and ``yangguang
benefits check`` (one object: ``person_id``, ``on``, ``programmes`` with each
programme's decision, amount and reasons); reading it is audited as a view of the
person. Where the person's household lies outside the caller's scope its economic
status is that region's data: no decisions, ``household_elsewhere`` true (as the page).
Policies name no person, so reading them is not audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_prefixes
from yangguang.api.access import actor, audit_view, existing_id, require
from yangguang.api.common import READ_ERRORS, WRITE_ERRORS, region_filter
from yangguang.api.errors import ApiError
from yangguang.api.pagination import Page, PageQuery, paginate
from yangguang.api.persons import person_for
from yangguang.api.schemas import PRINTABLE, Input
from yangguang.benefits import rules, selectors, services, states
from yangguang.benefits.models import BenefitApplication, BenefitGrant
from yangguang.benefits.states import ApplicationState

router = Router(tags=["benefits"])


class Decision(Schema):
    programme: str = Field(description="项目代码，如 care_allowance")
    name: str = Field(description="项目名称")
    eligible: bool
    amount: float | None = Field(description="金额（元）；不符合条件或金额未知（占位）时为 null")
    unit: str = Field(description="month / year / once / none（不发放现金）；未实行时为空")
    placeholder: bool = Field(description="符合条件但当地标准未知（占位，不按零计）")
    reasons: list[str] = Field(description="每个条件所依据的事实及其日期，及金额")


class PersonBenefits(Schema):
    person_id: int
    on: dt.date
    household_elsewhere: bool = Field(description="家庭登记在管辖范围外：不提供补贴资格")
    programmes: list[Decision]


class OnQuery(Schema):
    on: dt.date | None = Field(None, description="日期 YYYY-MM-DD，默认今天")


@router.get("/persons/{int:person_id}/benefits", response={200: PersonBenefits, **READ_ERRORS},
            summary="某人在某日各补贴项目的资格、金额和理由")
def person_benefits(request: HttpRequest, person_id: int, query: Query[OnQuery]) -> dict[str, Any]:
    person = person_for(request, person_id, Capability.VIEW_PERSON)
    on = query.on or timezone.localdate()
    services.record_check(person, on, actor=actor(request), channel="api")
    if not selectors.household_visible(request.user, person):
        return {"person_id": person.pk, "on": on, "household_elsewhere": True, "programmes": []}
    return {"person_id": person.pk, "on": on, "household_elsewhere": False,
            "programmes": [d.as_json() for d in rules.decide(person, on)]}


class Version(Schema):
    jurisdiction: str
    start: dt.date
    until: dt.date | None
    source: str
    confidence: str = Field(description="S 有来源 / S2 二手来源 / M 记忆 / M? 待核实")
    note: str
    file: str = Field(description="policies/ 下的政策文件")


class Amount(Schema):
    who: str
    amount: float | None
    text: str
    placeholder: bool
    note: str


class ProgrammeInForce(Schema):
    programme: str
    name: str
    in_force: bool
    jurisdiction: str | None = None
    since: dt.date | None = None
    unit: str | None = None
    conditions: list[str] = []
    amounts: list[Amount] = []
    versions: list[Version] = []


class PolicyQuery(Schema):
    region: str = Field(max_length=12, description="户籍地区划代码（6或12位）")
    on: dt.date | None = Field(None, description="日期 YYYY-MM-DD，默认今天")


@router.get("/benefit-programmes", response={200: list[ProgrammeInForce], **READ_ERRORS},
            summary="某地户籍在某日施行的各补贴项目：条件、金额、来源、施行日期")
def benefit_programmes(request: HttpRequest, query: Query[PolicyQuery]) -> list[dict[str, Any]]:
    require(request, Capability.VIEW_PERSON)
    region = region_filter(query.region, "region")
    out = []
    for row in selectors.in_force(region.code, query.on or timezone.localdate()):
        programme, rule = row["programme"], row["rule"]
        item: dict[str, Any] = {"programme": programme.key, "name": programme.name,
                                "in_force": rule is not None}
        if rule is not None:
            item |= {"jurisdiction": row["jurisdiction"], "since": rule.since, "unit": rule.unit,
                     "conditions": [str(c) for c in row["conditions"]],
                     "amounts": [a | {"who": str(a["who"]), "text": str(a["text"]),
                                      "amount": float(a["amount"]) if a["amount"] is not None else None}
                                 for a in row["amounts"]],
                     "versions": row["versions"]}
        out.append(item)
    return out


# ---------------------------------------------------------------------------
# Applications: /benefit-applications (the same services and selectors as the pages)

ApplicantKind = Literal["person", "guardian", "village_committee", "proactive"]
StepAction = Literal["forward", "review", "check_level", "decide", "publish", "grant", "reject"]


class ApplicationStepOut(Schema):
    action: str
    from_state: str
    to_state: str
    day: dt.date
    actor: str
    note: str


class ApplicationItem(Schema):
    id: int
    person_id: int
    programme: str
    applicant_type: str
    state: str
    state_label: str
    applied_on: dt.date
    deadline: dt.date | None = Field(description="当前环节的办理时限（工作日计算）；公示中为公示期最后一天")
    overdue: bool = Field(description="乡镇审核或残联核定等级已超过办理时限")


class ApplicationDetail(ApplicationItem):
    applicant_name: str
    decided_on: dt.date | None
    amount: float | None = Field(description="审定金额（rules.decide 于审定日的结果）")
    reasons: list[str] = Field(description="审定依据")
    rejection_reason: str
    grant_start_month: str | None = Field(description="发放起始月份 YYYY-MM")
    residence_region: str | None = Field(description="跨省通办：受理的常住地县级区划代码")
    forwarded_on: dt.date | None = Field(description="转户籍地办理的日期")
    steps: list[ApplicationStepOut]
    actions: list[str] = Field(description="当前可办理的环节（按调用者的权限）")


class ApplicationIn(Input):
    person_id: int
    programme: str = Field(description="项目代码，如 care_allowance")
    applicant_type: ApplicantKind
    applicant_name: str = Field("", max_length=100, pattern=PRINTABLE)
    applied_on: dt.date
    note: str = Field("", max_length=500, pattern=PRINTABLE)
    residence_region: str | None = Field(
        None, max_length=12, description="跨省通办：在常住地受理时，常住地区划代码（须在调用者的管辖范围内）")


class ApplicationAtResidenceIn(Input):
    """跨省通办: the applicant named by ID number and name, both as registered."""

    id_number: str = Field(max_length=20, pattern=PRINTABLE, description="申请人的公民身份号码")
    name: str = Field(max_length=50, pattern=PRINTABLE, description="申请人的姓名（与登记一致）")
    residence_region: str = Field(
        max_length=12, description="受理的常住地区划代码（县级或以下，须在调用者的管辖范围内，"
                                   "且与户籍地不在同一省）")
    programme: str = Field(description="项目代码，如 care_allowance")
    applicant_type: ApplicantKind
    applicant_name: str = Field("", max_length=100, pattern=PRINTABLE)
    applied_on: dt.date
    note: str = Field("", max_length=500, pattern=PRINTABLE)


class ApplicationStepIn(Input):
    action: StepAction
    day: dt.date
    note: str = Field("", max_length=500, pattern=PRINTABLE)


class ApplicationQuery(PageQuery):
    state: str | None = Field(None, description="按状态筛选")
    programme: str | None = Field(None, description="按项目筛选")


def _application_item(app: BenefitApplication) -> dict[str, Any]:
    return {"id": app.pk, "person_id": app.person_id, "programme": app.programme,
            "applicant_type": app.applicant_type, "state": app.state,
            "state_label": str(ApplicationState(app.state).label), "applied_on": app.applied_on,
            "deadline": app.deadline,
            "overdue": services.is_overdue(app, timezone.localdate())}


def _application_detail(request: HttpRequest, app: BenefitApplication) -> dict[str, Any]:
    grant = BenefitGrant.objects.filter(application=app).first()
    return _application_item(app) | {
        "applicant_name": app.applicant_name, "decided_on": app.decided_on,
        "amount": float(app.amount) if app.amount is not None else None,
        "reasons": app.reasons, "rejection_reason": app.rejection_reason,
        "grant_start_month": grant.start_month.isoformat()[:7] if grant else None,
        "steps": [{"action": s.action, "from_state": s.from_state, "to_state": s.to_state,
                   "day": s.day, "actor": s.actor, "note": s.note} for s in app.steps.all()],
        "residence_region": app.residence_region_id, "forwarded_on": app.forwarded_on,
        "actions": selectors.actions_for(request.user, app),
    }


def application_for(request: HttpRequest, application_id: int) -> BenefitApplication:
    require(request, Capability.VIEW_PERSON)
    app = selectors.application_for(request.user, existing_id(application_id))
    if app is None:
        raise ApiError(404, "not_found")
    return app


@router.get("/benefit-applications", response={200: Page[ApplicationItem], **READ_ERRORS},
            summary="补贴申请列表（分页，仅限管辖范围）")
def list_applications(request: HttpRequest, query: Query[ApplicationQuery]) -> dict[str, Any]:
    require(request, Capability.VIEW_PERSON)
    rows = selectors.applications_for(request.user, state=query.state or "",
                                      programme=query.programme or "").order_by("id")
    page = paginate(request, rows, query, lambda items: [_application_item(a) for a in items])
    audit_view(request, "benefit_application", ids=[a["id"] for a in page["results"]],
               query={"state": query.state, "programme": query.programme, "page": query.page})
    return page


@router.get("/benefit-applications/{int:application_id}",
            response={200: ApplicationDetail, **READ_ERRORS},
            summary="补贴申请详情（含办理环节和当前可办理的环节）")
def get_application(request: HttpRequest, application_id: int) -> dict[str, Any]:
    app = application_for(request, application_id)
    audit_view(request, "benefit_application", app, person_id=app.person_id,
               region_code=app.person.hukou_region_id)
    return _application_detail(request, app)


@router.post("/benefit-applications", response={201: ApplicationDetail, **WRITE_ERRORS},
             summary="登记补贴申请（本人、监护人、村委会代为申请或主动发现）")
def create_application(request: HttpRequest, payload: ApplicationIn) -> Status:
    person = person_for(request, payload.person_id, Capability.HANDLE_CASE)
    app = services.apply(person, payload.programme, applicant_type=payload.applicant_type,
                         applicant_name=payload.applicant_name, applied_on=payload.applied_on,
                         note=payload.note, actor=actor(request),
                         scope=tuple(scope_prefixes(request.user, Capability.HANDLE_CASE)),
                         residence_region=(region_filter(payload.residence_region,
                                                         "residence_region").code
                                           if payload.residence_region else None))
    return Status(201, _application_detail(request, selectors.application_for(request.user, app.pk)))


@router.post("/benefit-applications/at-residence", response={201: ApplicationDetail, **WRITE_ERRORS},
             summary="在常住地受理跨省通办的补贴申请")
def create_application_at_residence(request: HttpRequest, payload: ApplicationAtResidenceIn
                                    ) -> Status:
    """跨省通办: an application taken in at the county of usual residence (the caller's
    ``handle_case`` scope holds ``residence_region``, a county or below in another
    province than the hukou: ``residence_in_hukou_province`` otherwise) for a person
    registered elsewhere, named by ID number and name (``applicant_not_found`` unless
    both match). The residence county holds it until it forwards it (``forward``)."""
    require(request, Capability.HANDLE_CASE)
    app = services.apply_at_residence(
        payload.id_number, payload.name, payload.programme,
        residence_region=region_filter(payload.residence_region, "residence_region").code,
        applicant_type=payload.applicant_type, applicant_name=payload.applicant_name,
        applied_on=payload.applied_on, note=payload.note, actor=actor(request),
        scope=tuple(scope_prefixes(request.user, Capability.HANDLE_CASE)))
    return Status(201, _application_detail(request, selectors.application_for(request.user, app.pk)))


@router.post("/benefit-applications/{int:application_id}/transitions",
             response={200: ApplicationDetail, **WRITE_ERRORS},
             summary="办理补贴申请的一个环节（审核、核定等级、审定、公示、发放、不予通过）")
def take_application_step(request: HttpRequest, application_id: int,
                          payload: ApplicationStepIn) -> dict[str, Any]:
    """Each step needs its capability over the application's region (乡镇审核:
    handle_case; 核定等级: decide_case; 审定、公示、发放: decide_benefit); 审定 stores
    ``rules.decide``'s amount and reasons on ``day`` (refused when not eligible); 发放
    waits for the end of the publication; 不予通过 needs a ``note``; a step not allowed
    now is refused (422)."""
    app = application_for(request, application_id)
    if app.state in states.TRANSITIONS[payload.action][0]:  # else refused below (422)
        require(request, states.capability_for(app.state, payload.action))
    services.take_step(app, payload.action, day=payload.day, note=payload.note,
                       actor=actor(request), user=request.user)
    return _application_detail(request, selectors.application_for(request.user, app.pk))
