"""The home page for visitors who are not signed in (staff home pages: registry tests)."""

from __future__ import annotations

import re

import pytest


@pytest.mark.django_db
def test_home_page_says_what_the_platform_is_and_shows_no_data_to_visitors(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "残疾人信息管理服务平台" in html
    assert 'href="/accounts/login/"' in html
    assert "<dd>" not in html  # no counts before signing in
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_home_page_is_navigable_by_keyboard_and_screen_reader(client):
    html = client.get("/").content.decode()

    assert re.search(r'<a class="skip-link" href="#main">', html)
    assert '<main id="main"' in html
    for landmark in ("<header", "<main", "<footer"):
        assert landmark in html
    assert '<label for="language">' in html
    assert '<label for="display-contrast">' in html


@pytest.mark.django_db
def test_home_page_speaks_english_when_asked(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    html = client.get("/").content.decode()

    assert '<html lang="en">' in html
    assert "Skip to main content" in html
