"""The registry's write services: invariants, status history and audit events."""

import datetime as dt

import pytest

from yangguang.audit.models import AuditEvent
from yangguang.audit.services import verify_chain
from yangguang.core.crypto import decrypt_id, hash_id
from yangguang.core.errors import ValidationFailed
from yangguang.demo.generator import create_person, person_row
from yangguang.registry import rules, services, vocabulary
from yangguang.registry.models import (
    Certificate,
    CertificateStatus,
    EconomicStatus,
    Person,
    StatusReason,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def data_of(row: dict) -> services.PersonData:
    return rules.parse_row({vocabulary.HEADER_TO_KEY.get(h, h): v for h, v in row.items()})


def events(person: Person) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(person_id=person.pk).order_by("id")
                .values_list("action", "object_type"))


def test_register_person_encrypts_masks_and_audits(actor):
    row = person_row()
    data = data_of(row)
    person = services.register_person(data, actor=actor, scope=None)
    number = data.id_number.normalized  # (a random row may carry a legacy 15-digit ID)
    assert decrypt_id(person.id_number_encrypted) == number
    assert person.id_number_hash == hash_id(number)
    assert number not in repr(Person.objects.filter(pk=person.pk).values().get())
    # One event for the write, as an import row makes it: what the certificate did in it.
    assert events(person) == [("create", "person")]
    certificate = person.certificates.get()
    assert AuditEvent.objects.get(person_id=person.pk).data == {"certificate": {
        "action": "new", "suffix": certificate.suffix,
        "issue_date": certificate.issue_date.isoformat()}}
    assert certificate.number() == row["残疾人证号"]


def test_one_person_per_id(actor):
    row = person_row()
    services.register_person(data_of(row), actor=actor, scope=None)
    with pytest.raises(ValidationFailed) as info:
        services.register_person(data_of(row), actor=actor, scope=None)
    assert info.value.problems[0].code == "id_exists"


def test_update_person_records_changes(actor):
    person = create_person(actor=actor)
    row = person_row(公民身份号码=decrypt_id(person.id_number_encrypted), 联系电话="13722223333")
    data = data_of(row)
    data.certificate = None
    changed = services.update_person(person, data, actor=actor, scope=None)
    assert "phone" in changed
    event = AuditEvent.objects.filter(person_id=person.pk, action="update").last()
    assert event.data["changes"]["phone"][1] == "13722223333"
    assert services.update_person(person, data, actor=actor, scope=None) == []


def test_certificate_status_transitions(actor):
    person = create_person(actor=actor, 发证日期=TODAY - dt.timedelta(days=30))
    cert = person.certificates.get()
    services.freeze_certificate(cert, reason=StatusReason.MOVED_AWAY, day=TODAY, actor=actor)
    assert cert.status == CertificateStatus.FROZEN
    services.restore_certificate(cert, day=TODAY, actor=actor)
    assert cert.status == CertificateStatus.VALID
    services.cancel_certificate(cert, reason=StatusReason.MOVED_AWAY, day=TODAY, actor=actor)
    with pytest.raises(ValidationFailed) as info:
        services.restore_certificate(cert, day=TODAY, actor=actor)
    assert info.value.problems[0].code == "status_transition"
    assert [h.status for h in cert.history.all()] == ["valid", "frozen", "valid", "cancelled"]
    assert ("cancel", "certificate") in events(person)


def test_death_cancels_the_certificate_and_blocks_new_ones(actor):
    person = create_person(actor=actor)
    services.record_death(person, TODAY, actor=actor)
    cert = person.certificates.get()
    assert cert.status == CertificateStatus.CANCELLED
    assert cert.history.last().reason == StatusReason.DEATH
    with pytest.raises(ValidationFailed) as info:
        services.issue_certificate(person, services.CertificateData(4, 2, TODAY), actor=actor, scope=None)
    assert info.value.problems[0].code == "person_deceased"


