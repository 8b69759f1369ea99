"""Electronic certificates: tokens, verification, the pages, the API and the command."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import string

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from yangguang.audit.models import AuditEvent
from yangguang.certificates import ecert, tokens
from yangguang.certificates.ecert import Verdict
from yangguang.core import secrets
from yangguang.core.errors import ValidationFailed
from yangguang.demo.generator import create_person
from yangguang.registry import services
from yangguang.registry.models import Certificate, StatusReason
from yangguang.registry.tests.conftest import COUNTY_B, VILLAGE_A

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


@pytest.fixture
def certificate(actor) -> Certificate:
    person = create_person(actor=actor, 户籍地区划代码=VILLAGE_A, 姓名="张阳光",
                           发证日期=TODAY - dt.timedelta(days=30))
    return person.certificates.select_related("person", "person__hukou_region").get()


def _token(certificate: Certificate, actor) -> str:
    return ecert.issue_ecert(certificate, actor=actor, today=TODAY, form="page").token


def test_a_valid_certificate_verifies_with_masked_number_name_and_validity(certificate, actor):
    result = ecert.verify(_token(certificate, actor), TODAY)
    assert result.verdict == Verdict.VALID
    assert result.name == "张阳光"
    assert result.number_masked == certificate.number_masked
    assert "*" in result.number_masked
    assert (result.issue_date, result.valid_until) == (certificate.issue_date,
                                                       certificate.valid_until)


def test_a_token_altered_in_any_character_is_invalid(certificate, actor):
    token = _token(certificate, actor)
    alphabet = string.ascii_letters + string.digits + "-_"
    for i, char in enumerate(token):
        altered = token[:i] + alphabet[(alphabet.index(char) + 1) % len(alphabet)] + token[i + 1:]
        result = ecert.verify(altered, TODAY)
        assert result.verdict == Verdict.INVALID, i
        assert result.name == result.number_masked == ""
    for broken in ("", token[:-1], token + "A", token + "=", "不是令牌", token.upper()):
        assert ecert.verify(broken, TODAY).verdict == Verdict.INVALID


def test_a_token_signed_by_another_key_is_invalid(certificate, actor, settings):
    token = _token(certificate, actor)
    settings.ECERT_SIGNING_KEY = base64.b64encode(b"\x01" * 32).decode()
    assert ecert.verify(token, TODAY).verdict == Verdict.INVALID


def test_the_current_state_is_shown_not_the_state_when_made(certificate, actor):
    token = _token(certificate, actor)
    services.freeze_certificate(certificate, reason=StatusReason.MOVED_AWAY, day=TODAY,
                                actor=actor)
    assert ecert.verify(token, TODAY).verdict == Verdict.INVALID
    services.restore_certificate(certificate, day=TODAY, actor=actor)
    assert ecert.verify(token, TODAY).verdict == Verdict.VALID
    # The validity ends before the daily job has marked it expired: already 已过期.
    assert ecert.verify(token, certificate.valid_until + dt.timedelta(days=1)).verdict == \
        Verdict.EXPIRED
    services.expire_certificates(certificate.valid_until + dt.timedelta(days=1), actor=actor)
    assert ecert.verify(token, TODAY).verdict == Verdict.EXPIRED
    result = ecert.verify(token, TODAY)
    assert result.number_masked == certificate.number_masked  # still named
    services.cancel_certificate(Certificate.objects.get(pk=certificate.pk),
                                reason=StatusReason.VOLUNTARY, day=TODAY, actor=actor)
    assert ecert.verify(token, TODAY).verdict == Verdict.CANCELLED


def test_only_a_valid_certificate_gets_an_ecert_and_the_issue_is_audited(certificate, actor):
    _token(certificate, actor)
    event = AuditEvent.objects.filter(object_type="certificate", action="export").get()
    assert event.data == {"number": certificate.number_masked, "ecert": "page"}
    services.cancel_certificate(certificate, reason=StatusReason.VOLUNTARY, day=TODAY,
                                actor=actor)
    with pytest.raises(ValidationFailed) as refused:
        _token(certificate, actor)
    assert refused.value.problems[0].code == "ecert_not_valid"


def test_rotated_keys_still_verify_their_tokens(certificate, actor, tmp_path, settings,
                                                monkeypatch):
    monkeypatch.delenv("YANGGUANG_ECERT_SIGNING_KEY", raising=False)
    # A secrets file from before e-certificates gets a signing key on first load.
    (tmp_path / "secrets.json").write_text(json.dumps(
        {"secret_key": "s", "id_encryption_key": "e", "id_hash_key": "h"}))
    first = secrets.load(str(tmp_path))
    assert first["ecert_retired_public_keys"] == ""
    settings.ECERT_SIGNING_KEY, settings.ECERT_RETIRED_PUBLIC_KEYS = first["ecert_signing_key"], []
    old_token = _token(certificate, actor)
    secrets.rotate_ecert_key(str(tmp_path))
    rotated = secrets.load(str(tmp_path))
    assert rotated["ecert_signing_key"] != first["ecert_signing_key"]
    assert rotated["id_hash_key"] == "h"  # the other keys stay
    settings.ECERT_SIGNING_KEY = rotated["ecert_signing_key"]
    settings.ECERT_RETIRED_PUBLIC_KEYS = rotated["ecert_retired_public_keys"].split(",")
    new_token = _token(certificate, actor)
    assert new_token != old_token
    assert ecert.verify(old_token, TODAY).verdict == Verdict.VALID
    assert ecert.verify(new_token, TODAY).verdict == Verdict.VALID
    settings.ECERT_RETIRED_PUBLIC_KEYS = []  # the old key withdrawn: its tokens fail
    assert ecert.verify(old_token, TODAY).verdict == Verdict.INVALID
    secrets.load.cache_clear()


def test_public_verification_page_and_api(certificate, actor):
    token = _token(certificate, actor)
    full_id = certificate.number()[:18]
    anonymous = Client()
    page = anonymous.get(f"/verify/{token}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "有效" in text and "张阳光" in text and certificate.number_masked in text
    assert full_id not in text
    answer = anonymous.get(f"/api/v1/verify/{token}")
    assert answer.status_code == 200
    assert answer.json() == {"state": "valid", "state_label": "有效", "name": "张阳光",
                             "number_masked": certificate.number_masked,
                             "issue_date": certificate.issue_date.isoformat(),
                             "valid_until": certificate.valid_until.isoformat()}
    assert full_id not in answer.content.decode()
    bad = anonymous.get("/api/v1/verify/" + token[:-2] + "AA").json()
    assert bad["state"] == "invalid" and bad["name"] == "" and bad["number_masked"] == ""
    assert "无效" in anonymous.get("/verify/x" + token).content.decode()


def test_verification_is_rate_limited_per_address(certificate, actor, settings, caplog):
    settings.ECERT_VERIFY_LIMIT = 3
    caplog.set_level("INFO", logger="yangguang.certificates.verify")
    token = _token(certificate, actor)
    one, other = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert [one.get(f"/verify/{token}").status_code for _ in range(3)] == [200] * 3
    assert one.get(f"/verify/{token}").status_code == 429
    assert one.get(f"/api/v1/verify/{token}").status_code == 429
    assert other.get(f"/api/v1/verify/{token}").status_code == 200
    # Logged without personal data: no token, name, number or address.
    logged = " ".join(r.getMessage() for r in caplog.records
                      if r.name == "yangguang.certificates.verify")
    assert "verified: valid" in logged
    for secret in (token, "张阳光", certificate.number_masked, "10.0.0.1"):
        assert secret not in logged


def test_ecert_page_and_pdfs_are_scoped(certificate, staff):
    own = staff("registrar", VILLAGE_A[:6])
    page = own.get(f"/certificates/{certificate.pk}/ecert/")
    assert page.status_code == 200
    text = page.content.decode()
    assert certificate.number_masked in text and "<svg" in text and "/verify/" in text
    assert certificate.number()[:18] not in text
    for size in ("a4", "card"):
        pdf = own.get(f"/certificates/{certificate.pk}/ecert.pdf?size={size}")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    assert own.get(f"/certificates/{certificate.pk}/ecert.pdf?size=a3").status_code == 404
    elsewhere = staff("registrar", COUNTY_B)
    assert elsewhere.get(f"/certificates/{certificate.pk}/ecert/").status_code == 404
    assert elsewhere.get(f"/certificates/{certificate.pk}/ecert.pdf").status_code == 404


def test_command_writes_the_pdf_and_prints_the_verification_path(certificate, tmp_path,
                                                                capsys):
    out = tmp_path / "ecert.pdf"
    call_command("certificate", "ecert", certificate.number(), "--out", str(out),
                 "--size", "card")
    assert out.read_bytes().startswith(b"%PDF")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    match = re.fullmatch(r"/verify/([A-Za-z0-9_-]+)", last)
    assert match
    assert ecert.verify(match.group(1), TODAY).verdict == Verdict.VALID
    assert tokens.read_token(match.group(1)).certificate_id == certificate.pk
    assert AuditEvent.objects.filter(object_type="certificate", object_id=str(certificate.pk),
                                     action="export").get().data["ecert"] == "card"


def test_the_person_page_links_to_the_ecert_through_the_contribution(certificate, staff, actor):
    """The registry's person page names no page of this app: the link comes from
    ``CertificatesConfig.contributions`` (``person_actions``), shown while the
    certificate would get an e-certificate and only to users who may see it there."""
    link = f'href="/certificates/{certificate.pk}/ecert/"'
    own = staff("registrar", VILLAGE_A[:6])
    assert link in own.get(f"/registry/persons/{certificate.person_id}/").content.decode()
    services.freeze_certificate(certificate, reason=StatusReason.MOVED_AWAY, day=TODAY,
                                actor=actor)
    certificate.refresh_from_db()
    assert not ecert.issuable(certificate)
    page = own.get(f"/registry/persons/{certificate.person_id}/")
    assert page.status_code == 200 and link not in page.content.decode()


def test_the_registry_templates_name_no_page_of_an_app_above_it():
    from pathlib import Path

    import yangguang

    templates = Path(yangguang.__file__).parent / "templates" / "registry"
    above = ("certificates:", "services:", "benefits:", "matching:", "plans:", "survey:")
    for path in templates.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not any(f"url '{name}" in text or f'url "{name}' in text for name in above), path
