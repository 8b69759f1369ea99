"""Writes of benefits: each validates, saves and records the audit event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.selectors import scope_prefixes
from yangguang.audit.services import Actor, Event, record, record_many
from yangguang.benefits import policy, rules, selectors, states
from yangguang.benefits.models import (
    ACTIVE_ITEM_STATUSES,
    ApplicationStep,
    BenefitApplication,
    BenefitGrant,
    FactKind,
    ItemKind,
    ItemStatus,
    PersonFact,
    ScreeningItem,
)
from yangguang.benefits.states import ApplicantType, ApplicationAction
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.core.workdays import CalendarNotCovered, add_working_days
from yangguang.regions.models import Region
from yangguang.registry import selectors as registry_selectors
from yangguang.registry.models import Person
from yangguang.registry.rules import Scope, check_region_scope_of, in_scope

MESSAGES = {
    "fact_kind": _("未知的情况类别：{value}"),
    "fact_dates": _("结束日期不能早于开始日期{value}"),
    "fact_amount": _("月金额不能为负数"),
    "fact_source": _("请填写来源（如：民政部门比对、本人申报）"),
    "programme": _("未知的补贴项目：{value}"),
    "applicant_type": _("未知的申请方式：{value}"),
    "applicant_name": _("代为申请时请填写代办人姓名"),
    "already_open": _("该残疾人已有办理中的{value}申请"),
    "already_granted": _("该残疾人已在享受{value}"),
    "reason_required": _("不予通过时请填写理由"),
    "not_eligible": _("按{on}的政策不符合条件：{value}"),
    "stop_reason": _("请填写停发原因"),
    "stop_month": _("停发月份不能早于起始月份{value}"),
    "already_stopped": _("该发放已于{value}停发"),
    # The payroll (``payroll``)
    "payroll_frozen": _("{region}{month}的发放表已于{day}审核，不能重新生成"),
    "payroll_future": _("不能生成未来月份（{month}）的发放表"),
    "payroll_approved": _("该发放表已审核，不能再次审核"),
    "payroll_stale": _("生成该发放表后，{count}条明细涉及的月份已由其他审核通过的发放表发放，"
                       "请重新生成后再审核"),
    "payroll_format": _("文件格式应为 xlsx 或 csv：{value}"),
    "payroll_month": _("月份格式应为 YYYY-MM：{value}"),
    "publication_running": _("公示期至{value}，期满后方可发放"),
    "step_before_last": _("日期不能早于上一环节的日期{value}"),
    "residence_in_hukou_province": _("跨省通办只受理户籍在外省的申请：常住地与户籍地同属{province}，"
                                     "请到户籍地县（市、区）申请"),
    "residence_not_county": _("常住地区划代码应为县（市、区）或其下的地区：{value}"),
    "at_residence": _("该申请在常住地受理，须先转户籍地办理"),
    "not_at_residence": _("该申请已由户籍地办理，无需转交"),
    "applicant_not_found": _("没有与该公民身份号码和姓名相符的登记人员：请核对，或请户籍地先登记"),
    "item_status": _("跟进状态为“{value}”的待办不能改为该状态"),
    "item_note": _("请填写理由"),
    "item_application": _("请先为该人员登记{value}申请"),
}


def problem(code: str, field: str, **params: Any) -> Problem:
    """The problem ``code`` (``MESSAGES``) on ``field``."""
    return Problem(code=code, field=field, template=MESSAGES[code], params=params)


_problem = problem


@transaction.atomic
def record_fact(person: Person, *, kind: str, start_date: dt.date, end_date: dt.date | None = None,
                monthly_amount: Decimal | None = None, source: str, actor: Actor | Any,
                scope: Scope) -> PersonFact:
    """Record that a fact (another benefit, pension enrolment, a wheelchair …) held for
    ``person`` from ``start_date`` (to ``end_date``)."""
    check_region_scope_of(person.hukou_region_id, scope)
    problems = []
    if kind not in FactKind.values:
        problems.append(_problem("fact_kind", "kind", value=kind))
    if end_date is not None and end_date < start_date:
        problems.append(_problem("fact_dates", "end_date", value=start_date.isoformat()))
    if monthly_amount is not None and monthly_amount < 0:
        problems.append(_problem("fact_amount", "monthly_amount"))
    if not source.strip():
        problems.append(_problem("fact_source", "source"))
    if problems:
        raise ValidationFailed(problems)
    fact = PersonFact.objects.create(person=person, kind=kind, start_date=start_date,
                                     end_date=end_date, monthly_amount=monthly_amount,
                                     source=source.strip())
    record(actor, "create", "person_fact", fact.pk, person_id=person.pk,
           region_code=person.hukou_region_id,
           data={"kind": kind, "start_date": start_date.isoformat(),
                 "end_date": end_date.isoformat() if end_date else None,
                 "monthly_amount": str(monthly_amount) if monthly_amount is not None else None,
                 "source": fact.source})
    return fact


def record_check(person: Person, on: dt.date, *, actor: Actor | Any, channel: str) -> None:
    """A decision was read for ``person`` (the command line, the API): audited as a view."""
    record(actor, "view", "benefit_decision", person.pk, person_id=person.pk,
           region_code=person.hukou_region_id, data={"on": on.isoformat(), "channel": channel})


def record_screening(programme: str, region: str, on: dt.date, ids: list[int], *,
                     actor: Actor | Any, region_code: str) -> None:
    """A screening list was read: a view of the persons listed, with the criteria."""
    record(actor, "view", "person", region_code=region_code,
           data={"via": "benefits_screening", "ids": ids,
                 "query": {"programme": programme, "region": region, "on": on.isoformat()}})


# ---------------------------------------------------------------------------
# Applications and grants (申请 → 审核 → 核定等级 → 审定 → 公示 → 发放)


def _step_event(app: BenefitApplication, step: ApplicationStep, data: dict[str, Any]) -> Event:
    return Event("update" if step.action != ApplicationAction.APPLY else "create",
                 "benefit_application", str(app.pk), app.person_id, app.person.hukou_region_id,
                 {"action": step.action, "from": step.from_state, "to": step.to_state,
                  "day": step.day.isoformat(), "note": step.note, **data})


def _add_step(app: BenefitApplication, action: str, from_state: str, day: dt.date, note: str,
              actor: Actor | Any) -> ApplicationStep:
    who = Actor.of(actor)
    return ApplicationStep.objects.create(application=app, action=action, from_state=from_state,
                                          to_state=app.state, day=day, actor=who.name,
                                          user_id=who.user_id, note=note.strip())


@transaction.atomic
def apply(person: Person, programme: str, *, applicant_type: str, applied_on: dt.date,
          actor: Actor | Any, scope: Scope, applicant_name: str = "",
          note: str = "", residence_region: str | None = None) -> BenefitApplication:
    """Open an application (申请) for ``programme`` for ``person``: by the person, a
    guardian, the village committee, or proactively from screening. One open application
    and one running grant per person and programme. Lodged at the hukou county, or —
    跨省通办 — at the county of usual residence (``residence_region`` within ``scope``,
    outside the hukou county), which forwards it to the hukou county."""
    lodged_at = lodging_county(person.hukou_region_id, residence_region, scope)
    problems = []
    pol = policy.policies()
    label = pol.programmes[programme].name if programme in pol.programmes else programme
    if programme not in pol.programmes:
        problems.append(_problem("programme", "programme", value=programme))
    if applicant_type not in ApplicantType.values:
        problems.append(_problem("applicant_type", "applicant_type", value=applicant_type))
    if applicant_type in (ApplicantType.GUARDIAN, ApplicantType.VILLAGE_COMMITTEE) \
            and not applicant_name.strip():
        problems.append(_problem("applicant_name", "applicant_name"))
    if BenefitApplication.objects.filter(person=person, programme=programme,
                                         state__in=states.OPEN_STATES).exists():
        problems.append(_problem("already_open", "programme", value=label))
    if BenefitGrant.objects.filter(person=person, programme=programme,
                                   stop_month__isnull=True).exists():
        problems.append(_problem("already_granted", "programme", value=label))
    if problems:
        raise ValidationFailed(problems)
    app = BenefitApplication.objects.create(
        person=person, programme=programme, applicant_type=applicant_type,
        applicant_name=applicant_name.strip(), applied_on=applied_on,
        residence_region_id=lodged_at, deadline=deadline_of(states.S.SUBMITTED, applied_on))
    step = _add_step(app, ApplicationAction.APPLY, "", applied_on, note, actor)
    record_many(actor, [_step_event(app, step, {
        "programme": programme, "applicant_type": applicant_type,
        **({"residence_region": lodged_at} if lodged_at else {})})])
    mark_items_applied(app, applied_on, actor)
    return app


def apply_at_residence(id_number: str, name: str, programme: str, *, residence_region: str,
                       applicant_type: str, applied_on: dt.date, actor: Actor | Any,
                       scope: Scope, applicant_name: str = "", note: str = ""
                       ) -> BenefitApplication:
    """跨省通办: an application taken in at the county of usual residence for the
    registered person with this ID number and name (``apply``), which that county then
    forwards to the hukou county. Refused (``applicant_not_found``) when the number
    and the name do not name one registered person."""
    person = registry_selectors.person_by_id_number_and_name(id_number, name)
    if person is None:
        raise ValidationFailed([_problem("applicant_not_found", "id_number")])
    if in_scope(person.hukou_region_id, scope):
        residence_region = None  # the caller handles the hukou: an ordinary application
    return apply(person, programme, applicant_type=applicant_type, applied_on=applied_on,
                 actor=actor, scope=scope, applicant_name=applicant_name, note=note,
                 residence_region=residence_region)


def county_of(region_code: str) -> str:
    """The 12-digit code of the county a region lies in."""
    return region_code[:6].ljust(12, "0")


def province_of(region_code: str) -> str:
    """The 12-digit code of the province a region lies in."""
    return region_code[:2].ljust(12, "0")


def lodging_county(hukou_region: str, residence_region: str | None, scope: Scope) -> str | None:
    """None when the application is lodged at the hukou (``scope`` holds it); else —
    跨省通办 — the county of usual residence that takes it in, which ``scope`` must hold
    and which must lie in another province than the hukou (within a province the
    hukou county takes applications itself)."""
    if in_scope(hukou_region, scope) or residence_region is None:
        check_region_scope_of(hukou_region, scope)
        return None
    check_region_scope_of(residence_region, scope)
    if residence_region[6:] == "000000" and residence_region[4:6] == "00":
        raise ValidationFailed([_problem("residence_not_county", "residence_region",
                                         value=residence_region[:6])])
    if province_of(residence_region) == province_of(hukou_region):
        province = province_of(hukou_region)
        name = Region.objects.filter(pk=province).values_list("name", flat=True).first()
        raise ValidationFailed([_problem("residence_in_hukou_province", "residence_region",
                                         province=name or province[:6])])
    return county_of(residence_region)


def deadline_of(state: str, start: dt.date) -> dt.date | None:
    """The last day of the period running in ``state`` from ``start`` (``states.
    DEADLINES``), counted in working days; None for a state without one. A staff period
    whose end the holiday calendar does not carry yet is None (no deadline rather than a
    wrong one); the publication's end, which the grant waits for, refuses the step
    (``CalendarNotCovered``)."""
    if state not in states.DEADLINES:
        return None
    period = states.DEADLINES[state][0]
    try:
        return add_working_days(start, policy.policies().working_days[period])
    except CalendarNotCovered:
        if period in states.STAFF_PERIODS:
            return None
        raise


def is_overdue(app: BenefitApplication, today: dt.date) -> bool:
    """Whether the staff's period of ``app``'s state (review, level check) has passed."""
    return (app.deadline is not None and app.deadline < today
            and states.DEADLINES.get(app.state, ("",))[0] in states.STAFF_PERIODS)


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _check_holder(app: BenefitApplication, action: str) -> None:
    """The county of usual residence that took an application in forwards it or refuses
    it; every other step is the hukou county's."""
    if app.at_residence and action not in (ApplicationAction.FORWARD, ApplicationAction.REJECT):
        raise ValidationFailed([_problem("at_residence", "action")])
    if not app.at_residence and action == ApplicationAction.FORWARD:
        raise ValidationFailed([_problem("not_at_residence", "action")])


