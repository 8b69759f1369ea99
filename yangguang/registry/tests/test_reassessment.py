"""A change of category or level is a reassessment, not a field edit: its own action,
on the assessment it rests on, with its own effective date, by a reviewer, audited."""

import datetime as dt

import pytest

from yangguang.accounts.models import Role
from yangguang.audit.models import AuditEvent
from yangguang.core.errors import ValidationFailed
from yangguang.demo.generator import create_person
from yangguang.registry import rules, services
from yangguang.registry.models import CertificateStatus, StatusReason
from yangguang.registry.tests.conftest import COUNTY_A, VILLAGE_A

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
ISSUED = TODAY - dt.timedelta(days=800)
EFFECTIVE = TODAY - dt.timedelta(days=10)


@pytest.fixture
def person():
    # Born well before the issue date: the generator draws a birth date of its own,
    # which could fall after ISSUED (a certificate issued before birth is refused).
    return create_person(户籍地区划代码=VILLAGE_A, 残疾类别="肢体", 残疾等级="二级", 发证日期=ISSUED,
                         出生日期="1980-05-01", reissue_count=0)


def reassessment(**changes) -> rules.Reassessment:
    values = {"institution": "五台县人民医院", "assessed_on": (EFFECTIVE - dt.timedelta(days=5))
              .isoformat(), "category": "肢体", "level": "三级", "effective_date":
              EFFECTIVE.isoformat()} | changes
    return rules.parse_reassessment(values)


def test_reassessment_cancels_on_its_effective_date_and_issues_a_new_certificate(person, actor):
    old = person.certificates.get()

    new = services.reassess(person, reassessment(), actor=actor, scope=(COUNTY_A,))

    old.refresh_from_db()
    assert old.status == CertificateStatus.CANCELLED
    assert [(h.status, h.reason, h.effective_date) for h in old.history.order_by("id")][-1] == (
        CertificateStatus.CANCELLED, StatusReason.REASSESSED, EFFECTIVE)
    assert (new.category, new.level, new.issue_date, new.valid_until, new.status) == (
        4, 3, EFFECTIVE, rules.valid_until(EFFECTIVE), CertificateStatus.VALID)
    assessment = person.assessments.get()
    assert (assessment.institution, assessment.level) == ("五台县人民医院", 3)
    events = {(e.object_type, e.action): e.data for e in AuditEvent.objects.filter(
        person_id=person.pk).exclude(object_type="person", action="create")}
    assert events[("person", "update")]["certificate"] == {
        "action": "new", "suffix": "43", "issue_date": EFFECTIVE.isoformat(),
        "cancelled": old.pk, "reason": "reassessed"}
    assert ("assessment", "create") in events


def test_reassessment_needs_a_change_a_valid_assessment_and_the_scope(person, actor):
    with pytest.raises(ValidationFailed) as info:
        services.reassess(person, reassessment(level="二级"), actor=actor, scope=None)
    assert info.value.problems[0].code == "reassessment_unchanged"
    with pytest.raises(ValidationFailed) as info:
        reassessment(institution="", assessed_on=(EFFECTIVE + dt.timedelta(days=1)).isoformat())
    assert {p.code for p in info.value.problems} == {"required", "effective_before_assessment"}
    with pytest.raises(ValidationFailed) as info:
        services.reassess(person, reassessment(), actor=actor, scope=("610103",))
    assert info.value.problems[0].code == "region_out_of_scope"
    assert person.certificates.get().level == 2


def test_reassessment_needs_an_open_certificate(person, actor):
    certificate = person.certificates.get()
    services.cancel_certificate(certificate, reason=StatusReason.NO_LONGER_ELIGIBLE,
                                day=EFFECTIVE, actor=actor)

    with pytest.raises(ValidationFailed) as info:
        services.reassess(person, reassessment(), actor=actor, scope=(COUNTY_A,))

    assert info.value.problems[0].code == "reassessment_without_certificate"
    assert [(c.level, c.status) for c in person.certificates.all()] == [
        (2, CertificateStatus.CANCELLED)]
    assert not person.assessments.exists()


def test_the_edit_form_shows_category_and_level_but_cannot_change_them(person, staff):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    page = registrar.get(f"/registry/persons/{person.pk}/edit/").content.decode()
    assert 'name="category"' not in page and 'name="level"' not in page
    assert "肢体残疾" in page and "二级" in page
    certificate = person.certificates.get()

    response = registrar.post(f"/registry/persons/{person.pk}/edit/", {
        "name": person.name, "hukou_region": person.hukou_region_id, "category": "4",
        "level": "3", "issue_date": certificate.issue_date.isoformat(), "reissue_count": "0"})

    assert response.status_code == 302
    assert [(c.level, c.status) for c in person.certificates.all()] == [(2, certificate.status)]


def test_the_reassessment_page_is_the_reviewers(person, staff):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    # (A page beyond the role is not found, as the death page is.)
    assert registrar.get(f"/registry/persons/{person.pk}/reassess/").status_code == 404
    reviewer = staff(Role.REVIEWER, COUNTY_A)
    page = reviewer.get(f"/registry/persons/{person.pk}/").content.decode()
    assert f"/registry/persons/{person.pk}/reassess/" in page

    wrong = reviewer.post(f"/registry/persons/{person.pk}/reassess/", {"category": "4",
                                                                        "level": "3"})
    assert wrong.status_code == 200 and "评定机构不能为空" in wrong.content.decode()
    response = reviewer.post(f"/registry/persons/{person.pk}/reassess/", {
        "institution": "五台县人民医院", "assessed_on": EFFECTIVE.isoformat(), "category": "4",
        "level": "3", "effective_date": EFFECTIVE.isoformat()})

    assert response.status_code == 302
    assert person.certificates.get(status=CertificateStatus.VALID).level == 3
