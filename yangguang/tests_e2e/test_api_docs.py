"""The API's documentation page (Swagger UI) in Chromium: it shows every operation,
loads nothing from outside our own server, and breaks no rule of the
Content-Security-Policy."""

from __future__ import annotations

import pytest

from yangguang.tests_e2e.browser import LIVE_DB

pytestmark = pytest.mark.django_db(**LIVE_DB)


def test_the_api_documentation_page_works_from_our_own_server_alone(live, page):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))

    response = page.goto(live.url + "/api/v1/docs")

    assert response is not None and response.status == 200
    page.locator(".opblock-summary").first.wait_for()  # Swagger UI has drawn the operations
    assert "阳光 Yangguang API" in page.locator(".info .title").inner_text()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/persons" in paths and "/api/v1/regions/{code}" in paths
    page.wait_for_load_state("networkidle")
    assert requested and all(url.startswith(live.url) or url.startswith("data:")
                             for url in requested), requested
    assert any(url.endswith("/static/ninja/swagger-ui-bundle.js") for url in requested)
    assert any(url.endswith("/api/v1/openapi.json") for url in requested)
    assert not [line for line in console if "Content Security Policy" in line or "Refused" in line], console
