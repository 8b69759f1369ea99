"""Every write of the service loop: validate, save, audit (the registry's ``services``
shape; named ``actions`` because ``services.services`` would read oddly).

Pages, the API, the ``providers`` import, the needs taken from the annual survey and the
demo data call these functions and nothing else to change needs, referrals, service
records and providers. Each takes the acting user's write ``scope`` (region code
prefixes, None for the command line and the demo) and refuses a person or provider
outside it; each state change asks ``states`` whether it is allowed; each records one
audit event per thing it changed, naming the person, so the person page's history and
the auditors see it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_prefixes
from yangguang.audit.models import AuditAction
from yangguang.audit.services import Actor, Event, record_many
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.registry.models import Person
from yangguang.services import eligibility
from yangguang.services.models import (
    LoanAction,
    Need,
    NeedChange,
    NeedSource,
    Payer,
    Provider,
    ProviderOffering,
    ProviderStatus,
    Referral,
    ServiceKind,
    ServiceOutcome,
    ServiceRecord,
)
from yangguang.services.states import (
    LIVE_REFERRALS,
    UNMET,
    NeedAction,
    NeedState,
    ReferralAction,
    ReferralState,
    need_transition,
    referral_transition,
)

Scope = tuple[str, ...] | None
REASON_MAX = 200

MESSAGES: dict[str, Any] = {
    "out_of_scope": _("{what}不在您的管辖范围内"),
    "person_deceased": _("该人员已登记死亡，不能登记服务需求"),
    "need_exists": _("该人员已有未满足的“{kind}”需求，请在原需求上办理"),
    "date_future": _("{label}{value}晚于今天"),
    "date_before": _("{label}{value}早于{other}{other_value}"),
    "required": _("{label}不能为空"),
    "too_long": _("{label}不能超过{max}个字"),
    "provider_inactive": _("服务机构“{name}”当前状态为“{status}”，不能接收转介"),
    "provider_not_offering": _("服务机构“{name}”不提供“{kind}”服务"),
    "loan_action_required": _("辅助器具借用服务须填写借用事项（借出、归还或维修）"),
    "loan_action_unexpected": _("只有辅助器具借用服务才填写借用事项"),
    "ended_required": _("服务结果为“{outcome}”时须填写结束日期"),
    "cost_negative": _("费用不能为负数"),
    "cost_invalid": _("费用“{value}”应为不超过{max}元、最多两位小数的金额"),
    "capacity_negative": _("服务能力不能为负数"),
    "capacity_too_large": _("服务能力不能超过{max}"),
    "kinds_required": _("至少选择一项服务类型"),
    "provider_exists": _("该地区已有名为“{name}”的服务机构"),
    "region_unknown": _("区划代码“{value}”不存在或已撤销"),
    "region_level": _("服务机构的所在地区应为地市、县或乡镇级区划，“{value}”是{level}"),
    "county_level": _("服务的邻近县应为县级区划，“{value}”是{level}"),
}


def _problem(code: str, field_name: str, **params: Any) -> Problem:
    return Problem(code, field_name, MESSAGES[code], params)


def fail(code: str, field_name: str, **params: Any) -> ValidationFailed:
    return ValidationFailed([_problem(code, field_name, **params)])


def write_scope(user: Any, capability: str = Capability.RECORD_SERVICES) -> Scope:
    """Where ``user`` may write (``record_services``; providers: ``manage_providers``)."""
    return tuple(scope_prefixes(user, capability))


def _in_scope(region_code: str, scope: Scope) -> bool:
    return scope is None or region_code.startswith(scope)


def _check_person(person: Person, scope: Scope) -> None:
    if not _in_scope(person.hukou_region_id, scope):
        raise fail("out_of_scope", "person", what=_("该人员"))


def _check_day(day: dt.date, label: Any, field_name: str, *, after: dt.date | None = None,
               after_label: Any = "") -> None:
    if day > timezone.localdate():
        raise fail("date_future", field_name, label=label, value=day.isoformat())
    if after is not None and day < after:
        raise fail("date_before", field_name, label=label, value=day.isoformat(),
                   other=after_label, other_value=after.isoformat())


def _reason(reason: str, *, required: bool, label: Any = None,
            field_name: str = "reason") -> str:
    label = label or _("原因")
    reason = " ".join((reason or "").split())
    if required and not reason:
        raise fail("required", field_name, label=label)
    if len(reason) > REASON_MAX:
        raise fail("too_long", field_name, label=label, max=REASON_MAX)
    return reason


def _need_event(need: Need, action: str, data: dict[str, Any]) -> Event:
    audit_action = AuditAction.CREATE if action == NeedAction.OPEN else AuditAction.UPDATE
    return Event(audit_action, "need", str(need.pk), need.person_id, need.person.hukou_region_id,
                 {"kind": need.kind, **data})


def _move(need: Need, action: str, day: dt.date, reason: str = "") -> Event:
    """Move the need by ``action`` (if ``states`` allows it), write its history row, and
    return the audit event."""
    before = need.state
    need.state = need_transition(before, action)
    need.state_since = day
    need.met_on = day if need.state == NeedState.MET else None
    need.save(update_fields=["state", "state_since", "met_on", "updated_at"])
    NeedChange.objects.create(need=need, action=action, state=need.state, day=day, reason=reason)
    data: dict[str, Any] = {"state": [before, need.state], "action": action, "day": day.isoformat()}
    if reason:
        data["reason"] = reason
    return _need_event(need, action, data)


def _move_referral(referral: Referral, action: str, day: dt.date, reason: str = "") -> Event:
    before = referral.state
    referral.state = referral_transition(before, action)
    if referral.state not in LIVE_REFERRALS:
        referral.closed_on = day
    if reason:
        referral.reason = reason
    referral.save(update_fields=["state", "closed_on", "reason"])
    need = referral.need
    data: dict[str, Any] = {"need": need.pk, "kind": need.kind, "provider": referral.provider.name,
                            "state": [before, referral.state], "day": day.isoformat()}
    if reason:
        data["reason"] = reason
    return Event(AuditAction.UPDATE, "referral", str(referral.pk), need.person_id,
                 need.person.hukou_region_id, data)


# ---------------------------------------------------------------------------
# Needs


@transaction.atomic
def open_need(person: Person, kind: str, *, opened_on: dt.date, actor: Actor | Any,
              scope: Scope, note: str = "", source: str = NeedSource.DIRECT,
              survey_year: int | None = None, survey_detail: str = "") -> Need:
    """Record a person's need for ``kind`` (from the annual survey or directly).

    Refused: a person outside ``scope`` or deceased, a date in the future or before
    birth, a person the jurisdiction's eligibility rule excludes (``not_eligible``,
    ``eligibility.check``), and a second unmet need of the same kind (``need_exists``).
    """
    _check_person(person, scope)
    ServiceKind(kind)
    if person.deceased_date is not None:
        raise fail("person_deceased", "person")
    _check_day(opened_on, _("登记日期"), "opened_on", after=person.birth_date,
               after_label=_("出生日期"))
    note = _reason(note, required=False, label=_("说明"), field_name="note")
    eligibility.check(person, kind, opened_on)
    if Need.objects.filter(person=person, kind=kind, state__in=UNMET).exists():
        raise fail("need_exists", "kind", kind=ServiceKind(kind).label)
    need = Need(person=person, kind=kind, source=source, survey_year=survey_year,
                opened_on=opened_on, state=NeedState.OPEN, state_since=opened_on, note=note,
                survey_detail=survey_detail)
    try:
        with transaction.atomic():
            need.save()
    except IntegrityError:  # another request opened the same need meanwhile
        raise fail("need_exists", "kind", kind=ServiceKind(kind).label) from None
    NeedChange.objects.create(need=need, action=NeedAction.OPEN, state=NeedState.OPEN,
                              day=opened_on)
    data: dict[str, Any] = {"source": source, "opened_on": opened_on.isoformat()}
    if survey_year:
        data["survey_year"] = survey_year
    record_many(actor, [_need_event(need, NeedAction.OPEN, data)])
    return need


@transaction.atomic
def reopen_need(need: Need, *, reason: str, day: dt.date, actor: Actor | Any,
                scope: Scope) -> Need:
    """Open a met, withdrawn or unfinished need again, with the reason; a referral still
    under way ends (completed)."""
    _check_person(need.person, scope)
    reason = _reason(reason, required=True)
    _check_day(day, _("日期"), "day", after=need.state_since, after_label=_("上次状态日期"))
    events = [_move(need, NeedAction.REOPEN, day, reason)]
    for referral in need.referrals.filter(state__in=LIVE_REFERRALS):
        events.append(_move_referral(referral, ReferralAction.COMPLETE, day))
    record_many(actor, events)
    return need


@transaction.atomic
def withdraw_need(need: Need, *, reason: str, day: dt.date, actor: Actor | Any,
                  scope: Scope) -> Need:
    """Withdraw a need not yet in service (the person declined, moved, died …); a
    referral still under way is declined with the same reason."""
    _check_person(need.person, scope)
    reason = _reason(reason, required=True)
    _check_day(day, _("日期"), "day", after=need.state_since, after_label=_("上次状态日期"))
    events = [_move(need, NeedAction.WITHDRAW, day, reason)]
    for referral in need.referrals.filter(state__in=LIVE_REFERRALS):
        events.append(_move_referral(referral, ReferralAction.DECLINE, day, reason))
    record_many(actor, events)
    return need


# ---------------------------------------------------------------------------
# Referrals


def _check_provider_takes(provider: Provider, kind: str) -> None:
    if provider.status != ProviderStatus.ACTIVE:
        raise fail("provider_inactive", "provider", name=provider.name,
                   status=ProviderStatus(provider.status).label)
    if not provider.offerings.filter(kind=kind).exists():
        raise fail("provider_not_offering", "provider", name=provider.name,
                   kind=ServiceKind(kind).label)


@transaction.atomic
def refer(need: Need, provider: Provider, *, day: dt.date, actor: Actor | Any,
          scope: Scope) -> Referral:
    """Send an open need to a provider that offers its kind and is active."""
    _check_person(need.person, scope)
    _check_day(day, _("转介日期"), "referred_on", after=need.state_since,
               after_label=_("上次状态日期"))
    _check_provider_takes(provider, need.kind)
    move = _move(need, NeedAction.REFER, day)
    referral = Referral.objects.create(need=need, provider=provider, referred_on=day)
    created = Event(AuditAction.CREATE, "referral", str(referral.pk), need.person_id,
                    need.person.hukou_region_id,
                    {"need": need.pk, "kind": need.kind, "provider": provider.name,
                     "provider_id": provider.pk, "day": day.isoformat()})
    record_many(actor, [move, created])
    return referral


@transaction.atomic
def accept_referral(referral: Referral, *, day: dt.date, actor: Actor | Any,
                    scope: Scope) -> Referral:
    """The provider took the referral on."""
    _check_person(referral.need.person, scope)
    _check_day(day, _("接收日期"), "day", after=referral.referred_on, after_label=_("转介日期"))
    record_many(actor, [_move_referral(referral, ReferralAction.ACCEPT, day)])
    return referral


@transaction.atomic
def decline_referral(referral: Referral, *, reason: str, day: dt.date, actor: Actor | Any,
                     scope: Scope) -> Referral:
    """The provider sent the referral back (no place, not suitable …): the need is open
    again, with the reason, for another referral."""
    _check_person(referral.need.person, scope)
    reason = _reason(reason, required=True)
    _check_day(day, _("退回日期"), "day", after=referral.referred_on, after_label=_("转介日期"))
    events = [_move_referral(referral, ReferralAction.DECLINE, day, reason),
              _move(referral.need, NeedAction.DECLINE, day, reason)]
    record_many(actor, events)
    return referral


# ---------------------------------------------------------------------------
# Service records


@dataclass
class ServiceData:
    started_on: dt.date
    staff: str
    payer: str
    outcome: str
    kind: str = ""  # the need's kind when empty
    ended_on: dt.date | None = None
    cost: Decimal = Decimal("0")
    loan_action: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


#: The largest cost of one service (the column holds 10 digits, 2 after the point).
MAX_COST = Decimal("99999999.99")


def _check_cost(cost: Decimal) -> None:
    """A cost in yuan: a finite amount of at most two decimal places that the column
    holds ('NaN', 'Infinity' and '1e20' read as Decimals too)."""
    if not cost.is_finite() or cost > MAX_COST or cost != cost.quantize(Decimal("0.01")):
        raise fail("cost_invalid", "cost", value=str(cost), max=MAX_COST)
    if cost < 0:
        raise fail("cost_negative", "cost")


@transaction.atomic
def record_service(referral: Referral, data: ServiceData, *, actor: Actor | Any,
                   scope: Scope) -> ServiceRecord:
    """Record a service given on a referral, and move the loop by its outcome: ongoing
    (the need is in service), met (the need is met, the referral completed) or not met
    (the need is open again with the note as its reason, the referral completed)."""
    need = referral.need
    _check_person(need.person, scope)
    kind = data.kind or need.kind
    ServiceKind(kind)
    Payer(data.payer)
    outcome = ServiceOutcome(data.outcome)
    referral_transition(referral.state, ReferralAction.SERVE)
    _check_provider_takes(referral.provider, kind)
    staff = _reason(data.staff, required=True, label=_("服务人员"), field_name="staff")
    note = _reason(data.note, required=outcome == ServiceOutcome.NOT_MET,
                   label=_("说明（未满足的原因）"), field_name="note")
    _check_day(data.started_on, _("开始日期"), "started_on", after=referral.referred_on,
               after_label=_("转介日期"))
    if data.ended_on is not None:
        _check_day(data.ended_on, _("结束日期"), "ended_on", after=data.started_on,
                   after_label=_("开始日期"))
    elif outcome != ServiceOutcome.ONGOING:
        raise fail("ended_required", "ended_on", outcome=outcome.label)
    _check_cost(data.cost)
    if kind == ServiceKind.DEVICE_LOAN and not data.loan_action:
        raise fail("loan_action_required", "loan_action")
    if kind != ServiceKind.DEVICE_LOAN and data.loan_action:
        raise fail("loan_action_unexpected", "loan_action")
    if data.loan_action:
        LoanAction(data.loan_action)
    day = data.ended_on or data.started_on
    if outcome == ServiceOutcome.ONGOING:
        events = [_move(need, NeedAction.SERVE, data.started_on)]
        if referral.state == ReferralState.SENT:
            events.append(_move_referral(referral, ReferralAction.SERVE, data.started_on))
    elif outcome == ServiceOutcome.MET:
        events = [_move(need, NeedAction.MEET, day),
                  _move_referral(referral, ReferralAction.COMPLETE, day)]
    else:
        events = [_move(need, NeedAction.REOPEN, day, note),
                  _move_referral(referral, ReferralAction.COMPLETE, day)]
    service = ServiceRecord.objects.create(
        referral=referral, need=need, provider=referral.provider, kind=kind,
        loan_action=data.loan_action, started_on=data.started_on, ended_on=data.ended_on,
        staff=staff, cost=data.cost, payer=data.payer, outcome=outcome, note=note)
    created = Event(AuditAction.CREATE, "service_record", str(service.pk), need.person_id,
                    need.person.hukou_region_id,
                    {"need": need.pk, "kind": kind, "provider": referral.provider.name,
                     "started_on": data.started_on.isoformat(),
                     "ended_on": data.ended_on.isoformat() if data.ended_on else None,
                     "staff": staff, "cost": str(data.cost), "payer": data.payer,
                     "outcome": outcome.value})
    record_many(actor, [created, *events])
    return service


# ---------------------------------------------------------------------------
# Providers


@dataclass
class ProviderData:
    name: str
    kind: str
    region: str  # 12-digit code
    kinds: list[str]
    capacity: int
    designated_from: dt.date | None = None
    designated_until: dt.date | None = None
    status: str = ProviderStatus.ACTIVE
    phone: str = ""
    #: Neighbouring counties it serves too (12-digit codes; 6 digits accepted); it serves
    #: its own county whatever this says.
    service_counties: list[str] = field(default_factory=list)

    def values(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "region_id": self.region,
                "capacity": self.capacity, "designated_from": self.designated_from,
                "designated_until": self.designated_until, "status": self.status,
                "phone": self.phone}


def provider_region(value: Any, field_name: str = "region") -> str:
    """The 12-digit code of a provider's region (6 or 12 digits given): a current
    prefecture, county or township (a provider serves its region's subtree)."""
    from yangguang.regions import catalog
    from yangguang.regions.models import RegionLevel

    text = str(value or "").strip()
    label = _("所在地区划代码")
    if not text:
        raise fail("required", field_name, label=label)
    entry = catalog.lookup(text) if text.isdigit() and len(text) in (6, 12) else None
    if entry is None or entry.valid_until is not None:
        raise fail("region_unknown", field_name, value=text)
    if not RegionLevel.PREFECTURE <= entry.level <= RegionLevel.TOWNSHIP:
        raise fail("region_level", field_name, value=text, level=RegionLevel(entry.level).label)
    return entry.code


def service_counties(values: list[str], own_region: str,
                     field_name: str = "service_counties") -> list[str]:
    """The 12-digit codes of the neighbouring counties a provider serves (6 or 12 digits
    given, each a current county), without its own county and repeats."""
    from yangguang.regions import catalog
    from yangguang.regions.models import RegionLevel

    codes: set[str] = set()
    for value in values:
        text = str(value or "").strip()
        if not text:
            continue
        entry = catalog.lookup(text) if text.isdigit() and len(text) in (6, 12) else None
        if entry is None or entry.valid_until is not None:
            raise fail("region_unknown", field_name, value=text)
        if entry.level != RegionLevel.COUNTY:
            raise fail("county_level", field_name, value=text,
                       level=RegionLevel(entry.level).label)
        if entry.code[:6] != own_region[:6]:
            codes.add(entry.code)
    return sorted(codes)


#: The largest capacity a provider may state (the API's bound; the column holds it on
#: every database).
MAX_CAPACITY = 10**9


def _check_provider(data: ProviderData, scope: Scope) -> None:
    if not data.name.strip():
        raise fail("required", "name", label=_("机构名称"))
    data.region = provider_region(data.region)
    if not _in_scope(data.region, scope):
        raise fail("out_of_scope", "region", what=_("所在地区"))
    data.service_counties = service_counties(data.service_counties, data.region)
    if not data.kinds:
        raise fail("kinds_required", "kinds")
    for kind in data.kinds:
        ServiceKind(kind)
    if data.capacity < 0:
        raise fail("capacity_negative", "capacity")
    if data.capacity > MAX_CAPACITY:
        raise fail("capacity_too_large", "capacity", max=MAX_CAPACITY)
    if (data.designated_from and data.designated_until
            and data.designated_until < data.designated_from):
        raise fail("date_before", "designated_until", label=_("认定有效期至"),
                   value=data.designated_until.isoformat(), other=_("认定日期"),
                   other_value=data.designated_from.isoformat())


def provider_changes(provider: Provider, data: ProviderData) -> dict[str, list[Any]]:
    """What saving ``data`` would change on ``provider`` (empty: nothing)."""
    changes: dict[str, list[Any]] = {}
    for name, value in data.values().items():
        old = getattr(provider, name)
        if old != value:
            changes[name.removesuffix("_id")] = [_plain(old), _plain(value)]
    kinds = sorted(set(data.kinds))
    if provider.kinds != kinds:
        changes["kinds"] = [provider.kinds, kinds]
    counties = sorted(set(data.service_counties))
    if provider.service_county_codes != counties:
        changes["service_counties"] = [provider.service_county_codes, counties]
    return changes


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _set_service_area(provider: Provider, counties: list[str]) -> None:
    """Make ``counties`` the provider's service area (through the link table, from the
    provider's side: ``Provider.service_county_codes`` says why)."""
    link = Provider.service_counties.through
    link.objects.filter(provider=provider).delete()
    link.objects.bulk_create([link(provider=provider, region_id=code) for code in sorted(set(counties))])
    provider._service_county_codes = sorted(set(counties))


@transaction.atomic
def save_provider(data: ProviderData, *, actor: Actor | Any, scope: Scope,
                  provider: Provider | None = None) -> tuple[Provider, dict[str, list[Any]]]:
    """Register a provider (``provider`` None) or change one; returns it with the changes
    (empty when nothing changed, and then nothing is written)."""
    if provider is not None and not _in_scope(provider.region_id, scope):
        raise fail("out_of_scope", "region", what=_("该服务机构"))
    _check_provider(data, scope)
    if provider is None:
        if Provider.objects.filter(region_id=data.region, name=data.name).exists():
            raise fail("provider_exists", "name", name=data.name)
        provider = Provider.objects.create(**data.values())
        ProviderOffering.objects.bulk_create(
            [ProviderOffering(provider=provider, kind=k) for k in sorted(set(data.kinds))])
        _set_service_area(provider, data.service_counties)
        changes = {"created": [None, data.name]}
        action = AuditAction.CREATE
    else:
        changes = provider_changes(provider, data)
        if not changes:
            return provider, {}
        if (data.name != provider.name or data.region != provider.region_id) and \
                Provider.objects.filter(region_id=data.region, name=data.name).exclude(
                    pk=provider.pk).exists():
            raise fail("provider_exists", "name", name=data.name)
        for name, value in data.values().items():
            setattr(provider, name, value)
        provider.save()
        if "kinds" in changes:
            provider.offerings.exclude(kind__in=data.kinds).delete()
            have = set(provider.offerings.values_list("kind", flat=True))
            ProviderOffering.objects.bulk_create(
                [ProviderOffering(provider=provider, kind=k) for k in sorted(set(data.kinds) - have)])
        if "service_counties" in changes:
            _set_service_area(provider, data.service_counties)
        action = AuditAction.UPDATE
    event_data = {"name": provider.name, "kind": provider.kind, "capacity": provider.capacity,
                  "kinds": sorted(set(data.kinds))}
    if data.service_counties:
        event_data["service_counties"] = sorted(set(data.service_counties))
    if action == AuditAction.UPDATE:
        event_data["changes"] = changes
    record_many(actor, [Event(action, "provider", str(provider.pk), None, provider.region_id,
                              event_data)])
    return provider, changes
