"""The verification form: the code printed under the QR code, typed or pasted."""

from __future__ import annotations

import base64
import datetime as dt
import re
import zlib

import pytest
from django.core.cache import cache
from django.test import Client

from yangguang.certificates import ecert, pdf, tokens
from yangguang.demo.generator import create_person
from yangguang.registry.models import Certificate
from yangguang.registry.tests.conftest import VILLAGE_A

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


@pytest.fixture
def token(actor) -> str:
    person = create_person(actor=actor, 户籍地区划代码=VILLAGE_A, 姓名="李明月",
                           发证日期=TODAY - dt.timedelta(days=30))
    certificate = person.certificates.select_related("person", "person__hukou_region").get()
    return ecert.issue_ecert(certificate, actor=actor, today=TODAY, form="page").token


def test_the_printed_code_is_the_token_in_groups_of_four(token):
    printed = tokens.grouped(token)
    assert all(len(group) == 4 for group in printed.split(" ")[:-1])
    assert printed.replace(" ", "") == token
    assert tokens.from_typed(printed) == token
    assert tokens.from_typed("\n".join(pdf.code_lines(token)) + "\n") == token
    assert tokens.from_typed(f"  https://example.org/verify/{token}?x=1 ") == token


@pytest.mark.parametrize("spelling", ["grouped", "lines", "plain", "address"])
def test_a_typed_or_pasted_code_leads_to_its_verification(token, spelling):
    typed = {"grouped": tokens.grouped(token), "lines": "\r\n".join(pdf.code_lines(token)),
             "plain": token, "address": f"http://testserver/verify/{token}"}[spelling]
    client = Client()
    response = client.get("/verify/", {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == f"/verify/{token}"
    page = client.get(response["Location"]).content.decode()
    assert "有效" in page and "李明月" in page


def test_the_form_without_a_code_shows_its_labelled_field():
    page = Client().get("/verify/")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<label for="id_code">核验码' in text
    assert 'autocapitalize="off"' in text
    assert "error-summary" not in text


@pytest.mark.parametrize(("typed", "message"), [
    ("", "请输入核验码"), ("   ", "请输入核验码"),
    ("ABCD EFGH 核验", "核验码只含英文字母、数字"), ("abcd+efgh/ij==", "核验码只含英文字母、数字"),
])
def test_a_missing_or_mistyped_code_is_named_in_the_error_summary(typed, message):
    page = Client().get("/verify/", {"code": typed})
    assert page.status_code == 200
    text = page.content.decode()
    assert "error-summary" in text and message in text
    assert re.search(r'<a href="#id_code">[^<]*' + message, text)
    assert "<title>错误：" in text


def test_a_code_with_one_character_wrong_is_invalid(token):
    wrong = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    client = Client()
    response = client.get("/verify/", {"code": tokens.grouped(wrong)})
    page = client.get(response["Location"]).content.decode()
    assert "无效" in page and "李明月" not in page


def test_the_ecert_page_prints_the_code_under_the_qr_code(token, staff):
    certificate = Certificate.objects.get()
    page = staff("registrar", VILLAGE_A[:6]).get(f"/certificates/{certificate.pk}/ecert/")
    text = page.content.decode()
    code = re.search(r'<span class="ecert-code">核验码 <code>([^<]+)</code>', text).group(1)
    assert ecert.verify(tokens.from_typed(code), TODAY).verdict == ecert.Verdict.VALID
    assert 'href="/verify/"' in text


def _pages(body: bytes) -> tuple[int, bytes]:
    """The page count and the content streams of a PDF as reportlab writes them
    (ASCII85 over Flate)."""
    count = int(re.search(rb"/Count (\d+)", body).group(1))
    streams = b"".join(zlib.decompress(base64.a85decode(m.group(1).strip().removesuffix(b"~>")))
                       for m in re.finditer(rb"stream\r?\n(.*?)endstream", body, re.S))
    return count, streams


def test_the_card_pdf_has_the_code_on_its_back_and_the_a4_under_the_address(token, staff):
    certificate = Certificate.objects.get()
    client = staff("registrar", VILLAGE_A[:6])
    for size, pages in (("card", 2), ("a4", 1)):
        body = client.get(f"/certificates/{certificate.pk}/ecert.pdf?size={size}").content
        count, streams = _pages(body)
        assert count == pages
        printed = re.findall(rb"\(([A-Za-z0-9_\- ]{4,})\) Tj", streams)
        lines = [line.decode() for line in printed if re.fullmatch(
            rb"(?:[A-Za-z0-9_-]{4} ){1,5}[A-Za-z0-9_-]{1,4}", line)]
        code = "".join("".join(lines).split())
        assert code == token, (size, lines)
