"""The registry's rules in one home: the same facts give the same record whichever path
brings them (form/API through the services, or a file through the import), and every
path writes only within the writer's scope, without telling where else a person is."""

import datetime as dt

import pytest

from yangguang.audit.models import AuditEvent
from yangguang.core.crypto import decrypt_id, hash_id
from yangguang.core.errors import ValidationFailed
from yangguang.demo.generator import create_person, person_row
from yangguang.registry import importing, rules, services, vocabulary
from yangguang.registry.models import CertificateStatus, Household, Person, StatusReason
from yangguang.registry.tests.conftest import COUNTY_A, VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.django_db


def data_of(row: dict) -> services.PersonData:
    return rules.parse_row({vocabulary.HEADER_TO_KEY.get(h, h): v for h, v in row.items()})


def certificate_record(person: Person) -> list[tuple]:
    return [(c.category, c.level, c.reissue_count, c.issue_date, c.valid_until, c.status,
             [(h.status, h.reason, h.effective_date) for h in c.history.order_by("id")])
            for c in person.certificates.order_by("id")]


def test_a_certificate_past_its_validity_is_expired_through_the_services_and_the_import(actor):
    # Issued 2010-02-28: valid until 2020-02-28, so expired today, whichever way it comes.
    by_service = data_of(person_row(发证日期=dt.date(2010, 2, 28)))
    person = services.register_person(by_service, actor=actor, scope=None)
    row = person_row(发证日期=dt.date(2010, 2, 28))
    importing.import_rows([row], actor=actor)
    imported = Person.objects.get(id_number_hash=hash_id(data_of(row).id_number.normalized))

    expected = [(by_service.certificate.category, by_service.certificate.level,
                 by_service.certificate.reissue_count, dt.date(2010, 2, 28), dt.date(2020, 2, 28),
                 CertificateStatus.EXPIRED,
                 [(CertificateStatus.VALID, StatusReason.ISSUED, dt.date(2010, 2, 28)),
                  (CertificateStatus.EXPIRED, StatusReason.EXPIRED, dt.date(2020, 2, 28))])]
    assert certificate_record(person) == expected
    assert certificate_record(imported)[0][3:] == expected[0][3:]


def test_the_status_from_the_dates_is_one_rule():
    today = dt.date(2026, 12, 5)
    assert rules.valid_until(dt.date(2016, 12, 5)) == today
    assert rules.status_on(today, today) == CertificateStatus.VALID
    assert rules.status_on(today - dt.timedelta(days=1), today) == CertificateStatus.EXPIRED
    assert rules.certificate_suffix(4, 2, 0) == "42"
    assert rules.certificate_suffix(7, 1, 2) == "71B2"


def test_a_household_outside_the_scope_is_refused_on_every_path(actor):
    foreign = create_person(户籍地区划代码=VILLAGE_B, 家庭编号=VILLAGE_B + "0001",
                            与户主关系="户主")
    household = Household.objects.get(number=VILLAGE_B + "0001")
    # Registering into it.
    with pytest.raises(ValidationFailed) as info:
        services.register_person(data_of(person_row(户籍地区划代码=VILLAGE_A,
                                                    家庭编号=household.number, 与户主关系="子女")),
                                 actor=actor, scope=(COUNTY_A,))
    assert [(p.code, p.field) for p in info.value.problems] == [
        ("region_out_of_scope", "household_number")]
    # Moving an own person into it.
    own = create_person(户籍地区划代码=VILLAGE_A)
    moved = data_of(person_row(公民身份号码=decrypt_id(own.id_number_encrypted),
                               户籍地区划代码=VILLAGE_A, 家庭编号=household.number,
                               与户主关系="子女"))
    with pytest.raises(ValidationFailed) as info:
        services.update_person(own, moved, actor=actor, scope=(COUNTY_A,))
    assert info.value.problems[0].code == "region_out_of_scope"
    # An import row naming it.
    result = importing.import_rows([person_row(户籍地区划代码=VILLAGE_A, 家庭编号=household.number,
                                               与户主关系="子女")], actor=actor, scope=(COUNTY_A,))
    assert (result.created, [(e.column, e.code) for e in result.errors]) == (
        0, [("家庭编号", "region_out_of_scope")])
    assert list(household.members.all()) == [foreign]


def test_a_write_outside_the_scope_is_refused_by_the_services(actor):
    with pytest.raises(ValidationFailed) as info:
        services.register_person(data_of(person_row(户籍地区划代码=VILLAGE_B)), actor=actor,
                                 scope=(COUNTY_A,))
    assert info.value.problems[0].code == "region_out_of_scope"
    elsewhere = create_person(户籍地区划代码=VILLAGE_B)
    with pytest.raises(ValidationFailed):
        services.issue_certificate(elsewhere, services.CertificateData(4, 2, dt.date.today()),
                                   actor=actor, scope=(COUNTY_A,))
    assert elsewhere.certificates.count() == 1


def _checks(person: Person) -> list[dict]:
    return [e.data for e in AuditEvent.objects.filter(person_id=person.pk)
            if e.data.get("check") == "registered_elsewhere"]


def test_a_dry_run_is_no_oracle_of_registrations_elsewhere(actor):
    elsewhere = create_person(户籍地区划代码=VILLAGE_B)
    number = decrypt_id(elsewhere.id_number_encrypted)
    row = person_row(公民身份号码=number, 户籍地区划代码=VILLAGE_A)
    unknown = person_row(户籍地区划代码=VILLAGE_A)

    # Checked within the importer's scope only: the same answer as for an unknown number.
    result = importing.import_rows([row, unknown], actor=actor, dry_run=True, scope=(COUNTY_A,))
    assert (result.created, result.rejected, result.errors) == (2, 0, [])


def test_registering_a_number_registered_elsewhere_is_refused_and_audited_by_its_hash(actor):
    elsewhere = create_person(户籍地区划代码=VILLAGE_B)
    number = decrypt_id(elsewhere.id_number_encrypted)

    with pytest.raises(ValidationFailed) as info:
        services.register_person(data_of(person_row(公民身份号码=number, 户籍地区划代码=VILLAGE_A)),
                                 actor=actor, scope=(COUNTY_A,))
    assert info.value.problems[0].code == "person_out_of_scope"
    assert _checks(elsewhere) == [{"check": "registered_elsewhere",
                                   "id_hash": elsewhere.id_number_hash}]

    result = importing.import_rows([person_row(公民身份号码=number, 户籍地区划代码=VILLAGE_A)],
                                   actor=actor, scope=(COUNTY_A,))
    assert [e.code for e in result.errors] == ["person_out_of_scope"]
    checks = _checks(elsewhere)
    assert len(checks) == 2 and checks[1]["id_hash"] == elsewhere.id_number_hash
    # The event is the other region's (a case for it), and never holds the number.
    event = AuditEvent.objects.filter(person_id=elsewhere.pk).order_by("id").last()
    assert event.region_code == elsewhere.hukou_region_id
    assert not any(number in str(e.data) for e in AuditEvent.objects.all())
