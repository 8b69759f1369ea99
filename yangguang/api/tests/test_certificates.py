"""/certificates: issue, renew and change status through the registry services."""

import datetime as dt

import pytest

from yangguang.api.tests.conftest import COUNTY_A, assert_error, field_codes
from yangguang.audit.models import AuditEvent
from yangguang.demo.generator import create_person

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def person(actor):
    return create_person(actor=actor, hukou_region=COUNTY_A, category="肢体", level="三级",
                         issue_date=TODAY - dt.timedelta(days=400))


def test_issuing_another_category_cancels_the_open_certificate(registrar_a, person):
    old = person.certificates.get()
    response = registrar_a.post(f"/persons/{person.pk}/certificates",
                                {"category": "肢体", "level": 2, "issue_date": TODAY.isoformat()})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["category"], body["level"], body["status"]) == (4, 2, "valid")
    assert body["number_masked"] == person.id_number_masked + "42"
    assert body["history"] == [{"status": "valid", "status_label": "有效", "reason": "issued",
                                "reason_label": "首次发证", "effective_date": TODAY.isoformat(),
                                "note": ""}]
    old.refresh_from_db()
    assert old.status == "cancelled"
    # One event on the person says what the new certificate did to the open one.
    assert [(e.action, e.object_type, e.data["certificate"]) for e in
            AuditEvent.objects.filter(person_id=person.pk, actor_id=registrar_a.user.pk)] == [
        ("update", "person", {"action": "new", "suffix": "42", "issue_date": TODAY.isoformat(),
                              "cancelled": old.pk, "reason": "reassessed"})]


def test_a_reissue_gets_the_b_suffix(registrar_a, person):
    response = registrar_a.post(f"/persons/{person.pk}/certificates",
                                {"category": 4, "level": 3, "issue_date": TODAY.isoformat(),
                                 "reissue_count": 1})
    assert response.json()["number_masked"].endswith("43B1")


def test_issuing_checks_the_registry_rules(registrar_a, person):
    path = f"/persons/{person.pk}/certificates"
    assert field_codes(registrar_a.post(path, {"category": "九", "level": 2,
                                               "issue_date": "2024-13-01"})) == {
        "category": "category_invalid", "issue_date": "date_invalid"}
    assert field_codes(registrar_a.post(path, {"category": "多重", "level": 2,
                                               "issue_date": TODAY.isoformat()})) == {
        "components": "components_required"}
    assert field_codes(registrar_a.post(path, {"category": 7, "level": 1,
                                               "issue_date": TODAY.isoformat(),
                                               "components": [{"category": 1, "level": 2},
                                                              {"category": 4, "level": 3}]})) == {
        "level": "components_level_mismatch"}
    assert field_codes(registrar_a.post(path, {"category": 4, "level": 2,
                                               "issue_date": "1900-01-01"})) == {
        "issue_date": "date_before_birth"}
    assert field_codes(registrar_a.post(path, {"category": 4, "level": 2,
                                               "issue_date": (TODAY - dt.timedelta(days=800))
                                               .isoformat()})) == {"issue_date": "cert_stale"}
    assert person.certificates.count() == 1


def test_a_multiple_disability_is_issued_with_its_components(registrar_a, person):
    response = registrar_a.post(f"/persons/{person.pk}/certificates",
                                {"category": 7, "level": 2, "issue_date": TODAY.isoformat(),
                                 "components": "视力二级；肢体三级"})
    assert response.status_code == 201, response.content
    assert response.json()["components"] == [{"category": 1, "level": 2},
                                             {"category": 4, "level": 3}]


