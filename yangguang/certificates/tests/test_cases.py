"""Certificate cases: each kind's state machine, its deadlines in working days, the
year after a cancellation, scope and audit — through the services every path calls."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from yangguang.accounts import services as accounts
from yangguang.audit.models import AuditEvent
from yangguang.certificates import selectors, services
from yangguang.certificates.models import CaseKind, CaseState, CertificateCase
from yangguang.certificates.tests.cases_fixtures import certified, uncertified
from yangguang.certificates.workflow import MACHINES, Action
from yangguang.core.errors import ValidationFailed
from yangguang.registry import services as registry
from yangguang.registry.models import CertificateStatus, StatusReason
from yangguang.registry.tests.conftest import COUNTY_A, COUNTY_B, VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.django_db
D = dt.date
S = CaseState
A = Action
ASSESSMENT = {"institution": "五台县人民医院", "assessor": "李医生", "category": "4",
              "level": "3"}


@pytest.fixture
def registrar(actor):
    return accounts.create_user("case_registrar", "Yg-cases-Tests-2025!",
                                [("registrar", COUNTY_A)], actor=actor)


@pytest.fixture
def reviewer(actor):
    return accounts.create_user("case_reviewer", "Yg-cases-Tests-2025!",
                                [("reviewer", COUNTY_A)], actor=actor)


def codes(raised: pytest.ExceptionInfo) -> list[str]:
    return [p.code for p in raised.value.problems]


def snapshot(case: CertificateCase) -> tuple:
    case.refresh_from_db()
    return (case.state, case.steps.count(), AuditEvent.objects.count(), case.deadline,
            case.assessment_id, case.dispute_level)


# ---------------------------------------------------------------------------
# The tables: what each kind allows from each state (the specification, written out)

EXPECTED = {
    CaseKind.NEW: {
        S.APPLIED: {A.FORWARD, A.ACCEPT, A.REJECT},
        S.ACCEPTED: {A.ASSESS, A.REJECT},
        S.ASSESSED: {A.PUBLISH, A.DISPUTE, A.APPEAL, A.REJECT},
        S.PUBLISHED: {A.END_PUBLICATION, A.DISPUTE, A.APPEAL, A.REJECT},
        S.REVIEWING: {A.ISSUE, A.REJECT},
        S.DISPUTED_PREFECTURE: {A.DECIDE_DISPUTE, A.REJECT},
        S.DISPUTED_PROVINCE: {A.DECIDE_DISPUTE, A.REJECT},
        S.ISSUED: set(), S.REJECTED: set(),
    },
    CaseKind.REASSESSMENT: {
        S.APPLIED: {A.FORWARD, A.ACCEPT, A.REJECT},
        S.ACCEPTED: {A.ASSESS, A.REJECT},
        S.ASSESSED: {A.SUBMIT, A.DISPUTE, A.APPEAL, A.REJECT},
        S.REVIEWING: {A.ISSUE, A.REJECT},
        S.DISPUTED_PREFECTURE: {A.DECIDE_DISPUTE, A.REJECT},
        S.DISPUTED_PROVINCE: {A.DECIDE_DISPUTE, A.REJECT},
        S.ISSUED: set(), S.REJECTED: set(),
    },
    **{kind: {S.APPLIED: {A.FORWARD, A.ACCEPT, A.REJECT}, S.ACCEPTED: {A.ISSUE, A.REJECT},
              S.ISSUED: set(), S.REJECTED: set()}
       for kind in (CaseKind.RENEWAL, CaseKind.REISSUE)},
    **{kind: {S.APPLIED: {A.FORWARD, A.ACCEPT, A.REJECT}, S.ACCEPTED: {A.COMPLETE, A.REJECT},
              S.COMPLETED: set(), S.REJECTED: set()}
       for kind in (CaseKind.TRANSFER, CaseKind.CANCELLATION)},
}


@pytest.mark.parametrize("kind", CaseKind.values)
def test_each_kind_allows_exactly_its_transitions(kind):
    for state in CaseState.values:
        allowed = {t.action for t in MACHINES[kind] if t.source == state}
        assert allowed == EXPECTED[kind].get(state, set()), (kind, state)
        for action in Action.values:
            found = services.workflow.transition(kind, state, action)
            assert (found is not None) == (action in allowed), (kind, state, action)


@pytest.mark.parametrize("kind", CaseKind.values)
def test_every_refused_transition_writes_nothing(kind, actor):
    """From the first state, every action outside the table is refused with
    ``action_not_allowed`` and leaves the case, its steps and the audit log as they were."""
    person = (uncertified(actor, VILLAGE_A) if kind == CaseKind.NEW
              else certified(actor, VILLAGE_A, 发证日期=dt.date.today() - dt.timedelta(days=3600)))
    values = {"kind": kind, "target_region": VILLAGE_B, "cancellation_reason": "no_longer_eligible"}
    case = services.open_case(person, values, actor=actor)
    allowed = EXPECTED[kind][S.APPLIED]
    for action in set(Action.values) - allowed:
        before = snapshot(case)
        with pytest.raises(ValidationFailed) as raised:
            services.perform(case, action, ASSESSMENT | {"reason": "x"}, actor=actor)
        assert codes(raised) == ["action_not_allowed"], action
        assert snapshot(case) == before


# ---------------------------------------------------------------------------
# The new-certificate path, across the National Day holiday of 2025


FIRST_DAY = D(2025, 9, 15)


def new_case(actor, applied_on=FIRST_DAY, **values):
    person = uncertified(actor, VILLAGE_A)
    return services.open_case(person, {"kind": "new", "applied_on": applied_on} | values,
                              actor=actor, today=applied_on)


def step(case, action, day, actor, **values):
    return services.perform(case, action, {"day": day, **values}, actor=actor, today=day)


def test_a_new_certificate_from_application_to_issue(actor):
    case = new_case(actor, applicant="home_visit", note="上门受理")
    case = step(case, A.ACCEPT, D(2025, 9, 16), actor, institution="五台县人民医院")
    assert case.institution == "五台县人民医院"
    case = step(case, A.ASSESS, D(2025, 9, 19), actor, **ASSESSMENT, assessed_on="2025-09-19")
    assert case.state == S.ASSESSED
    assert (case.assessment.category, case.assessment.level) == (4, 3)
    assert case.assessment.assessor == "李医生"
    # Ten working days from Friday 19 September: 22-26 (5), Sunday 28 (a make-up day, 6),
    # 29-30 (8), the holiday 1-8 October, 9-10 October (10).
    assert case.dispute_until == D(2025, 10, 10)

    case = step(case, A.PUBLISH, D(2025, 9, 29), actor)
    # Five working days from Monday 29 September: 30 Sep, 9, 10, Saturday 11 (make-up), 13 Oct.
    assert (case.state, case.deadline, case.deadline_kind) == (S.PUBLISHED, D(2025, 10, 13),
                                                              "publication")
    before = snapshot(case)
    with pytest.raises(ValidationFailed) as raised:
        step(case, A.END_PUBLICATION, D(2025, 10, 13), actor)
    assert codes(raised) == ["publication_running"]
    assert snapshot(case) == before

    case = step(case, A.END_PUBLICATION, D(2025, 10, 14), actor)
    # The review's ten working days run from the publication's end (13 October).
    assert (case.state, case.deadline, case.deadline_kind) == (S.REVIEWING, D(2025, 10, 27),
                                                              "review")
    case = step(case, A.ISSUE, D(2025, 10, 20), actor)
    assert (case.state, case.closed_on, case.deadline) == (S.ISSUED, D(2025, 10, 20), None)
    certificate = case.certificate
    assert (certificate.category, certificate.level, certificate.issue_date) == (
        4, 3, D(2025, 10, 20))
    assert certificate.valid_until == D(2035, 10, 20)
    assert certificate.status == CertificateStatus.VALID

    steps = list(case.steps.order_by("id"))
    assert [(s.action, s.from_state, s.to_state) for s in steps] == [
        ("apply", "", S.APPLIED), (A.ACCEPT, S.APPLIED, S.ACCEPTED),
        (A.ASSESS, S.ACCEPTED, S.ASSESSED), (A.PUBLISH, S.ASSESSED, S.PUBLISHED),
        (A.END_PUBLICATION, S.PUBLISHED, S.REVIEWING), (A.ISSUE, S.REVIEWING, S.ISSUED)]
    assert steps[0].note == "上门受理"
    assert all(s.actor == "test" for s in steps)
    events = AuditEvent.objects.filter(object_type="certificate_case", object_id=str(case.pk))
    assert events.count() == 6
    assert events.filter(action="update").last().data["state"] == [S.REVIEWING, S.ISSUED]


def test_a_review_across_the_spring_festival(actor):
    case = new_case(actor, applied_on=D(2025, 1, 2))
    for action, day, values in ((A.ACCEPT, D(2025, 1, 3), {"institution": "医院"}),
                                (A.ASSESS, D(2025, 1, 6), ASSESSMENT | {"assessed_on": "2025-01-06"}),
                                (A.PUBLISH, D(2025, 1, 16), {})):
        case = step(case, action, day, actor, **values)
    # Five working days from Thursday 16 January: 17, 20, 21, 22, 23 January.
    assert case.deadline == D(2025, 1, 23)
    case = step(case, A.END_PUBLICATION, D(2025, 1, 24), actor)
    # From 23 January: 24, Sunday 26 (make-up), 27 (3), the holiday 28 Jan-4 Feb, 5-7 (6),
    # Saturday 8 (make-up, 7), 10-12 February (10). Ten weekdays would end on 6 February.
    assert case.deadline == D(2025, 2, 12)


def test_a_deadline_in_a_year_the_calendar_does_not_carry_is_refused(actor):
    last = max(y for y in range(2024, 2100) if _covered(y))
    case = new_case(actor, applied_on=D(last, 12, 1))
    case = step(case, A.ACCEPT, D(last, 12, 1), actor, institution="医院")
    case = step(case, A.ASSESS, D(last, 12, 2), actor, **ASSESSMENT, assessed_on=f"{last}-12-02")
    before = snapshot(case)
    with pytest.raises(ValidationFailed) as raised:
        step(case, A.PUBLISH, D(last, 12, 28), actor)
    assert codes(raised) == ["calendar_not_covered"]
    assert str(last + 1) in raised.value.problems[0].message
    assert snapshot(case) == before


def _covered(year: int) -> bool:
    from yangguang.core.workdays import CalendarNotCovered, is_working_day
    try:
        is_working_day(D(year, 6, 1))
    except CalendarNotCovered:
        return False
    return True


def test_a_refusal_needs_a_reason_and_closes_the_case(actor):
    case = new_case(actor)
    with pytest.raises(ValidationFailed) as raised:
        step(case, A.REJECT, D(2025, 9, 16), actor)
    assert codes(raised) == ["required"]
    case = step(case, A.REJECT, D(2025, 9, 16), actor, reason="材料不全")
    assert (case.state, case.rejection_reason, case.closed_on) == (
        S.REJECTED, "材料不全", D(2025, 9, 16))
    # A closed case no longer blocks a new application.
    services.open_case(case.person, {"kind": "new", "applied_on": "2025-09-17"}, actor=actor,
                       today=D(2025, 9, 17))


def test_a_step_is_not_dated_before_the_last_one_nor_in_the_future(actor):
    case = new_case(actor)
    with pytest.raises(ValidationFailed) as raised:
        step(case, A.ACCEPT, D(2025, 9, 14), actor, institution="医院")
    assert codes(raised) == ["step_before_previous"]
    with pytest.raises(ValidationFailed) as raised:
        services.perform(case, A.ACCEPT, {"day": "2025-09-20", "institution": "医院"},
                         actor=actor, today=D(2025, 9, 16))
    assert codes(raised) == ["date_future"]


# ---------------------------------------------------------------------------
# Disputes: prefecture within ten working days, then the province, whose word is final


def assessed(actor):
    case = new_case(actor)
    case = step(case, A.ACCEPT, D(2025, 9, 16), actor, institution="医院")
    return step(case, A.ASSESS, D(2025, 9, 19), actor, **ASSESSMENT, assessed_on="2025-09-19")


def test_a_dispute_goes_to_the_prefecture_then_the_province_and_ends_there(actor):
    case = assessed(actor)
    with pytest.raises(ValidationFailed) as raised:
        step(case, A.APPEAL, D(2025, 9, 22), actor, note="不服")
    assert codes(raised) == ["dispute_first"]
    with pytest.raises(ValidationFailed) as raised:
        step(case, A.DISPUTE, D(2025, 9, 22), actor)
    assert codes(raised) == ["required"]  # the grounds

    case = step(case, A.DISPUTE, D(2025, 10, 10), actor, note="认为等级偏轻")
    assert case.state == S.DISPUTED_PREFECTURE
    case = step(case, A.DECIDE_DISPUTE, D(2025, 10, 20), actor, **(ASSESSMENT | {
        "institution": "忻州市残疾评定委员会", "level": "2", "assessed_on": "2025-10-20"}))
    assert (case.state, case.dispute_level, case.assessment.level) == (S.ASSESSED, 1, 2)
    # The province may be asked within ten working days of the prefecture's conclusion.
    assert case.dispute_until == D(2025, 11, 3)
    with pytest.raises(ValidationFailed) as raised:
        step(case, A.DISPUTE, D(2025, 10, 21), actor, note="再议")
    assert codes(raised) == ["dispute_taken"]

    case = step(case, A.APPEAL, D(2025, 10, 21), actor, note="仍不服")
    assert case.state == S.DISPUTED_PROVINCE
    case = step(case, A.DECIDE_DISPUTE, D(2025, 11, 5), actor, **(ASSESSMENT | {
        "institution": "山西省残疾评定专家委员会", "level": "2", "assessed_on": "2025-11-05"}))
    assert (case.state, case.dispute_level, case.dispute_until) == (S.ASSESSED, 2, None)
    for action in (A.DISPUTE, A.APPEAL):
        with pytest.raises(ValidationFailed) as raised:
            step(case, action, D(2025, 11, 6), actor, note="还是不服")
        assert codes(raised) == ["dispute_final"]
    case = step(case, A.PUBLISH, D(2025, 11, 6), actor)
    assert case.state == S.PUBLISHED


def test_a_dispute_after_its_window_is_refused(actor):
    case = assessed(actor)  # the window ends on 10 October 2025
    before = snapshot(case)
    with pytest.raises(ValidationFailed) as raised:
        step(case, A.DISPUTE, D(2025, 10, 11), actor, note="迟到的异议")
    assert codes(raised) == ["dispute_closed"]
    assert snapshot(case) == before


# ---------------------------------------------------------------------------
# The other kinds


def test_renewal_gives_the_same_number_a_new_validity(actor):
    person = certified(actor, VILLAGE_A, 发证日期=D(2016, 3, 1))
    old = registry.current_certificate(person)
    case = services.open_case(person, {"kind": "renewal", "applied_on": "2025-09-01"},
                              actor=actor, today=D(2025, 9, 1))
    case = step(case, A.ACCEPT, D(2025, 9, 2), actor)
    case = step(case, A.ISSUE, D(2025, 9, 3), actor)
    renewed = registry.current_certificate(person)
    assert renewed.pk == old.pk and renewed.suffix == old.suffix
    assert (renewed.issue_date, renewed.valid_until) == (D(2025, 9, 3), D(2035, 9, 3))
    assert case.certificate_id == old.pk


def test_renewal_opens_a_year_before_expiry(actor):
    person = certified(actor, VILLAGE_A, 发证日期=D(2020, 3, 1))
    with pytest.raises(ValidationFailed) as raised:
        services.open_case(person, {"kind": "renewal", "applied_on": "2025-09-01"},
                           actor=actor, today=D(2025, 9, 1))
    assert codes(raised) == ["renewal_not_yet"]
    assert "2029-03-01" in raised.value.problems[0].message


def test_reissue_gives_the_next_b_suffix_and_cancels_the_lost_one(actor):
    person = certified(actor, VILLAGE_A)
    lost = registry.current_certificate(person)
    for expected in ("B1", "B2"):
        case = services.open_case(person, {"kind": "reissue"}, actor=actor)
        case = services.perform(case, A.ACCEPT, {}, actor=actor)
        case = services.perform(case, A.ISSUE, {}, actor=actor)
        assert case.certificate.suffix.endswith(expected)
    lost.refresh_from_db()
    assert lost.status == CertificateStatus.CANCELLED
    assert lost.history.last().reason == StatusReason.REISSUED


def test_reassessment_issues_the_new_category_on_the_recorded_assessment(actor):
    person = certified(actor, VILLAGE_A, level=3)
    case = services.open_case(person, {"kind": "reassessment"}, actor=actor)
    case = services.perform(case, A.ACCEPT, {"institution": "医院"}, actor=actor)
    today = dt.date.today().isoformat()
    case = services.perform(case, A.ASSESS, ASSESSMENT | {"level": "2", "assessed_on": today},
                            actor=actor)
    case = services.perform(case, A.SUBMIT, {}, actor=actor)
    assert case.deadline_kind == "review"
    case = services.perform(case, A.ISSUE, {}, actor=actor)
    assert (case.certificate.category, case.certificate.level) == (4, 2)
    assert person.assessments.count() == 1  # recorded once, at the assessment step


def test_cancellation_by_death_records_the_death(actor):
    person = certified(actor, VILLAGE_A)
    case = services.open_case(person, {"kind": "cancellation", "cancellation_reason": "death",
                                       "applicant": "guardian", "guardian_name": "王某"},
                              actor=actor)
    case = services.perform(case, A.ACCEPT, {}, actor=actor)
    day = dt.date.today() - dt.timedelta(days=2)
    case = services.perform(case, A.COMPLETE, {"effective_on": day}, actor=actor)
    person.refresh_from_db()
    assert person.deceased_date == day
    case.certificate.refresh_from_db()
    assert case.certificate.status == CertificateStatus.CANCELLED
    assert case.state == S.COMPLETED


def test_transfer_moves_the_hukou_and_the_new_county_sees_the_case(actor, registrar):
    other = accounts.create_user("other_registrar", "Yg-cases-Tests-2025!",
                                 [("registrar", COUNTY_B)], actor=actor)
    person = certified(actor, VILLAGE_A)
    with pytest.raises(ValidationFailed) as raised:
        services.open_case(person, {"kind": "transfer", "target_region": COUNTY_A},
                           actor=actor)
    assert codes(raised) == ["transfer_same_county"]
    case = services.open_case(person, {"kind": "transfer", "target_region": VILLAGE_B},
                              user=registrar)
    assert selectors.get_case_for(other, case.pk) == case
    case = services.perform(case, A.ACCEPT, {}, user=registrar)
    case = services.perform(case, A.COMPLETE, {}, actor=actor)
    person.refresh_from_db()
    assert person.hukou_region_id == VILLAGE_B


# ---------------------------------------------------------------------------
# Who may apply


def test_no_new_application_within_a_year_of_a_cancellation(actor):
    person = certified(actor, VILLAGE_A)
    certificate = registry.current_certificate(person)
    registry.cancel_certificate(certificate, reason=StatusReason.NO_LONGER_ELIGIBLE,
                                day=D(2025, 3, 1), actor=actor)
    with pytest.raises(ValidationFailed) as raised:
        services.open_case(person, {"kind": "new", "applied_on": "2026-03-01"}, actor=actor,
                           today=D(2026, 3, 1))
    assert codes(raised) == ["reapply_barred"]
    assert "2026-03-02" in raised.value.problems[0].message
    assert not CertificateCase.objects.filter(person=person).exists()
    case = services.open_case(person, {"kind": "new", "applied_on": "2026-03-02"}, actor=actor,
                              today=D(2026, 3, 2))
    assert case.state == S.APPLIED


def test_a_certificate_replaced_by_a_reissue_bars_nothing(actor):
    person = certified(actor, VILLAGE_A)
    case = services.open_case(person, {"kind": "reissue"}, actor=actor)
    services.perform(services.perform(case, A.ACCEPT, {}, actor=actor), A.ISSUE, {}, actor=actor)
    facts = services.person_facts(person)
    assert facts.cancelled_on is None


def test_one_open_case_per_person_and_the_kinds_need_or_refuse_a_certificate(actor):
    holder = certified(actor, VILLAGE_A)
    with pytest.raises(ValidationFailed) as raised:
        services.open_case(holder, {"kind": "new"}, actor=actor)
    assert codes(raised) == ["already_certified"]
    services.open_case(holder, {"kind": "reissue"}, actor=actor)
    with pytest.raises(ValidationFailed) as raised:
        services.open_case(holder, {"kind": "cancellation", "cancellation_reason": "moved_away"},
                           actor=actor)
    assert codes(raised) == ["case_open"]
    nobody = uncertified(actor, VILLAGE_A)
    for kind in ("renewal", "reissue", "transfer", "cancellation", "reassessment"):
        with pytest.raises(ValidationFailed) as raised:
            services.open_case(nobody, {"kind": kind, "target_region": VILLAGE_B,
                                        "cancellation_reason": "moved_away"}, actor=actor)
        assert codes(raised) == ["certificate_required"], kind


def test_a_minor_applies_through_a_guardian(actor):
    child = uncertified(actor, VILLAGE_A, birth_date=dt.date.today() - dt.timedelta(days=3000))
    with pytest.raises(ValidationFailed) as raised:
        services.open_case(child, {"kind": "new"}, actor=actor)
    assert codes(raised) == ["guardian_required"]
    with pytest.raises(ValidationFailed) as raised:
        services.open_case(child, {"kind": "new", "applicant": "guardian"}, actor=actor)
    assert codes(raised) == ["required"]
    case = services.open_case(child, {"kind": "new", "applicant": "guardian",
                                      "guardian_name": "张父"}, actor=actor)
    assert case.guardian_name == "张父"


# ---------------------------------------------------------------------------
# Scope and capabilities


def test_another_county_neither_sees_nor_acts_on_a_case(actor, registrar):
    other = accounts.create_user("b_registrar", "Yg-cases-Tests-2025!",
                                 [("registrar", COUNTY_B)], actor=actor)
    case = services.open_case(uncertified(actor, VILLAGE_A), {"kind": "new"}, user=registrar)
    assert selectors.get_case_for(registrar, case.pk) == case
    with pytest.raises(Http404):
        selectors.get_case_for(other, case.pk)
    assert not selectors.search_cases(other).exists()
    before = snapshot(case)
    with pytest.raises(ValidationFailed) as raised:
        services.perform(case, A.ACCEPT, {"institution": "医院"}, user=other)
    assert codes(raised) == ["case_out_of_scope"]
    assert snapshot(case) == before
    with pytest.raises(ValidationFailed) as raised:
        services.open_case(uncertified(actor, VILLAGE_A), {"kind": "new"}, user=other)
    assert codes(raised) == ["case_out_of_scope"]


def test_the_review_is_the_reviewers_and_the_preparation_the_registrars(actor, registrar,
                                                                           reviewer):
    person = certified(actor, VILLAGE_A)
    case = services.open_case(person, {"kind": "reissue"}, user=registrar)
    with pytest.raises(ValidationFailed):
        services.perform(case, A.ACCEPT, {}, user=reviewer)
    case = services.perform(case, A.ACCEPT, {}, user=registrar)
    assert [t.action for t in selectors.actions_for(registrar, case)] == [A.REJECT]
    assert [t.action for t in selectors.actions_for(reviewer, case)] == [A.ISSUE]
    with pytest.raises(ValidationFailed) as raised:
        services.perform(case, A.ISSUE, {}, user=registrar)
    assert codes(raised) == ["case_out_of_scope"]
    case = services.perform(case, A.ISSUE, {}, user=reviewer)
    last = case.steps.order_by("id").last()
    assert (last.user, last.actor) == (reviewer, reviewer.username)
    assert AuditEvent.objects.filter(object_type="certificate_case", actor_id=reviewer.pk).exists()


def test_the_worklist_lists_deadlines_and_expiring_certificates(actor, registrar):
    case = new_case(actor)
    for action, day, values in ((A.ACCEPT, D(2025, 9, 16), {"institution": "医院"}),
                                (A.ASSESS, D(2025, 9, 19), ASSESSMENT | {"assessed_on": "2025-09-19"}),
                                (A.PUBLISH, D(2025, 9, 29), {})):
        case = step(case, action, day, actor, **values)
    expiring = certified(actor, VILLAGE_A, 发证日期=dt.date.today() - dt.timedelta(days=3600))
    certified(actor, VILLAGE_B, 发证日期=dt.date.today() - dt.timedelta(days=3600))
    work = selectors.worklist(registrar)
    assert (S.PUBLISHED, S.PUBLISHED.label, 1) in work.by_state
    assert work.deadlines == [case]  # passed long ago
    assert [c.person_id for c in work.expiring] == [expiring.pk]
    assert selectors.due_cases_count(registrar) == 1
    assert selectors.open_cases_count(registrar) == 1
