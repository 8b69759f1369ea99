"""Error pages: the platform's own design (the page frame, Chinese and English, no
technical detail), with debug off as `make run` serves."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from yangguang.accounts import services as accounts
from yangguang.audit.services import Actor
from yangguang.demo.generator import create_person

pytestmark = pytest.mark.django_db
ERROR_URLS = pytest.mark.urls("yangguang.core.tests.error_urls")
TECHNICAL = ("URLconf", "urlpatterns", "Traceback", "internal reason", "DEBUG = True",
             "Django", "CSRF verification failed", "csrf_failure")


def assert_platform_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f"<h1>{heading}</h1>" in page
    assert '<a class="skip-link" href="#main">' in page and '<main id="main"' in page
    assert f"错误代码 {status}" in page and 'href="/"' in page
    for word in TECHNICAL:
        assert word not in page, word
    assert "Content-Security-Policy" in response  # debug off: the policy is on error pages too
    return page


def test_make_run_serves_with_debug_off():
    # The default when YANGGUANG_DEBUG is not set (the Makefile no longer sets it).
    assert settings.DEBUG is False


def test_an_unknown_address_gets_the_platforms_404_page(client):
    assert_platform_page(client.get("/no-such-page/"), 404, "找不到该页面")


def test_another_countys_person_gets_the_404_page_without_a_hint(client):
    person = create_person(户籍地区划代码="610103001002", 姓名="张碑林")  # 碑林区
    user = accounts.create_user("wutai-registrar", "Yg-Error-Pages-2025!",
                                [("registrar", "140922")], actor=Actor("test"))  # 五台县
    client.force_login(user)

    page = assert_platform_page(client.get(f"/registry/persons/{person.pk}/"), 404, "找不到该页面")

    assert "张碑林" not in page
    assert "wutai-registrar" in page  # the frame knows who is signed in (menu, sign-out)


@ERROR_URLS
def test_a_forbidden_page_gets_the_platforms_403_page(client):
    assert_platform_page(client.get("/test-errors/403/"), 403, "没有访问权限")


@ERROR_URLS
def test_a_bad_request_gets_the_platforms_400_page(client):
    assert_platform_page(client.get("/test-errors/400/"), 400, "无法处理此请求")


def test_an_unknown_host_name_gets_the_400_page(client):
    assert_platform_page(client.get("/", HTTP_HOST="attacker.example"), 400, "无法处理此请求")


@ERROR_URLS
def test_a_server_error_gets_the_platforms_500_page():
    client = Client(raise_request_exception=False)

    assert_platform_page(client.get("/test-errors/500/"), 500, "系统出错")


@ERROR_URLS
def test_the_500_page_falls_back_to_a_plain_page_when_the_frame_itself_fails(settings, tmp_path):
    # A 500.html that cannot render stands for a frame that fails (e.g. the database gone).
    (tmp_path / "500.html").write_text('{% url "no-such-page" %}', encoding="utf-8")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    client = Client(raise_request_exception=False)

    response = client.get("/test-errors/500/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "<h1>系统出错</h1>" in page and "internal reason" not in page


def test_a_form_rejected_by_the_csrf_check_gets_a_page_that_says_what_to_do():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "x", "password": "y"})

    page = assert_platform_page(response, 403, "表单已失效，请重新提交")
    assert "刷新后重新填写提交" in page


def test_error_pages_speak_english_when_asked(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    page = client.get("/no-such-page/").content.decode()

    assert '<html lang="en">' in page and "错误代码" not in page and "找不到" not in page


def test_static_files_are_served_with_debug_off(client):
    response = client.get("/static/yangguang/yangguang.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
