"""The case pages: a new application, its steps with their forms and error summary, the
list, the worklist and the home counts; scope."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.certificates.models import CertificateCase
from yangguang.certificates.tests.cases_fixtures import certified, uncertified
from yangguang.registry.tests.conftest import COUNTY_A, COUNTY_B, VILLAGE_A

pytestmark = pytest.mark.django_db


def test_an_application_and_its_steps_on_the_pages(actor, staff):
    registrar = staff("registrar", COUNTY_A)
    reviewer = staff("reviewer", COUNTY_A)
    person = certified(actor, VILLAGE_A)
    page = registrar.get(f"/registry/persons/{person.pk}/")
    assert f"/certificates/cases/person/{person.pk}/new/" in page.content.decode()

    url = f"/certificates/cases/person/{person.pk}/new/"
    wrong = registrar.post(url, {"kind": "new", "applicant": "person", "applied_on": ""})
    assert wrong.status_code == 200
    body = wrong.content.decode()
    assert "error-summary" in body and "该人员已持有未注销的残疾人证" in body
    made = registrar.post(url, {"kind": "reissue", "applicant": "person", "applied_on": ""})
    case = CertificateCase.objects.get(person=person)
    assert made.status_code == 302 and made["Location"] == f"/certificates/cases/{case.pk}/"

    detail = registrar.get(f"/certificates/cases/{case.pk}/").content.decode()
    assert "受理" in detail and f"/certificates/cases/{case.pk}/accept/" in detail
    assert registrar.get(f"/certificates/cases/{case.pk}/issue/").status_code == 404
    assert registrar.post(f"/certificates/cases/{case.pk}/accept/",
                          {"day": dt.date.today().isoformat()}).status_code == 302
    form = reviewer.get(f"/certificates/cases/{case.pk}/issue/")
    assert form.status_code == 200
    bad = reviewer.post(f"/certificates/cases/{case.pk}/issue/", {"day": "2099-01-01"})
    assert "error-summary" in bad.content.decode()
    assert reviewer.post(f"/certificates/cases/{case.pk}/issue/", {"day": ""}).status_code == 302
    case.refresh_from_db()
    assert case.state == "issued" and case.certificate.suffix.endswith("B1")
    history = registrar.get(f"/certificates/cases/{case.pk}/").content.decode()
    assert "审核通过，发证" in history and "已发证" in history
    # The person page lists the case and tells its steps in the person's history.
    person_page = registrar.get(f"/registry/persons/{person.pk}/").content.decode()
    assert f"/certificates/cases/{case.pk}/" in person_page
    assert "残疾人证挂失补办申请：审核通过，发证，由“已受理”变为“已发证”" in person_page


def test_another_county_does_not_find_the_case(actor, staff):
    registrar = staff("registrar", COUNTY_A)
    other = staff("registrar", COUNTY_B)
    person = uncertified(actor, VILLAGE_A)
    registrar.post(f"/certificates/cases/person/{person.pk}/new/",
                   {"kind": "new", "applicant": "person"})
    case = CertificateCase.objects.get(person=person)
    assert other.get(f"/certificates/cases/{case.pk}/").status_code == 404
    assert other.get(f"/certificates/cases/{case.pk}/accept/").status_code == 404
    assert other.get(f"/certificates/cases/person/{person.pk}/new/").status_code == 404
    assert person.name not in other.get("/certificates/cases/").content.decode()
    assert person.name in registrar.get("/certificates/cases/?open=on").content.decode()


def test_worklist_and_home_counts(actor, staff):
    registrar = staff("registrar", COUNTY_A)
    person = uncertified(actor, VILLAGE_A)
    registrar.post(f"/certificates/cases/person/{person.pk}/new/",
                   {"kind": "new", "applicant": "person"})
    certified(actor, VILLAGE_A, 发证日期=dt.date.today() - dt.timedelta(days=3600))
    page = registrar.get("/certificates/worklist/").content.decode()
    assert "已申请" in page and "到期的残疾人证（1本）" in page
    home = registrar.get("/").content.decode()
    assert "办理中的残疾人证业务" in home
