"""The closed loop: a need is referred, served and met, or goes back open with a reason;
every step is a state the rules in ``states`` allow, written with its history and audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from yangguang.audit.models import AuditEvent
from yangguang.core.errors import ValidationFailed
from yangguang.services import actions
from yangguang.services.models import (
    Need,
    NeedChange,
    Payer,
    ProviderStatus,
    ServiceKind,
    ServiceOutcome,
    ServiceRecord,
)
from yangguang.services.states import NEED_TRANSITIONS, NeedAction, NeedState, ReferralState

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
DAY = dt.timedelta(days=1)


def _service(outcome: str, *, started: dt.date, ended: dt.date | None = None,
             note: str = "", **more) -> actions.ServiceData:
    return actions.ServiceData(started_on=started, ended_on=ended, staff="李康复",
                               cost=Decimal("1200.50"), payer=Payer.FEDERATION,
                               outcome=outcome, note=note, **more)


def _codes(exc: pytest.ExceptionInfo) -> list[str]:
    return [p.code for p in exc.value.problems]


def test_need_referred_served_and_met_with_history_and_audit(person, provider, actor):
    someone = person()
    centre = provider([ServiceKind.BASIC_REHABILITATION])
    need = actions.open_need(someone, ServiceKind.BASIC_REHABILITATION, opened_on=TODAY - 30 * DAY,
                             actor=actor, scope=None)
    referral = actions.refer(need, centre, day=TODAY - 20 * DAY, actor=actor, scope=None)
    assert (need.state, referral.state) == (NeedState.REFERRED, ReferralState.SENT)
    actions.record_service(referral, _service(ServiceOutcome.ONGOING, started=TODAY - 10 * DAY),
                           actor=actor, scope=None)
    need.refresh_from_db()
    referral.refresh_from_db()
    assert (need.state, referral.state) == (NeedState.IN_SERVICE, ReferralState.ACCEPTED)
    actions.record_service(referral, _service(ServiceOutcome.MET, started=TODAY - 10 * DAY,
                                              ended=TODAY - DAY), actor=actor, scope=None)
    need.refresh_from_db()
    referral.refresh_from_db()
    assert need.state == NeedState.MET and need.met_on == TODAY - DAY
    assert referral.state == ReferralState.COMPLETED and referral.closed_on == TODAY - DAY
    assert list(NeedChange.objects.filter(need=need).values_list("action", "state")) == [
        ("open", "open"), ("refer", "referred"), ("serve", "in_service"), ("meet", "met")]
    services = ServiceRecord.objects.filter(need=need)
    assert services.count() == 2
    assert services.last().cost == Decimal("1200.50") and services.last().provider == centre
    events = AuditEvent.objects.filter(person_id=someone.pk, object_type__in=[
        "need", "referral", "service_record"]).order_by("id")
    assert [(e.object_type, e.action) for e in events] == [
        ("need", "create"), ("need", "update"), ("referral", "create"),
        ("service_record", "create"), ("need", "update"), ("referral", "update"),
        ("service_record", "create"), ("need", "update"), ("referral", "update")]
    assert all(e.region_code == someone.hukou_region_id for e in events)
    assert events.last().data["state"] == ["accepted", "completed"]


def test_met_need_reopened_with_reason_and_referred_again(person, provider, actor):
    someone = person()
    first, second = provider(), provider()
    need = actions.open_need(someone, ServiceKind.BASIC_REHABILITATION,
                             opened_on=TODAY - 60 * DAY, actor=actor, scope=None)
    referral = actions.refer(need, first, day=TODAY - 50 * DAY, actor=actor, scope=None)
    actions.record_service(referral, _service(ServiceOutcome.MET, started=TODAY - 40 * DAY,
                                              ended=TODAY - 30 * DAY), actor=actor, scope=None)
    actions.reopen_need(need, reason="康复效果未能保持，需继续训练", day=TODAY - 5 * DAY,
                        actor=actor, scope=None)
    need.refresh_from_db()
    assert need.state == NeedState.OPEN and need.met_on is None
    assert need.history.last().reason == "康复效果未能保持，需继续训练"
    event = AuditEvent.objects.filter(object_type="need", object_id=str(need.pk)).last()
    assert event.data["state"] == ["met", "open"]
    assert event.data["reason"] == "康复效果未能保持，需继续训练"
    again = actions.refer(need, second, day=TODAY, actor=actor, scope=None)
    assert again.state == ReferralState.SENT and need.referrals.count() == 2


def test_service_not_met_reopens_the_need_with_its_reason(person, provider, actor):
    need = actions.open_need(person(), ServiceKind.BASIC_REHABILITATION,
                             opened_on=TODAY - 9 * DAY, actor=actor, scope=None)
    referral = actions.refer(need, provider(), day=TODAY - 8 * DAY, actor=actor, scope=None)
    with pytest.raises(ValidationFailed) as exc:  # not met needs its reason
        actions.record_service(referral, _service(ServiceOutcome.NOT_MET, started=TODAY - 7 * DAY,
                                                  ended=TODAY - 2 * DAY), actor=actor, scope=None)
    assert _codes(exc) == ["required"]
    actions.record_service(referral, _service(ServiceOutcome.NOT_MET, started=TODAY - 7 * DAY,
                                              ended=TODAY - 2 * DAY, note="本人不适应机构训练"),
                           actor=actor, scope=None)
    need.refresh_from_db()
    referral.refresh_from_db()
    assert need.state == NeedState.OPEN and referral.state == ReferralState.COMPLETED
    assert need.history.last().reason == "本人不适应机构训练"


def test_declined_referral_opens_the_need_again(person, provider, actor):
    need = actions.open_need(person(), ServiceKind.BASIC_REHABILITATION,
                             opened_on=TODAY - 9 * DAY, actor=actor, scope=None)
    referral = actions.refer(need, provider(), day=TODAY - 8 * DAY, actor=actor, scope=None)
    actions.decline_referral(referral, reason="床位已满", day=TODAY - 7 * DAY, actor=actor,
                             scope=None)
    need.refresh_from_db()
    assert need.state == NeedState.OPEN and referral.state == ReferralState.DECLINED
    assert referral.reason == "床位已满"


@pytest.mark.parametrize("state", [s for s in NeedState.values])
def test_every_refused_transition_writes_nothing(person, provider, actor, state):
    """From each state, the actions ``states`` does not allow are refused and leave the
    need, its history and the audit log as they were."""
    need = actions.open_need(person(), ServiceKind.BASIC_REHABILITATION,
                             opened_on=TODAY - 9 * DAY, actor=actor, scope=None)
    Need.objects.filter(pk=need.pk).update(state=state)
    need.refresh_from_db()
    centre = provider()
    attempts = {
        NeedAction.REFER: lambda: actions.refer(need, centre, day=TODAY, actor=actor, scope=None),
        NeedAction.REOPEN: lambda: actions.reopen_need(need, reason="再次需要", day=TODAY,
                                                       actor=actor, scope=None),
        NeedAction.WITHDRAW: lambda: actions.withdraw_need(need, reason="本人放弃", day=TODAY,
                                                           actor=actor, scope=None),
    }
    for action, attempt in attempts.items():
        if state in NEED_TRANSITIONS[action][0]:
            continue
        events, history = AuditEvent.objects.count(), NeedChange.objects.count()
        with pytest.raises(ValidationFailed) as exc:
            attempt()
        assert _codes(exc) == ["transition_refused"], (state, action)
        need.refresh_from_db()
        assert need.state == state
        assert (AuditEvent.objects.count(), NeedChange.objects.count()) == (events, history)


def test_services_refused_on_a_closed_referral_and_by_provider(person, provider, actor):
    need = actions.open_need(person(), ServiceKind.BASIC_REHABILITATION,
                             opened_on=TODAY - 9 * DAY, actor=actor, scope=None)
    with pytest.raises(ValidationFailed) as exc:  # the provider offers another kind
        actions.refer(need, provider([ServiceKind.LEGAL_AID]), day=TODAY, actor=actor, scope=None)
    assert _codes(exc) == ["provider_not_offering"]
    with pytest.raises(ValidationFailed) as exc:
        actions.refer(need, provider(status=ProviderStatus.SUSPENDED), day=TODAY, actor=actor,
                      scope=None)
    assert _codes(exc) == ["provider_inactive"]
    referral = actions.refer(need, provider(), day=TODAY - 8 * DAY, actor=actor, scope=None)
    actions.decline_referral(referral, reason="床位已满", day=TODAY - 7 * DAY, actor=actor,
                             scope=None)
    with pytest.raises(ValidationFailed) as exc:
        actions.record_service(referral, _service(ServiceOutcome.ONGOING, started=TODAY),
                               actor=actor, scope=None)
    assert _codes(exc) == ["transition_refused"]
    assert not ServiceRecord.objects.exists()


def test_one_unmet_need_of_a_kind_and_dates_checked(person, actor):
    someone = person()
    actions.open_need(someone, ServiceKind.HOME_VISIT, opened_on=TODAY, actor=actor, scope=None)
    with pytest.raises(ValidationFailed) as exc:
        actions.open_need(someone, ServiceKind.HOME_VISIT, opened_on=TODAY, actor=actor, scope=None)
    assert _codes(exc) == ["need_exists"]
    with pytest.raises(ValidationFailed) as exc:
        actions.open_need(someone, ServiceKind.LEGAL_AID, opened_on=TODAY + DAY, actor=actor,
                          scope=None)
    assert _codes(exc) == ["date_future"]


def test_device_loan_names_what_was_done(person, provider, actor):
    need = actions.open_need(person(), ServiceKind.DEVICE_LOAN, opened_on=TODAY - 3 * DAY,
                             actor=actor, scope=None)
    referral = actions.refer(need, provider([ServiceKind.DEVICE_LOAN]), day=TODAY - 2 * DAY,
                             actor=actor, scope=None)
    with pytest.raises(ValidationFailed) as exc:
        actions.record_service(referral, _service(ServiceOutcome.ONGOING, started=TODAY),
                               actor=actor, scope=None)
    assert _codes(exc) == ["loan_action_required"]
    service = actions.record_service(
        referral, _service(ServiceOutcome.ONGOING, started=TODAY, loan_action="lend"),
        actor=actor, scope=None)
    assert service.loan_action == "lend"


@pytest.mark.parametrize("cost", ["NaN", "Infinity", "1e20", "100000000", "12.345"])
def test_a_cost_that_is_no_amount_in_yuan_is_refused(person, provider, actor, cost):
    """The form reads the cost with Decimal(), which takes 'NaN' (whose comparison with 0
    raised InvalidOperation), 'Infinity' and '1e20' (which the 10-digit column cannot
    hold) and a third decimal place (silently rounded): each is refused as the cost."""
    need = actions.open_need(person(), ServiceKind.BASIC_REHABILITATION,
                             opened_on=TODAY - 3 * DAY, actor=actor, scope=None)
    referral = actions.refer(need, provider(), day=TODAY - 2 * DAY, actor=actor, scope=None)
    data = _service(ServiceOutcome.ONGOING, started=TODAY)
    data.cost = Decimal(cost)
    with pytest.raises(ValidationFailed) as exc:
        actions.record_service(referral, data, actor=actor, scope=None)
    assert [(p.code, p.field) for p in exc.value.problems] == [("cost_invalid", "cost")]
    assert not ServiceRecord.objects.exists()
