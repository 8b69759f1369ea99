"""/needs, /referrals, /providers, /service-coverage: the closed service loop.

The same functions as the pages: reads through ``services.selectors`` (the person's
hukou region in the caller's ``view_services`` scope; a need outside it is 404, as one
that does not exist), writes through ``services.actions`` (the same rules, eligibility,
transitions, messages and audit events). Every read of needs is recorded as a ``view``
event naming the persons.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can
from yangguang.api.access import actor, audit_view, existing_id, require
from yangguang.api.common import READ_ERRORS, WRITE_ERRORS, region_filter
from yangguang.api.pagination import Page, PageQuery, paginate
from yangguang.api.persons import person_for
from yangguang.api.schemas import PRINTABLE, Input
from yangguang.registry import validation
from yangguang.services import actions, selectors
from yangguang.services.models import Need, Provider, Referral
from yangguang.services.states import NeedAction, need_may

router = Router(tags=["services"])

Kind = Literal["basic_rehabilitation", "child_rehabilitation", "device_fitting", "device_loan",
               "education_placement", "vocational_training", "employment_placement",
               "care_residential", "care_day", "care_home", "home_modification", "home_visit",
               "legal_aid", "psychological_support"]
NeedStateName = Literal["open", "referred", "in_service", "met", "withdrawn", "unmet"]
ProviderKindName = Literal["rehabilitation", "child_rehabilitation", "device_centre",
                           "special_school", "training_base", "community_centre",
                           "care_institution", "other"]
KIND_HELP = ("服务类型：basic_rehabilitation 基本康复服务、child_rehabilitation 残疾儿童康复救助、"
             "device_fitting 辅助器具适配、device_loan 辅助器具借用、education_placement 教育安置、"
             "vocational_training 职业培训、employment_placement 就业安置、care_residential 寄宿制托养、"
             "care_day 日间照料、care_home 居家托养、home_modification 家庭无障碍改造、"
             "home_visit 走访探视、legal_aid 法律援助、psychological_support 心理支持")
DAY_HELP = "日期，默认今天"


def _day(value: str | None, field: str, label: str) -> dt.date:
    if value is None:
        return dt.date.today()
    return validation.parse_date(value, field=field, label=label)


# ---------------------------------------------------------------------------
# Bodies


class NeedIn(Input):
    person_id: int = Field(ge=1, le=2**63 - 1, description="残疾人编号")
    kind: Kind = Field(description=KIND_HELP)
    opened_on: str | None = Field(None, description="登记日期，默认今天", examples=["2025-09-15"])
    note: str = Field("", max_length=200, pattern=PRINTABLE, description="说明")


class ReferralIn(Input):
    provider_id: int = Field(ge=1, le=2**63 - 1, description="服务机构编号")
    referred_on: str | None = Field(None, description="转介日期，默认今天")


class ReasonIn(Input):
    reason: str = Field(max_length=200, pattern=PRINTABLE, description="原因（必填）")
    day: str | None = Field(None, description=DAY_HELP)


class DayIn(Input):
    day: str | None = Field(None, description=DAY_HELP)


class ServiceIn(Input):
    started_on: str = Field(description="开始日期", examples=["2025-09-16"])
    ended_on: str | None = Field(None, description="结束日期；服务仍在进行时不填")
    staff: str = Field(max_length=50, pattern=PRINTABLE, description="服务人员")
    cost: Decimal = Field(Decimal("0"), ge=0, max_digits=10, decimal_places=2,
                          description="费用（元）")
    payer: Literal["federation", "medical_insurance", "civil_affairs", "education",
                   "human_resources", "self", "free", "other"] = Field(description="支付方")
    outcome: Literal["ongoing", "met", "not_met"] = Field(
        description="结果：ongoing 服务仍在进行、met 需求已满足、not_met 需求未满足（需求重新开启，note 必填）")
    kind: Kind | None = Field(None, description="服务类型，默认与需求相同")
    loan_action: Literal["lend", "return", "repair"] | None = Field(
        None, description="借用事项（仅辅助器具借用）")
    note: str = Field("", max_length=200, pattern=PRINTABLE, description="说明")


class ProviderIn(Input):
    name: str = Field(max_length=100, pattern=PRINTABLE, description="机构名称")
    kind: ProviderKindName = Field(description="机构类型")
    region: str = Field(max_length=12, description="所在地区划代码（地市、县级6或12位，乡镇级12位）")
    kinds: list[Kind] = Field(description="提供的服务类型")
    capacity: int = Field(ge=0, le=10**9, description="服务能力（人）")
    designated_from: str | None = Field(None, description="认定日期")
    designated_until: str | None = Field(None, description="认定有效期至")
    status: Literal["active", "suspended", "closed"] = Field("active", description="状态")
    phone: str = Field("", max_length=20, pattern=PRINTABLE, description="联系电话")
    service_counties: list[Annotated[str, Field(max_length=12)]] = Field(
        default_factory=list, max_length=50,
        description="本县以外也服务的邻近县的区划代码（6或12位）；不填为只服务本县")


# ---------------------------------------------------------------------------
# Responses


class NeedItem(Schema):
    id: int
    person_id: int
    person_name: str
    hukou_region: str
    kind: str
    kind_label: str
    source: str
    survey_year: int | None
    state: str
    state_label: str
    opened_on: dt.date
    state_since: dt.date
    met_on: dt.date | None


class ReferralOut(Schema):
    id: int
    provider_id: int
    provider_name: str
    referred_on: dt.date
    state: str
    state_label: str
    closed_on: dt.date | None
    reason: str


class ServiceOut(Schema):
    id: int
    referral_id: int
    provider_id: int
    kind: str
    loan_action: str
    started_on: dt.date
    ended_on: dt.date | None
    staff: str
    cost: Decimal
    payer: str
    outcome: str
    note: str


class ChangeOut(Schema):
    action: str
    state: str
    day: dt.date
    reason: str


class NeedDetail(NeedItem):
    note: str
    survey_detail: str = Field(description="来自年度调查的需求：调查所报的需求代码（康复需求或辅具需求）")
    survey_detail_label: str = Field(description="调查所报需求的名称（按请求的语言）")
    referrals: list[ReferralOut]
    services: list[ServiceOut]
    history: list[ChangeOut]
    actions: list[str] = Field(description="当前可办理的操作：refer 转介、reopen 重新开启、withdraw 撤销")


class ProviderOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    region: str
    region_name: str
    kinds: list[str]
    capacity: int
    designated_from: dt.date | None
    designated_until: dt.date | None
    status: str
    phone: str
    service_counties: list[str] = Field(description="本县以外也服务的邻近县")


class CoverageKind(Schema):
    kind: str
    kind_label: str
    open: int = Field(description="待转介")
    unmet: int = Field(description="未满足（待转介、已转介、服务中）")
    provider_ids: list[int]
    capacity: int
    gap: bool = Field(description="未满足的需求没有机构可接或多于服务能力")


class CoverageRow(Schema):
    township: str
    township_name: str
    kinds: list[CoverageKind]


def _need_item(need: Need) -> dict[str, Any]:
    return {"id": need.pk, "person_id": need.person_id, "person_name": need.person.name,
            "hukou_region": need.person.hukou_region_id, "kind": need.kind,
            "kind_label": str(need.get_kind_display()), "source": need.source,
            "survey_year": need.survey_year, "state": need.state,
            "state_label": str(need.get_state_display()), "opened_on": need.opened_on,
            "state_since": need.state_since, "met_on": need.met_on}


def _need_detail(request: HttpRequest, need: Need) -> dict[str, Any]:
    loop = selectors.loop_of(need)
    may = can(request.user, Capability.RECORD_SERVICES, need.person.hukou_region)
    return _need_item(need) | {
        "note": need.note, "survey_detail": need.survey_detail,
        "survey_detail_label": need.survey_detail_label,
        "referrals": [{"id": r.pk, "provider_id": r.provider_id, "provider_name": r.provider.name,
                       "referred_on": r.referred_on, "state": r.state,
                       "state_label": str(r.get_state_display()), "closed_on": r.closed_on,
                       "reason": r.reason} for r in loop["referrals"]],
        "services": [{"id": s.pk, "referral_id": s.referral_id, "provider_id": s.provider_id,
                      "kind": s.kind, "loan_action": s.loan_action, "started_on": s.started_on,
                      "ended_on": s.ended_on, "staff": s.staff, "cost": s.cost,
                      "payer": s.payer, "outcome": s.outcome, "note": s.note}
                     for s in loop["services"]],
        "history": [{"action": c.action, "state": c.state, "day": c.day, "reason": c.reason}
                    for c in loop["history"]],
        "actions": [str(a) for a in (NeedAction.REFER, NeedAction.REOPEN, NeedAction.WITHDRAW)
                    if may and need_may(need.state, a)],
    }


def _provider_out(p: Provider) -> dict[str, Any]:
    return {"id": p.pk, "name": p.name, "kind": p.kind, "kind_label": str(p.get_kind_display()),
            "region": p.region_id, "region_name": p.region.name, "kinds": p.kinds,
            "capacity": p.capacity, "designated_from": p.designated_from,
            "designated_until": p.designated_until, "status": p.status, "phone": p.phone,
            "service_counties": p.service_county_codes}


# ---------------------------------------------------------------------------
# Needs


def need_for(request: HttpRequest, need_id: int, capability: str = Capability.VIEW_SERVICES
             ) -> Need:
    require(request, capability)
    return selectors.get_need_for(request.user, existing_id(need_id), capability)


def referral_for(request: HttpRequest, referral_id: int) -> Referral:
    require(request, Capability.RECORD_SERVICES)
    return selectors.get_referral_for(request.user, existing_id(referral_id),
                                      Capability.RECORD_SERVICES)


def _detail_response(request: HttpRequest, need_id: int) -> dict[str, Any]:
    return _need_detail(request, selectors.get_need_for(request.user, need_id))


class NeedQuery(PageQuery):
    state: NeedStateName | None = Field(None, description="按状态筛选；unmet 为未满足（待转介、已转介、服务中）")
    kind: Kind | None = Field(None, description="按服务类型筛选")
    person_id: int | None = Field(None, ge=1, le=2**63 - 1, description="某个残疾人的需求")
    overdue: bool = Field(False, description="只列登记超过规定天数仍未满足的需求")


@router.get("/needs", response={200: Page[NeedItem], **READ_ERRORS},
            summary="服务需求列表（分页，仅限管辖范围）")
def list_needs(request: HttpRequest, query: Query[NeedQuery]) -> dict[str, Any]:
    require(request, Capability.VIEW_SERVICES)
    rows = selectors.search_needs(request.user, state=query.state or "", kind=query.kind or "",
                                  person_id=query.person_id, overdue=query.overdue).order_by("id")
    page = paginate(request, rows, query, lambda items: [_need_item(n) for n in items])
    filters = {k: v for k, v in (("state", query.state), ("kind", query.kind),
                                 ("person_id", query.person_id), ("overdue", query.overdue)) if v}
    audit_view(request, "need", ids=[n["id"] for n in page["results"]],
               query=filters | {"page": query.page, "page_size": query.page_size})
    return page


@router.get("/needs/{int:need_id}", response={200: NeedDetail, **READ_ERRORS},
            summary="服务需求详情（转介、服务记录、状态变更和当前可办理的操作）")
def get_need(request: HttpRequest, need_id: int) -> dict[str, Any]:
    need = need_for(request, need_id)
    audit_view(request, "need", need, person_id=need.person_id,
               region_code=need.person.hukou_region_id)
    return _need_detail(request, need)


@router.post("/needs", response={201: NeedDetail, **WRITE_ERRORS}, summary="登记服务需求")
def create_need(request: HttpRequest, payload: NeedIn) -> Status:
    """Refused (422) for a person the jurisdiction's eligibility rule excludes
    (``not_eligible``), with an unmet need of the kind (``need_exists``), deceased, or a
    date in the future."""
    person = person_for(request, payload.person_id, Capability.RECORD_SERVICES)
    need = actions.open_need(person, payload.kind,
                             opened_on=_day(payload.opened_on, "opened_on", "登记日期"),
                             note=payload.note, actor=actor(request),
                             scope=actions.write_scope(request.user))
    return Status(201, _detail_response(request, need.pk))


@router.post("/needs/{int:need_id}/referrals", response={201: NeedDetail, **WRITE_ERRORS},
             summary="转介到服务机构")
def refer_need(request: HttpRequest, need_id: int, payload: ReferralIn) -> Status:
    need = need_for(request, need_id, Capability.RECORD_SERVICES)
    provider = selectors.get_provider_for(request.user, existing_id(payload.provider_id))
    actions.refer(need, provider, day=_day(payload.referred_on, "referred_on", "转介日期"),
                  actor=actor(request), scope=actions.write_scope(request.user))
    return Status(201, _detail_response(request, need.pk))


@router.post("/needs/{int:need_id}/reopen", response={200: NeedDetail, **WRITE_ERRORS},
             summary="重新开启服务需求（须写明原因）")
def reopen_need(request: HttpRequest, need_id: int, payload: ReasonIn) -> dict[str, Any]:
    need = need_for(request, need_id, Capability.RECORD_SERVICES)
    actions.reopen_need(need, reason=payload.reason, day=_day(payload.day, "day", "日期"),
                        actor=actor(request), scope=actions.write_scope(request.user))
    return _detail_response(request, need.pk)


@router.post("/needs/{int:need_id}/withdraw", response={200: NeedDetail, **WRITE_ERRORS},
             summary="撤销服务需求（须写明原因）")
def withdraw_need(request: HttpRequest, need_id: int, payload: ReasonIn) -> dict[str, Any]:
    need = need_for(request, need_id, Capability.RECORD_SERVICES)
    actions.withdraw_need(need, reason=payload.reason, day=_day(payload.day, "day", "日期"),
                          actor=actor(request), scope=actions.write_scope(request.user))
    return _detail_response(request, need.pk)


@router.post("/referrals/{int:referral_id}/accept", response={200: NeedDetail, **WRITE_ERRORS},
             summary="记录机构接收转介")
def accept_referral(request: HttpRequest, referral_id: int, payload: DayIn) -> dict[str, Any]:
    referral = referral_for(request, referral_id)
    actions.accept_referral(referral, day=_day(payload.day, "day", "日期"), actor=actor(request),
                            scope=actions.write_scope(request.user))
    return _detail_response(request, referral.need_id)


@router.post("/referrals/{int:referral_id}/decline", response={200: NeedDetail, **WRITE_ERRORS},
             summary="记录机构退回转介（需求重新等待转介）")
def decline_referral(request: HttpRequest, referral_id: int, payload: ReasonIn) -> dict[str, Any]:
    referral = referral_for(request, referral_id)
    actions.decline_referral(referral, reason=payload.reason,
                             day=_day(payload.day, "day", "日期"), actor=actor(request),
                             scope=actions.write_scope(request.user))
    return _detail_response(request, referral.need_id)


@router.post("/referrals/{int:referral_id}/services", response={201: NeedDetail, **WRITE_ERRORS},
             summary="记录服务（结果决定需求满足、继续服务或重新开启）")
def record_service(request: HttpRequest, referral_id: int, payload: ServiceIn) -> Status:
    referral = referral_for(request, referral_id)
    data = actions.ServiceData(
        started_on=_day(payload.started_on, "started_on", "开始日期"),
        ended_on=_day(payload.ended_on, "ended_on", "结束日期") if payload.ended_on else None,
        staff=payload.staff, cost=payload.cost, payer=payload.payer, outcome=payload.outcome,
        kind=payload.kind or "", loan_action=payload.loan_action or "", note=payload.note)
    actions.record_service(referral, data, actor=actor(request),
                           scope=actions.write_scope(request.user))
    return Status(201, _detail_response(request, referral.need_id))


# ---------------------------------------------------------------------------
# Providers and townships


class ProviderQuery(PageQuery):
    kind: ProviderKindName | None = Field(None, description="机构类型")
    service: Kind | None = Field(None, description="提供的服务类型")
    status: Literal["active", "suspended", "closed"] | None = Field(None, description="状态")


@router.get("/providers", response={200: Page[ProviderOut], **READ_ERRORS},
            summary="服务机构列表（管辖地区及服务本地的上级机构）")
def list_providers(request: HttpRequest, query: Query[ProviderQuery]) -> dict[str, Any]:
    require(request, Capability.VIEW_SERVICES)
    rows = selectors.search_providers(request.user, kind=query.kind or "",
                                      service=query.service or "",
                                      status=query.status or "").order_by("id")
    return paginate(request, rows, query, lambda items: [_provider_out(p) for p in items])


@router.get("/providers/{int:provider_id}", response={200: ProviderOut, **READ_ERRORS},
            summary="服务机构详情")
def get_provider(request: HttpRequest, provider_id: int) -> dict[str, Any]:
    require(request, Capability.VIEW_SERVICES)
    return _provider_out(selectors.get_provider_for(request.user, existing_id(provider_id)))


def _provider_data(payload: ProviderIn) -> actions.ProviderData:
    return actions.ProviderData(
        name=payload.name.strip(), kind=payload.kind, region=payload.region.strip(),
        kinds=list(payload.kinds), capacity=payload.capacity,
        designated_from=(validation.parse_date(payload.designated_from, field="designated_from",
                                               label="认定日期")
                         if payload.designated_from else None),
        designated_until=(validation.parse_date(payload.designated_until, field="designated_until",
                                                label="认定有效期至", allow_future=True)
                          if payload.designated_until else None),
        status=payload.status, phone=payload.phone,
        service_counties=list(payload.service_counties))


@router.post("/providers", response={201: ProviderOut, **WRITE_ERRORS}, summary="登记服务机构")
def create_provider(request: HttpRequest, payload: ProviderIn) -> Status:
    require(request, Capability.MANAGE_PROVIDERS)
    provider, _changes = actions.save_provider(
        _provider_data(payload), actor=actor(request),
        scope=actions.write_scope(request.user, Capability.MANAGE_PROVIDERS))
    return Status(201, _provider_out(selectors.get_provider_for(request.user, provider.pk)))


@router.put("/providers/{int:provider_id}", response={200: ProviderOut, **WRITE_ERRORS},
            summary="修改服务机构")
def update_provider(request: HttpRequest, provider_id: int, payload: ProviderIn) -> dict[str, Any]:
    require(request, Capability.MANAGE_PROVIDERS)
    provider = selectors.get_provider_for(request.user, existing_id(provider_id),
                                          Capability.MANAGE_PROVIDERS)
    actions.save_provider(_provider_data(payload), actor=actor(request),
                          scope=actions.write_scope(request.user, Capability.MANAGE_PROVIDERS),
                          provider=provider)
    return _provider_out(selectors.get_provider_for(request.user, provider.pk))


class CoverageQuery(Schema):
    region: str = Field(max_length=12, description="地区区划代码（6或12位），须在您负责的地区内")


@router.get("/service-coverage", response={200: list[CoverageRow], **READ_ERRORS},
            summary="按乡镇：未满足的服务需求与服务该乡镇的机构和服务能力")
def service_coverage(request: HttpRequest, query: Query[CoverageQuery]) -> list[dict[str, Any]]:
    require(request, Capability.VIEW_STATISTICS)
    region = region_filter(query.region, "region")
    if not can(request.user, Capability.VIEW_STATISTICS, region):
        raise Http404
    return [{"township": row.region.code, "township_name": row.region.name,
             "kinds": [{"kind": k.kind, "kind_label": str(k.label), "open": k.open,
                        "unmet": k.unmet, "provider_ids": [p.pk for p in k.providers],
                        "capacity": k.capacity, "gap": k.gap} for k in row.kinds]}
            for row in selectors.township_coverage(request.user, region)]