def _check_day(app: BenefitApplication, action: str, day: dt.date) -> None:
    last = app.steps.order_by("-day").values_list("day", flat=True).first()
    if last is not None and day < last:
        raise ValidationFailed([_problem("step_before_last", "day", value=last.isoformat())])
    if action == ApplicationAction.GRANT and app.deadline is not None and day <= app.deadline:
        raise ValidationFailed([_problem("publication_running", "day",
                                         value=app.deadline.isoformat())])


@transaction.atomic
def take_step(app: BenefitApplication, action: str, *, day: dt.date, actor: Actor | Any,
              scope: Scope = None, user: Any = None, note: str = "") -> BenefitApplication:
    """Take ``action`` on ``app`` (allowed by ``states.TRANSITIONS``), with who, when and a
    note. ``user``: the step needs its capability (``states.capability_for``) over the
    application's region; without one, ``scope`` says where the caller may act.
    审定 decides with ``rules.decide`` on ``day`` and stores its amount and reasons
    (refused when not eligible: reject it with the reasons instead); 发放 waits for the
    end of the publication and starts the grant from the month of the application;
    不予通过 needs a reason. Each step sets the deadline of the state it leads to."""
    app = BenefitApplication.objects.select_for_update().select_related("person").get(pk=app.pk)
    if action not in states.TRANSITIONS:
        raise ValidationFailed([Problem("transition_refused", "action", states.REFUSED,
                                        {"state": app.state, "action": action})])
    target = states.transition(app.state, action)
    _check_holder(app, action)
    if user is not None:
        scope = tuple(scope_prefixes(user, states.capability_for(app.state, action)))
    check_region_scope_of(selectors.acting_region(app), scope)
    _check_day(app, action, day)
    data: dict[str, Any] = {}
    if action == ApplicationAction.REJECT:
        if not note.strip():
            raise ValidationFailed([_problem("reason_required", "note")])
        app.rejection_reason = note.strip()
    if action == ApplicationAction.DECIDE:
        (decision,) = rules.decide(app.person, day, [app.programme])
        if not decision.eligible:
            raise ValidationFailed([_problem("not_eligible", "action", on=day.isoformat(),
                                             value="；".join(decision.reasons))])
        app.decided_on, app.amount, app.unit = day, decision.amount, decision.unit
        app.reasons = decision.reasons
        data = {"amount": str(decision.amount) if decision.amount is not None else None,
                "reasons": decision.reasons}
    if action == ApplicationAction.FORWARD:
        app.forwarded_on = day
    app.deadline = deadline_of(target, day)
    if app.deadline is not None:
        data["deadline"] = app.deadline.isoformat()
    from_state, app.state = app.state, target
    app.save()
    step = _add_step(app, action, from_state, day, note, actor)
    events = [_step_event(app, step, data)]
    if action == ApplicationAction.GRANT:
        grant = BenefitGrant.objects.create(
            person=app.person, programme=app.programme, application=app,
            start_month=start_month_of(app), amount=app.amount, unit=app.unit,
            reasons=app.reasons, paying_region_id=county_of(app.person.hukou_region_id))
        events.append(Event("create", "benefit_grant", str(grant.pk), app.person_id,
                            app.person.hukou_region_id,
                            {"programme": grant.programme,
                             "start_month": grant.start_month.isoformat()[:7],
                             "paying_region": grant.paying_region_id,
                             "amount": str(grant.amount) if grant.amount is not None else None}))
    record_many(actor, events)
    return app


