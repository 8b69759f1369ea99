"""The electronic certificate in Chromium: the e-certificate page, and its
verification by a visitor who is not signed in — by the QR code's address and by the
code printed under it, typed with the keyboard — each page audited with axe-core."""

from __future__ import annotations

from typing import Any

import pytest

from yangguang.tests_e2e.browser import (
    LIVE_DB,
    axe_violations,
    describe_violations,
    session_cookie,
    with_axe,
)

pytestmark = pytest.mark.django_db(**LIVE_DB)


def _clean(page: Any) -> None:
    problems = describe_violations(page.url, axe_violations(page))
    assert not problems, "\n".join(problems)


def test_ecert_page_then_verification_by_address_and_by_typed_code(live, browser, context):
    registrar = live.a.users["registrar"]
    certificate = live.a.certificates[0]
    holder = certificate.person.name
    context.add_cookies([session_cookie(live, registrar)])
    page = context.new_page()

    page.goto(f"{live.url}/certificates/{certificate.pk}/ecert/")
    assert page.get_by_role("heading", level=1).inner_text() == "残疾人证电子证照"
    assert page.get_by_role("img", name="核验二维码").count() == 1
    code = page.locator(".ecert-code code").inner_text()
    address = page.get_by_role("link", name="打开核验页面").get_attribute("href")
    _clean(page)

    visitor = with_axe(browser.new_context(locale="zh-CN"))
    try:
        public = visitor.new_page()
        public.goto(address)  # as a phone does after scanning
        assert public.get_by_role("status").inner_text().endswith("有效")
        assert holder in public.content()
        _clean(public)

        public.get_by_role("link", name="输入核验码核验其他残疾人证").click()
        public.wait_for_url("**/verify/")
        _clean(public)

        # Nothing typed: the error summary names the field and its link leads to it.
        public.get_by_role("button", name="核验").click()
        public.wait_for_load_state()
        summary = public.get_by_role("alert")
        assert "请输入核验码" in summary.inner_text()
        assert public.title().startswith("错误：")
        _clean(public)
        summary.get_by_role("link", name="请输入核验码").click()
        assert public.evaluate("document.activeElement.id") == "id_code"

        # The printed code, typed character by character, then Tab to the button.
        public.keyboard.type(code)
        public.keyboard.press("Tab")
        public.keyboard.press("Enter")
        public.wait_for_url(f"**/verify/{code.replace(' ', '')}")
        assert public.get_by_role("status").inner_text().endswith("有效")
        assert holder in public.content()
        _clean(public)

        # One character typed wrong: 无效, and nothing about the holder.
        public.goto(f"{live.url}/verify/")
        wrong = ("B" if code[0] == "A" else "A") + code[1:]
        public.get_by_label("核验码").fill(wrong)
        public.get_by_role("button", name="核验").click()
        public.wait_for_url("**/verify/*")
        assert public.get_by_role("status").inner_text().endswith("无效")
        assert holder not in public.content()
        _clean(public)
    finally:
        visitor.close()
