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
from yangguang.benefits.models import BenefitGrant
from yangguang.benefits.states import ApplicationAction as A
from yangguang.benefits.states import ApplicationState as S
from yangguang.benefits.tests.conftest import ACTOR, WUTAI, XINING
from yangguang.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db
D = dt.date
DIBAO = (("dibao", D(2024, 3, 1), None),)
FLOW = [A.REVIEW, A.CHECK_LEVEL, A.DECIDE, A.PUBLISH, A.GRANT]


def codes(excinfo) -> list[str]:
    return [p.code for p in excinfo.value.problems]


DAY = dt.date(2025, 6, 2)


def run(app, actions, day=DAY, scope=None):
    for action in actions:
        app = services.take_step(app, action, day=day, actor=ACTOR, scope=scope, note="同意")
    return app


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
                                               if state in src}


def test_a_step_out_of_order_is_refused_and_nothing_is_written(person):
    p = person(region=XINING, level="一级")
    app = services.apply(p, "care_allowance", applicant_type="guardian", applicant_name="张三",
                         applied_on=D(2025, 5, 20), actor=ACTOR, scope=None)
    with pytest.raises(ValidationFailed) as e:
        services.take_step(app, A.DECIDE, day=D(2025, 6, 1), actor=ACTOR, scope=None)
    assert codes(e) == ["transition_refused"]
    app.refresh_from_db()
    assert (app.state, app.steps.count()) == (S.SUBMITTED, 1)


def test_decide_refuses_an_ineligible_person_with_the_reasons_and_reject_needs_a_reason(person):
    p = person(region=XINING, level="三级", category="智力")  # care: levels 1–2 only
    app = services.apply(p, "care_allowance", applicant_type="village_committee",
                         applicant_name="某村委会", applied_on=D(2025, 5, 20), actor=ACTOR, scope=None)
    app = run(app, [A.REVIEW, A.CHECK_LEVEL])
    with pytest.raises(ValidationFailed) as e:
        services.take_step(app, A.DECIDE, day=D(2025, 6, 1), actor=ACTOR, scope=None)
    assert codes(e) == ["not_eligible"]
    with pytest.raises(ValidationFailed) as e:
        services.take_step(app, A.REJECT, day=D(2025, 6, 1), actor=ACTOR, scope=None)
    assert codes(e) == ["reason_required"]
    app = services.take_step(app, A.REJECT, day=D(2025, 6, 1), actor=ACTOR, scope=None,
                             note="等级不在范围内")
    assert (app.state, app.rejection_reason) == (S.REJECTED, "等级不在范围内")
    with pytest.raises(ValidationFailed):
        services.take_step(app, A.REVIEW, day=D(2025, 6, 1), actor=ACTOR, scope=None)


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