def start_month_of(app: BenefitApplication) -> dt.date:
    """The month a grant of ``app`` starts: the month of the application, but never
    before the stop month of an earlier grant of the programme (a person who moved in
    from another county was paid there to the month of the transfer: the new county pays
    from the month after)."""
    start = first_of_month(app.applied_on)
    earlier = (BenefitGrant.objects.filter(person_id=app.person_id, programme=app.programme,
                                           stop_month__isnull=False)
               .order_by("-stop_month").values_list("stop_month", flat=True).first())
    return max(start, earlier) if earlier is not None else start


@transaction.atomic
def stop_grant(grant: BenefitGrant, *, month: dt.date, reason: str, actor: Actor | Any,
               scope: Scope) -> BenefitGrant:
    """Stop ``grant`` from ``month`` (no payment for that month and after), with a reason."""
    grant = BenefitGrant.objects.select_for_update().select_related("person").get(pk=grant.pk)
    check_region_scope_of(grant.person.hukou_region_id, scope)
    month = first_of_month(month)
    problems = []
    if grant.stop_month is not None:
        problems.append(_problem("already_stopped", "month",
                                 value=grant.stop_month.isoformat()[:7]))
    if month < grant.start_month:
        problems.append(_problem("stop_month", "month",
                                 value=grant.start_month.isoformat()[:7]))
    if not reason.strip():
        problems.append(_problem("stop_reason", "reason"))
    if problems:
        raise ValidationFailed(problems)
    grant.stop_month, grant.stop_reason = month, reason.strip()
    grant.save(update_fields=["stop_month", "stop_reason"])
    record(actor, "update", "benefit_grant", grant.pk, person_id=grant.person_id,
           region_code=grant.person.hukou_region_id,
           data={"action": "stop", "month": month.isoformat()[:7], "reason": grant.stop_reason})
    return grant