def test_only_one_open_certificate_per_person(actor):
    person = create_person(actor=actor, 残疾类别="肢体", 残疾等级="三级", 发证日期=TODAY - dt.timedelta(days=400))
    services.issue_certificate(person, services.CertificateData(4, 2, TODAY), actor=actor, scope=None)
    open_certs = person.certificates.exclude(status=CertificateStatus.CANCELLED)
    assert [(c.category, c.level) for c in open_certs] == [(4, 2)]
    with pytest.raises(ValidationFailed) as info:
        services.issue_certificate(person, services.CertificateData(4, 1, TODAY - dt.timedelta(days=1)),
                                   actor=actor, scope=None)
    assert info.value.problems[0].code == "cert_stale"
    from django.db import IntegrityError, transaction
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(person=person, category=5, level=1, issue_date=TODAY,
                                   valid_until=TODAY, status=CertificateStatus.VALID)


def test_renewal_needs_an_open_certificate_and_a_later_issue_date(actor):
    person = create_person(actor=actor, 发证日期=TODAY - dt.timedelta(days=30))
    cert = person.certificates.get()
    with pytest.raises(ValidationFailed) as info:
        services.renew_certificate(person, cert.issue_date, actor=actor, scope=None)
    assert [p.code for p in info.value.problems] == ["certificate_unchanged"]
    assert cert.issue_date.isoformat() in info.value.problems[0].message
    services.cancel_certificate(cert, reason=StatusReason.MOVED_AWAY, day=TODAY, actor=actor)
    with pytest.raises(ValidationFailed) as info:
        services.renew_certificate(person, TODAY, actor=actor, scope=None)
    assert [p.code for p in info.value.problems] == ["certificate_required"]
    assert person.certificates.count() == 1


def test_multiple_disability_level_is_the_most_severe_component(actor):
    person = create_person(actor=actor, 残疾类别="多重", 残疾等级="二级", 多重残疾明细="视力二级；肢体三级")
    cert = person.certificates.get()
    assert cert.components == [{"category": 1, "level": 2}, {"category": 4, "level": 3}]
    with pytest.raises(ValidationFailed):
        services.record_assessment(person, category=7, level=1, components="视力二级；肢体三级",
                                   institution="青海省康复医院", assessed_on=TODAY, actor=actor)
    assessment = services.record_assessment(person, category=7, level=2, components="1-2,4-3",
                                            institution="青海省康复医院", assessed_on=TODAY, actor=actor)
    assert assessment.components == cert.components


def test_expire_certificates_is_safe_to_rerun(actor):
    person = create_person(actor=actor, 发证日期=TODAY - dt.timedelta(days=400))
    cert = person.certificates.get()
    later = cert.valid_until + dt.timedelta(days=1)
    assert services.expire_certificates(later, actor=actor) == 1
    assert services.expire_certificates(later, actor=actor) == 0
    cert.refresh_from_db()
    assert cert.status == CertificateStatus.EXPIRED


def test_household_status_periods(actor):
    person = create_person(actor=actor, 家庭编号="HH-1", 与户主关系="户主")
    period = services.set_household_status(person.household, EconomicStatus.DIBAO,
                                           dt.date(2023, 1, 1), actor=actor)
    assert period.household.statuses.get().status == "dibao"
    assert AuditEvent.objects.filter(object_type="household_status").count() == 1


def test_audit_chain_detects_alteration_and_removal(actor):
    for _ in range(3):
        create_person(actor=actor)
    assert verify_chain() is None
    events_ = list(AuditEvent.objects.order_by("id"))
    AuditEvent.objects.filter(pk=events_[2].pk).update(actor_name="someone else")
    assert verify_chain().pk == events_[2].pk
    AuditEvent.objects.filter(pk=events_[2].pk).update(actor_name=events_[2].actor_name)
    assert verify_chain() is None
    AuditEvent.objects.filter(pk=events_[1].pk).delete()
    assert verify_chain().pk == events_[2].pk


def test_audit_events_are_append_only(actor):
    create_person(actor=actor)
    event = AuditEvent.objects.first()
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
