"""Writes of benefits: each validates, saves and records the audit event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from yangguang.audit.services import Actor, Event, record, record_many
from yangguang.benefits import policy, rules, states
from yangguang.benefits.models import (
    ApplicationStep,
    BenefitApplication,
    BenefitGrant,
    FactKind,
    PersonFact,
)
from yangguang.benefits.states import ApplicantType, ApplicationAction
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.regions.models import Region
from yangguang.registry.models import Person
from yangguang.registry.rules import Scope, check_region_scope_of

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
          note: str = "") -> BenefitApplication:
    """Open an application (申请) for ``programme`` for ``person``: by the person, a
    guardian, the village committee, or proactively from screening. One open application
    and one running grant per person and programme."""
    check_region_scope_of(person.hukou_region_id, scope)
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
        applicant_name=applicant_name.strip(), applied_on=applied_on)
    step = _add_step(app, ApplicationAction.APPLY, "", applied_on, note, actor)
    record_many(actor, [_step_event(app, step, {"programme": programme,
                                                "applicant_type": applicant_type})])
    return app


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


@transaction.atomic
def take_step(app: BenefitApplication, action: str, *, day: dt.date, actor: Actor | Any,
              scope: Scope, note: str = "") -> BenefitApplication:
    """Take ``action`` on ``app`` (allowed by ``states.TRANSITIONS``), with who, when and a
    note. 审定 decides with ``rules.decide`` on ``day`` and stores its amount and reasons
    (refused when not eligible: reject it with the reasons instead); 发放 starts the grant
    from the month of the application; 不予通过 needs a reason."""
    app = BenefitApplication.objects.select_for_update().select_related("person").get(pk=app.pk)
    check_region_scope_of(app.person.hukou_region_id, scope)
    if action not in states.TRANSITIONS:
        raise ValidationFailed([Problem("transition_refused", "action", states.REFUSED,
                                        {"state": app.state, "action": action})])
    target = states.transition(app.state, action)
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
    from_state, app.state = app.state, target
    app.save()
    step = _add_step(app, action, from_state, day, note, actor)
    events = [_step_event(app, step, data)]
    if action == ApplicationAction.GRANT:
        grant = BenefitGrant.objects.create(
            person=app.person, programme=app.programme, application=app,
            start_month=first_of_month(app.applied_on), amount=app.amount, unit=app.unit,
            reasons=app.reasons)
        events.append(Event("create", "benefit_grant", str(grant.pk), app.person_id,
                            app.person.hukou_region_id,
                            {"programme": grant.programme,
                             "start_month": grant.start_month.isoformat()[:7],
                             "amount": str(grant.amount) if grant.amount is not None else None}))
    record_many(actor, events)
    return app


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
        grant.save(update_fields=["stop_month", "stop_reason"])
        stopped.append(grant)
    record_many(actor, [Event("update", "benefit_grant", str(g.pk), person.pk,
                              person.hukou_region_id,
                              {"action": "stop", "month": g.stop_month.isoformat()[:7],
                               "reason": g.stop_reason, "cause": cause,
                               "day": day.isoformat()})
                        for g in stopped])
    return stopped


def on_person_change(change: str, person: Person, day: dt.date, *, actor: Actor | Any,
                     **details: Any) -> None:
    """The registry's news of a change to a person (``core.contributions.person_changed``):
    a death or a hukou moved out of the county ends the person's grants from the next
    month; a transfer within the county changes nothing (the county pays)."""
    if change == "death":
        end_grants(person, "death", day, actor=actor)
    elif change == "moved_away":
        end_grants(person, "moved_away", day, actor=actor)
    elif change == "hukou_transfer" and details["from_region"][:6] != details["to_region"][:6]:
        to = details["to_region"]
        name = Region.objects.filter(pk=to).values_list("name", flat=True).first() or to
        end_grants(person, "hukou_transfer", day, actor=actor, region=name)
