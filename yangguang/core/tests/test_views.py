"""The home page."""

from __future__ import annotations

import re

import pytest


@pytest.mark.django_db
def test_home_page_shows_the_platform_and_the_region_count(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "残疾人信息管理服务平台" in html
    counts = [int(n) for n in re.findall(r"<dd>(\d+)</dd>", html)]
    assert len(counts) == 3
    assert counts[0] > 40000  # the national region tree, loaded by the migrations
    assert counts[1:] == [0, 0]


@pytest.mark.django_db
def test_home_page_is_navigable_by_keyboard_and_screen_reader(client):
    html = client.get("/").content.decode()

    assert re.search(r'<a class="skip-link" href="#main">', html)
    assert '<main id="main"' in html
    for landmark in ("<header", "<main", "<footer"):
        assert landmark in html
    assert '<label for="language">' in html


@pytest.mark.django_db
def test_home_page_speaks_english_when_asked(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    html = client.get("/").content.decode()

    assert '<html lang="en">' in html
    assert "Skip to main content" in html