# ---------------------------------------------------------------------------
# Grants end when circumstances change (动态监管): from the month after the event


#: Why a grant ended, with the day of the event (stored in Chinese, the source language).
STOP_CAUSES = {
    "death": _("死亡（{day}）"),
    "moved_away": _("户籍迁出（{day}）"),
    "hukou_transfer": _("户籍迁往{region}（{day}）"),
    "certificate_expired": _("残疾人证有效期至{day}，已过期"),
    "certificate_cancelled": _("残疾人证已注销（{day}）"),
    "certificate_frozen": _("残疾人证已冻结（{day}）"),
    "tekun": _("纳入特困人员供养（{day} 起）"),
}


def month_after(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def stop_reason(cause: str, day: dt.date, **params: Any) -> str:
    """The stop reason of ``cause`` on ``day``, in the platform's language (stored)."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return str(STOP_CAUSES[cause]).format(day=day.isoformat(), **params)


@transaction.atomic
def end_grants(person: Person, cause: str, day: dt.date, *, actor: Actor | Any,
               programmes: list[str] | None = None, **params: Any) -> list[BenefitGrant]:
    """End every running grant of ``person`` from the month after ``day`` (the month of
    the event is paid; a grant that started later ends at its start), for ``cause``
    (``STOP_CAUSES``). What the registry's death, transfer and move-away paths and a
    confirmed death on a department list call (through ``on_person_change``), and the
    payroll for what it finds; ``programmes`` narrows it. Grants already stopped are left
    alone, so calling it again changes nothing. Audited per grant."""
    reason = stop_reason(cause, day, **params)
    stopped = []
    running = BenefitGrant.objects.select_for_update().filter(person=person,
                                                              stop_month__isnull=True)
    if programmes is not None:
        running = running.filter(programme__in=programmes)
    for grant in running.order_by("pk"):
        grant.stop_month, grant.stop_reason = max(month_after(day), grant.start_month), reason
        grant.stop_cause, grant.stop_event_on = cause, day
        grant.save(update_fields=["stop_month", "stop_reason", "stop_cause", "stop_event_on"])
        stopped.append(grant)
    record_many(actor, [Event("update", "benefit_grant", str(g.pk), person.pk,
                              person.hukou_region_id,
                              {"action": "stop", "month": g.stop_month.isoformat()[:7],
                               "reason": g.stop_reason, "cause": cause,
                               "day": day.isoformat()})
                        for g in stopped])
    return stopped


@transaction.atomic
def restart_grants(person: Person, cause: str, day: dt.date, *, actor: Actor | Any,
                   correction: str, paying_county: str | None = None) -> list[BenefitGrant]:
    """Undo ``end_grants`` for the event that did not happen as recorded: the grants of
    ``person`` that ``cause`` on ``day`` ended (``stop_cause``, ``stop_event_on``; of
    ``paying_county`` only, when given) run again, unless the person holds a running
    grant of the programme since (a new application). What the payroll took back or did
    not pay for the months between is paid by the next payroll (補发). Audited per grant
    with the ``correction`` (move_withdrawn, death_corrected, transfer_returned)."""
    ended = BenefitGrant.objects.select_for_update().filter(
        person=person, stop_cause=cause, stop_event_on=day)
    if paying_county is not None:
        ended = ended.filter(paying_region_id=paying_county)
    running = set(BenefitGrant.objects.filter(person=person, stop_month__isnull=True)
                  .values_list("programme", flat=True))
    restarted, events = [], []
    for grant in ended.order_by("pk"):
        if grant.programme in running:
            continue
        before = {"stop_month": grant.stop_month.isoformat()[:7] if grant.stop_month else None,
                  "reason": grant.stop_reason}
        grant.stop_month, grant.stop_reason, grant.stop_cause, grant.stop_event_on = (
            None, "", "", None)
        grant.save(update_fields=["stop_month", "stop_reason", "stop_cause", "stop_event_on"])
        running.add(grant.programme)
        restarted.append(grant)
        events.append(Event("update", "benefit_grant", str(grant.pk), person.pk,
                            person.hukou_region_id,
                            {"action": "restart", "cause": cause, "day": day.isoformat(),
                             "correction": correction, "stopped": before}))
    record_many(actor, events)
    return restarted


def on_person_change(change: str, person: Person, day: dt.date | None, *, actor: Actor | Any,
                     **details: Any) -> None:
    """The registry's news of a change to a person (``core.contributions.person_changed``):
    a death or a hukou moved out of the county ends the person's grants from the next
    month; a transfer within the county changes nothing (the county pays). Corrections
    restart what the event ended: a move away withdrawn; a death corrected (the grants
    end again from the month after the corrected day, if any); a transfer back to the
    paying county in the month of the transfer (the move was cancelled)."""
    if change == "death":
        end_grants(person, "death", day, actor=actor)
    elif change == "moved_away":
        end_grants(person, "moved_away", day, actor=actor)
    elif change == "move_withdrawn":
        restart_grants(person, "moved_away", day, actor=actor, correction=change)
    elif change == "death_corrected":
        restart_grants(person, "death", details["previous"], actor=actor, correction=change)
        if day is not None:
            end_grants(person, "death", day, actor=actor)
    elif change == "hukou_transfer" and details["from_region"][:6] != details["to_region"][:6]:
        to = details["to_region"]
        name = Region.objects.filter(pk=to).values_list("name", flat=True).first() or to
        end_grants(person, "hukou_transfer", day, actor=actor, region=name)
        back = BenefitGrant.objects.filter(
            person=person, stop_cause="hukou_transfer", paying_region_id=county_of(to),
            stop_event_on__gte=day.replace(day=1), stop_event_on__lte=day)
        for event_day in sorted(set(back.values_list("stop_event_on", flat=True))):
            restart_grants(person, "hukou_transfer", event_day, actor=actor,
                           correction="transfer_returned", paying_county=county_of(to))


# ---------------------------------------------------------------------------
# Screening work items (主动发现、动态监管): found by the screening job, followed up


#: The note of an item the screening closed (stored in Chinese, the source language).
STALE_NOTE = _("{on}筛查时已不在“{kind}”名单中（情况已变化），自动关闭")


def screen_into_items(programme: str, region_prefix: str, on: dt.date, *,
                      actor: Actor | Any, full: bool = False) -> dict[str, int]:
    """Run ``selectors.screening_report`` for ``programme`` over ``region_prefix`` on
    ``on`` and turn both lists into work items (not the eligible persons whose
    application is under way). Idempotent: a person already on an
    active item (open, contacted) of that list is only seen again (``last_seen_on``,
    the reasons of the day); a person whose last item was resolved comes back only
    when the reasons changed — or, in a ``full`` run (the monthly one), whenever found.
    Open items of the region that the screening no longer finds are closed
    (``close_stale_items``). Returns the counts (no personal data)."""
    report = selectors.screening_report(None, programme, region_prefix, on)
    applying = set(BenefitApplication.objects.filter(
        programme=programme, state__in=states.OPEN_STATES,
        person__hukou_region__code__startswith=region_prefix).values_list("person_id", flat=True))
    created = seen = 0
    events = []
    for kind in ItemKind.values:
        for found in report[kind]:
            person_id, reasons = found["person_id"], found["reasons"]
            if kind == ItemKind.ELIGIBLE_NOT_RECEIVING and person_id in applying:
                continue  # found already: an application is under way
            items = ScreeningItem.objects.filter(person_id=person_id, programme=programme, kind=kind)
            active = items.filter(status__in=ACTIVE_ITEM_STATUSES).first()
            if active is not None:
                active.last_seen_on, active.reasons = max(active.last_seen_on, on), reasons
                active.save(update_fields=["last_seen_on", "reasons"])
                seen += 1
                continue
            last = items.order_by("-pk").first()
            if last is not None and last.reasons == reasons and not full:
                continue
            person = Person.objects.only("hukou_region_id").get(pk=person_id)
            item = ScreeningItem.objects.create(
                person_id=person_id, programme=programme, kind=kind,
                region_id=person.hukou_region_id, found_on=on, last_seen_on=on, reasons=reasons)
            created += 1
            events.append(Event("create", "screening_item", str(item.pk), person_id,
                                person.hukou_region_id,
                                {"programme": programme, "kind": kind, "on": on.isoformat()}))
    record_many(actor, events)
    found = {kind: {row["person_id"] for row in report[kind]} for kind in ItemKind.values}
    closed = close_stale_items(programme, region_prefix, found, on, actor=actor)
    return {"created": created, "seen": seen, "closed": closed}


@transaction.atomic
def close_stale_items(programme: str, region_prefix: str, found: dict[str, set[int]],
                      on: dt.date, *, actor: Actor | Any) -> int:
    """Close (已关闭, with the reason) the open items of ``programme`` in
    ``region_prefix`` whose person the day's screening did not find on their list
    (``found``: kind → person ids): the condition no longer holds (granted, stopped,
    eligible again, no longer eligible). Only items nobody has followed up yet (open,
    no follow-up recorded): an item a person has moved forward is theirs. Audited per
    item."""
    from django.conf import settings
    from django.utils import translation

    who = Actor.of(actor)
    stale = [item for item in ScreeningItem.objects.select_for_update()
             .filter(programme=programme, status=ItemStatus.OPEN, status_by="",
                     region__code__startswith=region_prefix).order_by("pk")
             if item.person_id not in found.get(item.kind, ())]
    events = []
    for item in stale:
        with translation.override(settings.LANGUAGE_CODE):
            note = str(STALE_NOTE).format(on=on.isoformat(), kind=ItemKind(item.kind).label)
        item.status, item.status_note, item.status_on, item.status_by = (
            ItemStatus.CLOSED, note, on, who.name)
        item.save(update_fields=["status", "status_note", "status_on", "status_by"])
        events.append(Event("update", "screening_item", str(item.pk), item.person_id,
                            item.region_id, {"status": [ItemStatus.OPEN, ItemStatus.CLOSED],
                                             "day": on.isoformat(), "note": note,
                                             "cause": "stale"}))
    record_many(actor, events)
    return len(stale)


def record_items_read(ids: list[int], *, actor: Actor | Any, region_code: str) -> None:
    """Screening work items were read (they name persons): audited as a view."""
    if ids:
        record(actor, "view", "screening_item", region_code=region_code, data={"ids": ids})


#: status → the statuses a follow-up may move it to
ITEM_MOVES: dict[str, frozenset[str]] = {
    ItemStatus.OPEN: frozenset({ItemStatus.CONTACTED, ItemStatus.APPLIED, ItemStatus.NOT_ELIGIBLE,
                                ItemStatus.CLOSED}),
    ItemStatus.CONTACTED: frozenset({ItemStatus.APPLIED, ItemStatus.NOT_ELIGIBLE, ItemStatus.CLOSED}),
}
#: The statuses that need a reason.
ITEM_NEEDS_NOTE = (ItemStatus.NOT_ELIGIBLE, ItemStatus.CLOSED)


@transaction.atomic
def follow_up(item: ScreeningItem, status: str, *, day: dt.date, actor: Actor | Any,
              scope: Scope, note: str = "") -> ScreeningItem:
    """Move ``item`` on (``ITEM_MOVES``): contacted; applied (an application for the
    programme exists for the person, linked); not eligible or closed, with a reason."""
    item = ScreeningItem.objects.select_for_update().get(pk=item.pk)
    check_region_scope_of(item.region_id, scope)
    if status not in ITEM_MOVES.get(item.status, ()):
        raise ValidationFailed([_problem("item_status", "status",
                                         value=ItemStatus(item.status).label)])
    if status in ITEM_NEEDS_NOTE and not note.strip():
        raise ValidationFailed([_problem("item_note", "note")])
    if status == ItemStatus.APPLIED:
        app = (BenefitApplication.objects.filter(person_id=item.person_id, programme=item.programme)
               .order_by("-pk").first())
        if app is None:
            pol = policy.policies()
            label = pol.programmes[item.programme].name if item.programme in pol.programmes \
                else item.programme
            raise ValidationFailed([_problem("item_application", "status", value=label)])
        item.application = app
    before = item.status
    who = Actor.of(actor)
    item.status, item.status_note, item.status_on, item.status_by = status, note.strip(), day, who.name
    item.save()
    record(actor, "update", "screening_item", item.pk, person_id=item.person_id,
           region_code=item.region_id,
           data={"status": [before, status], "day": day.isoformat(), "note": item.status_note})
    return item


def mark_items_applied(app: BenefitApplication, day: dt.date, actor: Actor | Any) -> None:
    """An application was made for a person with an active 主动发现 item of the
    programme: the item is followed up as applied, linked to it."""
    for item in ScreeningItem.objects.filter(person_id=app.person_id, programme=app.programme,
                                             kind=ItemKind.ELIGIBLE_NOT_RECEIVING,
                                             status__in=ACTIVE_ITEM_STATUSES):
        follow_up(item, ItemStatus.APPLIED, day=day, actor=actor, scope=None,
                  note=str(_("已登记申请")))
