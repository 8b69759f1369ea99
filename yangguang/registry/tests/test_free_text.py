"""Free text with control characters is refused the same way by every path (issue 16,
fault 3): the web forms, the import and the API (``core.text``)."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.accounts.models import Role
from yangguang.audit.models import AuditEvent
from yangguang.demo.generator import create_person, person_row, write_rows
from yangguang.registry import importing
from yangguang.registry.models import CertificateStatus, Person
from yangguang.registry.tests.conftest import COUNTY_A

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(actor) -> Person:
    return create_person(actor=actor, hukou_region=COUNTY_A)


def test_the_web_certificate_note_refuses_control_characters(staff, person):
    reviewer = staff(Role.REVIEWER, COUNTY_A)
    certificate = person.certificates.get()
    # Valid or expired, by its random issue date: either may be frozen, so only the note
    # stops the freeze.
    before = (certificate.status, certificate.history.count())
    assert before[0] in (CertificateStatus.VALID, CertificateStatus.EXPIRED)

    response = reviewer.post(f"/registry/certificates/{certificate.pk}/freeze/",
                             {"reason": "other", "day": dt.date.today().isoformat(),
                              "note": "ctl\x0bchar"})

    assert response.status_code == 200
    assert "说明不能包含控制字符或无效字符" in response.content.decode()
    certificate.refresh_from_db()
    assert (certificate.status, certificate.history.count()) == before


def test_the_reveal_reason_may_have_lines_but_no_control_characters(staff, person):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    url = f"/registry/persons/{person.pk}/reveal/"

    refused = registrar.post(url, {"reason": "核对\x1b[2J户籍"}).content.decode()
    assert "查看理由不能包含控制字符或无效字符" in refused
    assert not AuditEvent.objects.filter(action="reveal").exists()
    registrar.post(url, {"reason": "核对户籍\r\n办理补贴"})
    assert AuditEvent.objects.filter(action="reveal").count() == 1


def test_an_imported_name_with_a_control_character_is_rejected_naming_row_and_field(tmp_path):
    rows = [person_row(), person_row(), person_row()]
    rows[1]["姓名"] = "张\x1f三"
    path = tmp_path / "in.csv"
    write_rows(rows, path)

    result = importing.import_file(path, actor="test")

    assert (result.created, result.rejected) == (2, 1)
    [error] = result.errors
    assert (error.row, error.code) == (3, "text_invalid")
    assert "姓名不能包含控制字符或无效字符" in error.message
