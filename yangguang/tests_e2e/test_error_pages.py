"""The error pages in Chromium, audited by axe-core: what a user sees who opens
another county's person, a page beyond their role, a form left open too long, or a
server error (debug off, as `make run` serves)."""

from __future__ import annotations

from typing import Any

import pytest

from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, describe_violations, session_cookie

pytestmark = [pytest.mark.django_db(**LIVE_DB), pytest.mark.urls("yangguang.core.tests.error_urls")]


def _audited(page: Any, url: str, status: int, heading: str) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status == status, url
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.get_by_role("link", name="返回首页").is_visible()
    return describe_violations(url, axe_violations(page))


def test_error_pages_have_no_wcag_violations(live, context, page):
    context.add_cookies([session_cookie(live, live.a.users["registrar"])])
    other = live.b.person
    problems = _audited(page, f"{live.url}/registry/persons/{other.pk}/", 404, "找不到该页面")
    assert other.name not in page.content()
    problems += _audited(page, f"{live.url}/test-errors/403/", 403, "没有访问权限")
    problems += _audited(page, f"{live.url}/test-errors/400/", 400, "无法处理此请求")
    problems += _audited(page, f"{live.url}/test-errors/500/", 500, "系统出错")

    assert not problems, "\n".join(problems)


def test_a_form_left_open_past_its_token_says_what_to_do(live, page):
    page.goto(f"{live.url}/accounts/login/")
    page.context.clear_cookies()  # as when the session ended in another tab
    page.get_by_label("用户名").fill(live.a.users["registrar"].username)
    page.get_by_label("密码").fill("whatever")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="登录").click()

    assert posted.value.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "表单已失效，请重新提交"
    problems = describe_violations(page.url, axe_violations(page))
    assert not problems, "\n".join(problems)