def test_freeze_restore_and_cancel(reviewer_a, person):
    certificate = person.certificates.get()
    path = f"/certificates/{certificate.pk}/status"
    frozen = reviewer_a.post(path, {"status": "frozen", "reason": "moved_away", "note": "户籍迁出"})
    assert frozen.status_code == 200, frozen.content
    assert frozen.json()["status"] == "frozen"
    assert reviewer_a.post(path, {"status": "valid"}).json()["status"] == "valid"
    cancelled = reviewer_a.post(path, {"status": "cancelled", "reason": "voluntary",
                                       "effective_date": TODAY.isoformat()}).json()
    assert cancelled["status"] == "cancelled"
    assert [(h["status"], h["reason"]) for h in cancelled["history"]] == [
        ("valid", "issued"), ("frozen", "moved_away"), ("valid", "restored"),
        ("cancelled", "voluntary")]
    assert field_codes(reviewer_a.post(path, {"status": "valid"})) == {"status": "status_transition"}
    actions = list(AuditEvent.objects.filter(actor_id=reviewer_a.user.pk, object_type="certificate")
                   .exclude(action="view").values_list("action", flat=True))
    assert actions == ["update", "update", "cancel"]


def test_status_change_reasons_are_checked(reviewer_a, person):
    path = f"/certificates/{person.certificates.get().pk}/status"
    assert field_codes(reviewer_a.post(path, {"status": "frozen"})) == {"reason": "required"}
    assert field_codes(reviewer_a.post(path, {"status": "frozen", "reason": "voluntary"})) == {
        "reason": "reason_invalid"}
    assert field_codes(reviewer_a.post(path, {"status": "valid", "reason": "other"})) == {
        "reason": "reason_invalid"}
    assert field_codes(reviewer_a.post(path, {"status": "dead", "reason": "death"})) == {
        "status": "choice_invalid", "reason": "choice_invalid"}
    assert field_codes(reviewer_a.post(path, {"status": "frozen", "reason": "other",
                                              "effective_date": "明天"})) == {
        "effective_date": "date_invalid"}
    assert field_codes(reviewer_a.post(path, {"status": "frozen", "reason": "other",
                                              "note": "x" * 201})) == {"note": "too_long"}
    assert field_codes(reviewer_a.post(path, {"status": "frozen", "reason": "other",
                                              "note": "a\x00b"})) == {"note": "text_invalid"}
    assert person.certificates.get().status == "valid"


def test_list_and_detail_are_recorded(reviewer_a, person, actor):
    other = create_person(actor=actor, hukou_region=COUNTY_A)
    listed = reviewer_a.get("/certificates", {"person_id": other.pk}).json()
    assert [c["person_id"] for c in listed["results"]] == [other.pk]
    certificate = person.certificates.get()
    detail = reviewer_a.get(f"/certificates/{certificate.pk}")
    assert detail.json()["number_masked"] == certificate.number_masked
    assert certificate.number() not in detail.content.decode()
    views = list(AuditEvent.objects.filter(action="view").values_list("object_type", "object_id",
                                                                      "person_id"))
    assert views == [("certificate", "", None), ("certificate", str(certificate.pk), person.pk)]
    assert AuditEvent.objects.filter(action="view").first().data["ids"] == \
        [other.certificates.get().pk]


def test_unknown_certificate_is_404(reviewer_a):
    assert_error(reviewer_a.get("/certificates/424242"), 404, "not_found")
    assert_error(reviewer_a.get(f"/certificates/{2**64}"), 404, "not_found")


def test_a_reassessment_is_the_reviewers_action_with_its_assessment(registrar_a, reviewer_a,
                                                                     person):
    old = person.certificates.get()
    body = {"institution": "西宁市第一人民医院", "assessed_on": TODAY.isoformat(),
            "category": old.category, "level": 4 if old.level != 4 else 3,
            "effective_date": TODAY.isoformat()}
    if old.category == 7:
        body["components"] = [{"category": 1, "level": body["level"]},
                              {"category": 4, "level": 4}]
    assert_error(registrar_a.post(f"/persons/{person.pk}/reassessments", body), 403, "forbidden")

    response = reviewer_a.post(f"/persons/{person.pk}/reassessments", body)

    assert response.status_code == 201, response.content
    new = response.json()
    assert (new["level"], new["issue_date"], new["status"]) == (
        body["level"], TODAY.isoformat(), "valid")
    old.refresh_from_db()
    assert old.status == "cancelled"
    assert old.history.last().reason == "reassessed"
    assert person.assessments.get().institution == "西宁市第一人民医院"
    bad = reviewer_a.post(f"/persons/{person.pk}/reassessments", body | {"institution": ""})
    assert field_codes(bad) == {"institution": "required"}
