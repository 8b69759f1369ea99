"""The application flow: every step allowed and refused, the decision's amount is
``rules.decide``'s, the grant, scope, audit, and the screening report with grants."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from yangguang.audit.models import AuditEvent
from yangguang.benefits import rules, selectors, services, states
from yangguang.benefits.models import BenefitApplication, BenefitGrant
from yangguang.benefits.states import ApplicationAction as A
from yangguang.benefits.states import ApplicationState as S
from yangguang.benefits.tests.conftest import ACTOR, WUTAI, XINING, take_steps
from yangguang.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db
D = dt.date
DIBAO = (("dibao", D(2024, 3, 1), None),)
FLOW = [A.REVIEW, A.CHECK_LEVEL, A.DECIDE, A.PUBLISH, A.GRANT]


def codes(excinfo) -> list[str]:
    return [p.code for p in excinfo.value.problems]


DAY = dt.date(2025, 6, 2)


def run(app, actions, day=DAY, scope=None):
    return take_steps(app, actions, day, scope=scope)


def test_the_whole_flow_decides_with_rules_decide_and_starts_the_grant(person):
    p = person(region=XINING, level="二级", statuses=DIBAO)
    app = services.apply(p, "living_allowance", applicant_type="person", applied_on=D(2025, 5, 20),
                         actor=ACTOR, scope=None)
    app = run(app, FLOW)
    (expected,) = rules.decide(p, D(2025, 6, 2), ["living_allowance"])
    assert app.state == S.GRANTED
    assert (app.amount, app.reasons) == (expected.amount, expected.reasons) == (Decimal(120), expected.reasons)
    assert [s.action for s in app.steps.all()] == [A.APPLY, *FLOW]
    assert all(s.actor == "test" and s.day for s in app.steps.all())
    grant = BenefitGrant.objects.get(application=app)
    assert (grant.start_month, grant.amount, grant.reasons) == (D(2025, 5, 1), Decimal(120), expected.reasons)
    events = AuditEvent.objects.filter(object_type="benefit_application", object_id=str(app.pk))
    assert [e.data["action"] for e in events.order_by("pk")] == [A.APPLY, *FLOW]
    assert AuditEvent.objects.filter(object_type="benefit_grant", object_id=str(grant.pk)).exists()


@pytest.mark.parametrize("state", [s for s in S.values])
def test_only_the_listed_transitions_are_allowed(state):
    for action in states.TRANSITIONS:
        sources, target = states.TRANSITIONS[action]
        if state in sources:
            assert states.transition(state, action) == target
        else:
            with pytest.raises(ValidationFailed) as e:
                states.transition(state, action)
            assert codes(e) == ["transition_refused"]
    assert set(states.actions_from(state)) == {a for a, (src, _t) in states.TRANSITIONS.items()
                                               if state in src and a != A.FORWARD}
    assert set(states.actions_from(state, at_residence=True)) <= {A.FORWARD, A.REJECT}


def test_a_step_out_of_order_is_refused_and_nothing_is_written(person):
    p = person(region=XINING, level="一级")
    app = services.apply(p, "care_allowance", applicant_type="guardian", applicant_name="张三",
                         applied_on=D(2025, 5, 20), actor=ACTOR, scope=None)
    with pytest.raises(ValidationFailed) as e:
        services.take_step(app, A.DECIDE, day=D(2025, 6, 3), actor=ACTOR, scope=None)
    assert codes(e) == ["transition_refused"]
    app.refresh_from_db()
    assert (app.state, app.steps.count()) == (S.SUBMITTED, 1)


def test_decide_refuses_an_ineligible_person_with_the_reasons_and_reject_needs_a_reason(person):
    p = person(region=XINING, level="三级", category="智力")  # care: levels 1–2 only
    app = services.apply(p, "care_allowance", applicant_type="village_committee",
                         applicant_name="某村委会", applied_on=D(2025, 5, 20), actor=ACTOR, scope=None)
    app = run(app, [A.REVIEW, A.CHECK_LEVEL])
    with pytest.raises(ValidationFailed) as e:
        services.take_step(app, A.DECIDE, day=D(2025, 6, 3), actor=ACTOR, scope=None)
    assert codes(e) == ["not_eligible"]
    with pytest.raises(ValidationFailed) as e:
        services.take_step(app, A.REJECT, day=D(2025, 6, 3), actor=ACTOR, scope=None)
    assert codes(e) == ["reason_required"]
    app = services.take_step(app, A.REJECT, day=D(2025, 6, 3), actor=ACTOR, scope=None,
                             note="等级不在范围内")
    assert (app.state, app.rejection_reason) == (S.REJECTED, "等级不在范围内")
    with pytest.raises(ValidationFailed):
        services.take_step(app, A.REVIEW, day=D(2025, 6, 3), actor=ACTOR, scope=None)


def test_apply_refuses_bad_input_a_second_open_application_and_a_running_grant(person):
    p = person(region=XINING, level="一级")
    with pytest.raises(ValidationFailed) as e:
        services.apply(p, "nope", applicant_type="friend", applied_on=D(2025, 5, 1), actor=ACTOR,
                       scope=None)
    assert codes(e) == ["programme", "applicant_type"]
    with pytest.raises(ValidationFailed) as e:
        services.apply(p, "care_allowance", applicant_type="guardian", applied_on=D(2025, 5, 1),
                       actor=ACTOR, scope=None)
    assert codes(e) == ["applicant_name"]
    app = services.apply(p, "care_allowance", applicant_type="proactive", applied_on=D(2025, 5, 1),
                         actor=ACTOR, scope=None)
    with pytest.raises(ValidationFailed) as e:
        services.apply(p, "care_allowance", applicant_type="person", applied_on=D(2025, 5, 2),
                       actor=ACTOR, scope=None)
    assert codes(e) == ["already_open"]
    run(app, FLOW)
    with pytest.raises(ValidationFailed) as e:
        services.apply(p, "care_allowance", applicant_type="person", applied_on=D(2025, 7, 2),
                       actor=ACTOR, scope=None)
    assert codes(e) == ["already_granted"]


def test_writes_outside_the_scope_are_refused(person):
    p = person(region=XINING, level="一级")
    with pytest.raises(ValidationFailed) as e:
        services.apply(p, "care_allowance", applicant_type="person", applied_on=D(2025, 5, 1),
                       actor=ACTOR, scope=("14",))
    assert codes(e) == ["region_out_of_scope"]
    app = services.apply(p, "care_allowance", applicant_type="person", applied_on=D(2025, 5, 1),
                         actor=ACTOR, scope=("63",))
    with pytest.raises(ValidationFailed):
        services.take_step(app, A.REVIEW, day=D(2025, 5, 2), actor=ACTOR, scope=("14",))


def test_stop_grant_and_the_screening_report_splits_by_grants(person):
    receiving_ok = person(region=XINING, level="一级")
    receiving_gone = person(region=XINING, level="一级")
    not_receiving = person(region=XINING, level="二级")
    person(region=WUTAI, level="一级")  # another province: not in the report
    grants = []
    for p in (receiving_ok, receiving_gone):
        app = services.apply(p, "care_allowance", applicant_type="person", applied_on=D(2025, 1, 5),
                             actor=ACTOR, scope=None)
        run(app, FLOW, day=D(2025, 1, 10))
        grants.append(BenefitGrant.objects.get(application=app))
    from yangguang.registry import services as registry
    from yangguang.registry.models import StatusReason

    # No longer eligible without the grant being ended (a death would end it: see
    # test_payroll): the certificate cancelled.
    registry.cancel_certificate(receiving_gone.certificates.get(), reason=StatusReason.NO_LONGER_ELIGIBLE,
                                day=D(2025, 3, 3), actor=ACTOR)
    report = selectors.screening_report(None, "care_allowance", "63", D(2025, 6, 1))
    assert [x["person_id"] for x in report["eligible_not_receiving"]] == [not_receiving.pk]
    assert [x["person_id"] for x in report["receiving_not_eligible"]] == [receiving_gone.pk]
    out = StringIO()
    call_command("benefits", "screen", "--programme", "care_allowance", "--region", "630000",
                 "--on", "2025-06-01", "--json", stdout=out)
    assert json.loads(out.getvalue())["receiving_not_eligible"][0]["person_id"] == receiving_gone.pk
    with pytest.raises(ValidationFailed) as e:
        services.stop_grant(grants[1], month=D(2024, 12, 1), reason="", actor=ACTOR, scope=None)
    assert codes(e) == ["stop_month", "stop_reason"]
    services.stop_grant(grants[1], month=D(2025, 4, 1), reason="死亡", actor=ACTOR, scope=None)
    report = selectors.screening_report(None, "care_allowance", "63", D(2025, 6, 1))
    assert report["receiving_not_eligible"] == []
    assert [g.person_id for g in selectors.grants_for(None, running_on=D(2025, 6, 1))] == [receiving_ok.pk]
    assert AuditEvent.objects.filter(object_type="benefit_grant", data__action="stop").count() == 1


# ---------------------------------------------------------------------------
# Deadlines in working days (core.workdays), who may take which step, 跨省通办


def test_each_period_counts_working_days_over_holidays_and_weekends(person):
    p = person(region=XINING, level="一级")
    # Applied on 2025-09-30: 1–8 October are the National Day holiday, 28 September and
    # 11 October make-up working days; five working days are 9, 10, 11, 13, 14 October.
    app = services.apply(p, "care_allowance", applicant_type="person", applied_on=D(2025, 9, 30),
                         actor=ACTOR, scope=None)
    assert app.deadline == D(2025, 10, 14)
    assert not services.is_overdue(app, D(2025, 10, 14)) and services.is_overdue(app, D(2025, 10, 15))
    assert list(selectors.applications_for(None, overdue_on=D(2025, 10, 15))) == [app]
    assert list(selectors.applications_for(None, overdue_on=D(2025, 10, 14))) == []
    app = run(app, [A.REVIEW], day=D(2025, 10, 17))  # Friday: 20–24 October
    assert app.deadline == D(2025, 10, 24)
    app = run(app, [A.CHECK_LEVEL, A.DECIDE], day=D(2025, 10, 24))
    assert app.deadline is None and not services.is_overdue(app, D(2026, 1, 1))
    app = run(app, [A.PUBLISH], day=D(2025, 10, 27))
    assert app.deadline == D(2025, 11, 3)
    assert not services.is_overdue(app, D(2025, 12, 1))  # the publication is no staff period
    with pytest.raises(ValidationFailed) as e:
        services.take_step(app, A.GRANT, day=D(2025, 11, 3), actor=ACTOR, scope=None)
    assert codes(e) == ["publication_running"]
    app = services.take_step(app, A.GRANT, day=D(2025, 11, 4), actor=ACTOR, scope=None)
    assert (app.state, app.deadline) == (S.GRANTED, None)
    steps = AuditEvent.objects.filter(object_type="benefit_application", object_id=str(app.pk))
    assert steps.filter(data__action="publish").get().data["deadline"] == "2025-11-03"


def test_a_step_dated_before_the_last_one_is_refused(person):
    p = person(region=XINING, level="一级")
    app = services.apply(p, "care_allowance", applicant_type="person", applied_on=D(2025, 6, 2),
                         actor=ACTOR, scope=None)
    with pytest.raises(ValidationFailed) as e:
        services.take_step(app, A.REVIEW, day=D(2025, 6, 1), actor=ACTOR, scope=None)
    assert codes(e) == ["step_before_last"]


def test_the_periods_are_data_in_programmes_toml():
    from yangguang.benefits import policy

    assert policy.policies().working_days == {"review": 5, "check_level": 5, "publication": 5}


def _user(role, region):
    from yangguang.accounts import services as accounts

    return accounts.create_user(f"{role}-{region}", "Yg-benefits-Tests-2025!", [(role, region)],
                                actor=ACTOR)


def test_each_step_needs_its_own_role_and_records_who_took_it(person):
    p = person(region=XINING, level="一级")
    township, federation = _user("registrar", "630102"), _user("reviewer", "630102")
    civil = _user("civil_affairs", "630102")
    app = services.apply(p, "care_allowance", applicant_type="person", applied_on=DAY,
                         actor=township, scope=("630102",))

    def step(app, action, user, day=DAY):
        return services.take_step(app, action, day=day, actor=user, user=user, note="同意")

    assert selectors.actions_for(township, app) == [A.REVIEW, A.REJECT]
    assert selectors.actions_for(federation, app) == selectors.actions_for(civil, app) == []
    for user in (federation, civil):
        with pytest.raises(ValidationFailed) as e:
            step(app, A.REVIEW, user)
        assert codes(e) == ["region_out_of_scope"]
    app = step(app, A.REVIEW, township)
    assert selectors.actions_for(federation, app) == [A.CHECK_LEVEL, A.REJECT]
    with pytest.raises(ValidationFailed):
        step(app, A.CHECK_LEVEL, township)
    app = step(app, A.CHECK_LEVEL, federation)
    with pytest.raises(ValidationFailed):
        step(app, A.DECIDE, federation)  # 审定 is civil affairs', not the federation's
    assert selectors.actions_for(civil, app) == [A.DECIDE, A.REJECT]
    app = step(app, A.DECIDE, civil)
    app = step(app, A.PUBLISH, civil)
    app = step(app, A.GRANT, civil, day=app.deadline + dt.timedelta(days=1))
    who = [(s.action, s.actor, s.user_id, s.day) for s in app.steps.all()]
    assert [(a, name) for a, name, _u, _d in who] == [
        (A.APPLY, "registrar-630102"), (A.REVIEW, "registrar-630102"),
        (A.CHECK_LEVEL, "reviewer-630102"), (A.DECIDE, "civil_affairs-630102"),
        (A.PUBLISH, "civil_affairs-630102"), (A.GRANT, "civil_affairs-630102")]
    assert all(u is not None and d for _a, _n, u, d in who)


def test_lodged_at_the_residence_county_forwarded_and_decided_at_the_hukou_county(person):
    p = person(region=XINING, level="一级")  # hukou in Qinghai, living in Wutai (Shanxi)
    residence = _user("registrar", WUTAI)
    with pytest.raises(ValidationFailed) as e:  # without the residence: not in scope
        services.apply(p, "care_allowance", applicant_type="person", applied_on=DAY,
                       actor=residence, scope=(WUTAI,))
    assert codes(e) == ["region_out_of_scope"]
    with pytest.raises(ValidationFailed) as e:  # a residence in the hukou county
        services.apply(p, "care_allowance", applicant_type="person", applied_on=DAY,
                       actor=ACTOR, scope=("630102999",), residence_region="630102999000")
    assert codes(e) == ["residence_in_hukou_province"]
    app = services.apply(p, "care_allowance", applicant_type="person", applied_on=DAY,
                         actor=residence, scope=(WUTAI,), residence_region=WUTAI + "100000")
    assert (app.residence_region_id, app.at_residence) == (WUTAI + "000000", True)
    assert list(selectors.applications_for(residence)) == [app]
    hukou = _user("registrar", "630102")
    assert selectors.actions_for(residence, app) == [A.FORWARD, A.REJECT]
    assert selectors.actions_for(hukou, app) == []
    with pytest.raises(ValidationFailed) as e:
        services.take_step(app, A.REVIEW, day=DAY, actor=residence, user=residence)
    assert codes(e) == ["at_residence"]
    app = services.take_step(app, A.FORWARD, day=D(2025, 6, 3), actor=residence, user=residence)
    assert (app.state, app.forwarded_on, app.at_residence) == (S.SUBMITTED, D(2025, 6, 3), False)
    assert app.deadline == D(2025, 6, 10)  # the review's days run from the forwarding
    assert selectors.actions_for(residence, app) == []
    assert selectors.actions_for(hukou, app) == [A.REVIEW, A.REJECT]
    with pytest.raises(ValidationFailed) as e:
        services.take_step(app, A.FORWARD, day=D(2025, 6, 3), actor=hukou, user=hukou)
    assert codes(e) == ["not_at_residence"]
    app = services.take_step(app, A.REVIEW, day=D(2025, 6, 4), actor=hukou, user=hukou)
    assert app.state == S.REVIEWED


@pytest.mark.parametrize(("residence", "code"), [
    ("630104000000", "residence_in_hukou_province"),  # 城西区: the same city
    ("632221000000", "residence_in_hukou_province"),  # 门源县: Qinghai still
    ("630102999000", "residence_in_hukou_province"),  # within the hukou county
    ("140000000000", "residence_not_county"),  # Shanxi: no county named
    ("140900000000", "residence_not_county"),  # 忻州市: a prefecture
    ("140922100000", None),  # a township of 五台县, Shanxi: another province
    ("610103000000", None),  # 碑林区, Shaanxi
])
def test_cross_province_applications_only_from_a_county_in_another_province(person, residence,
                                                                             code):
    """跨省通办 takes in applications of persons registered in another province only: a
    residence county in the hukou's own province is refused with a Chinese message
    naming the province (the hukou county takes those in itself)."""
    p = person(region=XINING, level="一级")
    scope = (residence[:9],)
    if code is None:
        app = services.apply(p, "care_allowance", applicant_type="person", applied_on=DAY,
                             actor=ACTOR, scope=scope, residence_region=residence)
        assert app.residence_region_id == residence[:6] + "000000" and app.at_residence
        return
    with pytest.raises(ValidationFailed) as e:
        services.apply(p, "care_allowance", applicant_type="person", applied_on=DAY,
                       actor=ACTOR, scope=scope, residence_region=residence)
    assert codes(e) == [code]
    message = e.value.problems[0].message
    if code == "residence_in_hukou_province":
        assert message == "跨省通办只受理户籍在外省的申请：常住地与户籍地同属青海省，请到户籍地县（市、区）申请"
    else:
        assert message == f"常住地区划代码应为县（市、区）或其下的地区：{residence[:6]}"
    assert not BenefitApplication.objects.filter(person=p).exists()
