"""A holder whose hukou moved away without a transfer: the certificate is frozen six
months after the recorded move and cancelled after a year, by the daily job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yangguang.accounts import services as accounts
from yangguang.audit.models import AuditEvent
from yangguang.certificates import selectors as certificate_selectors
from yangguang.core.errors import ValidationFailed
from yangguang.demo.generator import create_person
from yangguang.jobs import kinds
from yangguang.jobs import services as jobs
from yangguang.jobs.models import Job
from yangguang.registry import rules, selectors, services
from yangguang.registry.models import CertificateStatus, Person, StatusReason
from yangguang.registry.tests.conftest import COUNTY_A, COUNTY_B, VILLAGE_A

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
ELSEWHERE = "610103001002"  # 碑林区: another province


def _holder(actor, issued: dt.date | None = None) -> Person:
    return create_person(actor=actor, 户籍地区划代码=VILLAGE_A, 姓名="王迁出",
                         发证日期=issued or TODAY - dt.timedelta(days=800))


def _move(person: Person, day: dt.date, actor, to_region: str | None = ELSEWHERE) -> None:
    move = rules.parse_move_away({"day": day.isoformat(), "to_region": to_region or ""},
                                 hukou_region=person.hukou_region_id,
                                 birth_date=person.birth_date, today=TODAY)
    services.record_move_away(person, move, actor=actor, scope=(COUNTY_A,))


def _history(person: Person) -> list[tuple[str, str, dt.date]]:
    certificate = person.certificates.get()
    return [(h.status, h.reason, h.effective_date) for h in certificate.history.all()]


def test_add_months_keeps_the_day_or_takes_the_month_end():
    assert rules.add_months(dt.date(2025, 3, 15), 6) == dt.date(2025, 9, 15)
    assert rules.add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert rules.add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert rules.add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert rules.add_months(dt.date(2026, 1, 31), -11) == dt.date(2025, 2, 28)


def test_the_last_move_cancelled_by_a_day_agrees_with_the_cancellation_dates():
    day = dt.date(2023, 1, 1)
    while day < dt.date(2025, 3, 1):  # two years, through a leap day and month ends
        latest = rules.latest_move_cancelled_by(day)
        assert rules.moved_away_dates(latest)[1] <= day, day
        assert rules.moved_away_dates(latest + dt.timedelta(days=1))[1] > day, day
        day += dt.timedelta(days=1)


def test_the_periods_are_data_and_checked():
    policy = rules.certificate_policy()
    assert (policy.validity_years, policy.moved_away_freeze_months,
            policy.moved_away_cancel_months) == (10, 6, 12)
    good = rules.CERTIFICATE_POLICY_PATH.read_text(encoding="utf-8")
    for bad, message in ((good.replace("cancel_after_months = 12", "cancel_after_months = 6"),
                          "less than"),
                         (good.replace("freeze_after_months = 6", 'freeze_after_months = "6"'),
                          "freeze_after_months"),
                         (good.replace("validity_years = 10", "validity_years = 0"),
                          "validity_years")):
        with pytest.raises(ValueError, match=message):
            rules.parse_certificate_policy(bad)


def test_frozen_after_six_months_cancelled_after_a_year_each_once(actor):
    person = _holder(actor)
    moved_on = dt.date(2025, 8, 31)
    _move(person, moved_on, actor)
    freeze_on, cancel_on = dt.date(2026, 2, 28), dt.date(2026, 8, 31)

    assert services.apply_moves_away(freeze_on - dt.timedelta(days=1), actor=actor) == \
        {"frozen": 0, "cancelled": 0}
    assert services.apply_moves_away(freeze_on, actor=actor) == {"frozen": 1, "cancelled": 0}
    assert services.apply_moves_away(freeze_on, actor=actor) == {"frozen": 0, "cancelled": 0}
    assert person.certificates.get().status == CertificateStatus.FROZEN
    assert services.apply_moves_away(cancel_on - dt.timedelta(days=1), actor=actor) == \
        {"frozen": 0, "cancelled": 0}
    assert services.apply_moves_away(cancel_on, actor=actor) == {"frozen": 0, "cancelled": 1}
    assert services.apply_moves_away(cancel_on + dt.timedelta(days=9), actor=actor) == \
        {"frozen": 0, "cancelled": 0}

    assert person.certificates.get().status == CertificateStatus.CANCELLED
    assert _history(person)[-2:] == [
        (CertificateStatus.FROZEN, StatusReason.MOVED_AWAY, freeze_on),
        (CertificateStatus.CANCELLED, StatusReason.MOVED_AWAY, cancel_on)]
    events = AuditEvent.objects.filter(object_type="certificate").order_by("id")
    assert [(e.action, e.data["status"], e.data["reason"]) for e in events] == [
        ("update", ["valid", "frozen"], "moved_away"),
        ("cancel", ["frozen", "cancelled"], "moved_away")]


def test_a_job_that_runs_late_cancels_on_the_computed_day(actor):
    person = _holder(actor)
    _move(person, dt.date(2025, 1, 10), actor)
    assert services.apply_moves_away(dt.date(2026, 5, 1), actor=actor) == \
        {"frozen": 0, "cancelled": 1}
    assert _history(person)[-1] == (CertificateStatus.CANCELLED, StatusReason.MOVED_AWAY,
                                    dt.date(2026, 1, 10))


def test_a_freeze_lifted_by_staff_stays_lifted_until_the_cancellation(actor):
    person = _holder(actor)
    _move(person, dt.date(2025, 1, 10), actor)
    services.apply_moves_away(dt.date(2025, 7, 10), actor=actor)
    services.restore_certificate(person.certificates.get(), day=dt.date(2025, 7, 20),
                                 actor=actor)
    assert services.apply_moves_away(dt.date(2025, 8, 1), actor=actor) == \
        {"frozen": 0, "cancelled": 0}
    assert person.certificates.get().status == CertificateStatus.VALID
    assert services.apply_moves_away(dt.date(2026, 1, 10), actor=actor)["cancelled"] == 1


def test_an_expired_certificate_is_cancelled_after_the_year(actor):
    person = _holder(actor, issued=dt.date(2015, 1, 1))
    services.expire_certificates(TODAY, actor=actor)
    _move(person, dt.date(2025, 1, 10), actor)
    assert services.apply_moves_away(dt.date(2025, 8, 1), actor=actor) == \
        {"frozen": 0, "cancelled": 0}
    assert services.apply_moves_away(dt.date(2026, 1, 10), actor=actor)["cancelled"] == 1


def test_a_transfer_ends_the_move_and_a_withdrawn_move_stops_the_job(actor):
    moved, mistaken = _holder(actor), create_person(actor=actor, 户籍地区划代码=VILLAGE_A)
    _move(moved, dt.date(2025, 1, 10), actor)
    _move(mistaken, dt.date(2025, 1, 10), actor)
    services.transfer_hukou(moved, ELSEWHERE, actor=actor, scope=(COUNTY_A,))
    services.record_move_away(mistaken, None, actor=actor, scope=(COUNTY_A,))
    assert services.apply_moves_away(dt.date(2026, 5, 1), actor=actor) == \
        {"frozen": 0, "cancelled": 0}
    moved.refresh_from_db()
    assert (moved.hukou_region_id, moved.moved_away_on, moved.moved_to_region_id) == \
        (ELSEWHERE, None, None)
    withdrawn = AuditEvent.objects.filter(object_type="person", object_id=str(mistaken.pk)
                                          ).order_by("-id").first()
    assert withdrawn.data == {"changes": {"moved_away_on": ["2025-01-10", None],
                                          "moved_to_region": [ELSEWHERE, None]}}


def test_a_move_is_recorded_audited_and_refused_with_reasons(actor):
    person = _holder(actor)
    _move(person, dt.date(2025, 1, 10), actor, to_region="610103")
    person.refresh_from_db()
    assert (person.moved_away_on, person.moved_to_region_id) == (dt.date(2025, 1, 10),
                                                                 ELSEWHERE[:6] + "000000")
    event = AuditEvent.objects.filter(object_type="person").order_by("-id").first()
    assert event.data == {"changes": {"moved_away_on": [None, "2025-01-10"],
                                      "moved_to_region": [None, "610103000000"]}}

    def problems(values: dict[str, str]) -> set[tuple[str, str]]:
        with pytest.raises(ValidationFailed) as refused:
            rules.parse_move_away(values, hukou_region=person.hukou_region_id,
                                  birth_date=person.birth_date, today=TODAY)
        return {(p.code, p.field) for p in refused.value.problems}

    future = (TODAY + dt.timedelta(days=1)).isoformat()
    assert problems({"day": future, "to_region": COUNTY_A}) == {
        ("date_future", "day"), ("move_within_county", "to_region")}
    assert problems({"day": "1900-01-01"}) == {("date_before_birth", "day")}
    assert problems({"day": "", "to_region": "999999"}) == {("required", "day"),
                                                            ("region_unknown", "to_region")}
    move = rules.MoveAway(dt.date(2025, 2, 1), None)
    with pytest.raises(ValidationFailed):
        services.record_move_away(person, move, actor=actor, scope=(COUNTY_B,))
    services.record_death(person, dt.date(2025, 3, 1), actor=actor)
    with pytest.raises(ValidationFailed):
        services.record_move_away(person, move, actor=actor, scope=(COUNTY_A,))
    person.refresh_from_db()
    assert person.moved_away_on == dt.date(2025, 1, 10)


def test_frozen_certificates_nearing_cancellation_on_the_worklist_and_home(actor):
    near, far = _holder(actor), _holder(actor)
    near_move = rules.add_months(TODAY, -12) + dt.timedelta(days=20)  # cancelled in 20 days
    _move(near, near_move, actor)
    _move(far, rules.add_months(TODAY, -7), actor)
    services.apply_moves_away(TODAY, actor=actor)
    assert {p.certificates.get().status for p in (near, far)} == {CertificateStatus.FROZEN}
    own = accounts.create_user("reviewer_a", "Yg-pages-Tests-2025!", [("reviewer", COUNTY_A)],
                               actor=actor)
    other = accounts.create_user("reviewer_b", "Yg-pages-Tests-2025!",
                                 [("reviewer", COUNTY_B)], actor=actor)

    assert [c.person_id for c in selectors.frozen_nearing_cancellation(own)] == [near.pk]
    assert not selectors.frozen_nearing_cancellation(other).exists()
    worklist = certificate_selectors.worklist(own)
    assert worklist.nearing_cancellation_count == 1
    assert [c.person_id for c in worklist.nearing_cancellation] == [near.pk]
    assert worklist.nearing_cancellation[0].cancel_on == TODAY + dt.timedelta(days=20)
    assert certificate_selectors.worklist(other).nearing_cancellation_count == 0


def test_the_worklist_page_lists_them_with_their_cancellation_day(actor, staff):
    near = _holder(actor)
    _move(near, rules.add_months(TODAY, -12) + dt.timedelta(days=20), actor)
    services.apply_moves_away(TODAY, actor=actor)
    page = staff("registrar", COUNTY_A).get("/certificates/worklist/").content.decode()
    assert "即将注销的冻结残疾人证（1本）" in page
    assert (TODAY + dt.timedelta(days=20)).isoformat() in page and near.name in page
    home = staff("reviewer", COUNTY_A).get("/").content.decode()
    assert "户籍迁出、即将注销的冻结残疾人证" in home


def test_the_daily_job_kind_runs_the_rule(actor):
    person = _holder(actor)
    _move(person, rules.add_months(TODAY, -7), actor)
    kind = kinds.get("moved_away_certificates")
    assert kind.daily_at == dt.time(1, 0)
    first, again = jobs.submit("moved_away_certificates"), jobs.submit("moved_away_certificates")
    jobs.run(first.pk)
    jobs.run(again.pk)
    results = [Job.objects.get(pk=j.pk).result for j in (first, again)]
    assert results == [{"frozen": 1, "cancelled": 0}, {"frozen": 0, "cancelled": 0}]
    assert person.certificates.get().status == CertificateStatus.FROZEN
    assert AuditEvent.objects.filter(object_type="certificate").get().actor_name == \
        "job:moved_away_certificates"


def test_the_move_away_page_records_withdraws_and_names_problems(actor, staff):
    person = _holder(actor)
    reviewer = staff("reviewer", COUNTY_A)
    url = f"/registry/persons/{person.pk}/move-away/"
    assert "登记户籍迁出" in reviewer.get(f"/registry/persons/{person.pk}/").content.decode()
    page = reviewer.get(url)
    assert page.status_code == 200
    assert '<label for="id_day">户籍迁出日期' in page.content.decode()

    wrong = reviewer.post(url, {"day": "2025-02-30", "to_region": COUNTY_A}).content.decode()
    assert "error-summary" in wrong and '<a href="#id_day">' in wrong
    assert "不是有效日期" in wrong and "与户籍地在同一县" in wrong
    person.refresh_from_db()
    assert person.moved_away_on is None

    done = reviewer.post(url, {"day": "2025-08-31", "to_region": ELSEWHERE})
    assert done.status_code == 302
    person.refresh_from_db()
    assert (person.moved_away_on, person.moved_to_region_id) == (dt.date(2025, 8, 31), ELSEWHERE)
    shown = reviewer.get(done["Location"]).content.decode()
    assert "2026-02-28冻结、2026-08-31注销" in shown
    assert "2025-08-31迁出，未办理迁移" in shown

    assert staff("reviewer", COUNTY_B).get(url).status_code == 404
    assert staff("registrar", COUNTY_A).get(url).status_code == 404  # no change_certificate
    reviewer.post(url, {"withdraw": "1"})
    person.refresh_from_db()
    assert person.moved_away_on is None
