"""Fixtures of the end-to-end tests: the two-county world, Chromium, the live server.

Browser tests drive Debian's Chromium (``/usr/bin/chromium``; ``.ci/run`` installs it)
through Playwright, against Django's live server on the test database. Nothing is
downloaded at run time. Without Chromium the browser tests fail with a message
saying how to get it, unless ``YANGGUANG_SKIP_BROWSER_TESTS=1`` asks to skip them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from yangguang.tests_e2e.world import COUNTIES

COUNTY_CODES = [spec.code for spec in COUNTIES.values()]

CHROMIUM = os.environ.get("YANGGUANG_CHROMIUM", "/usr/bin/chromium")
SKIP_VARIABLE = "YANGGUANG_SKIP_BROWSER_TESTS"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: How long a page may take to do anything the tests wait for (ms).
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole test session (per xdist worker)."""
    if not Path(CHROMIUM).is_file():
        if os.environ.get(SKIP_VARIABLE) == "1":
            pytest.skip(f"browser tests skipped: {SKIP_VARIABLE}=1 and no Chromium at {CHROMIUM}")
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM} (Debian: `apt-get install chromium`; "
            f".ci/run installs it; YANGGUANG_CHROMIUM=/path/to/chromium points elsewhere). "
            f"Set {SKIP_VARIABLE}=1 to skip them instead.", pytrace=False)
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API runs an event loop in this thread; Django refuses ORM
    # calls from a thread with a running loop unless told that this is deliberate. The
    # tests call the ORM only between browser steps, never concurrently with them. The
    # browser starts with the first browser test; pytest-django runs those (transactional)
    # after every test that rolls back, so those never see this setting.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              headless=True)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def regions_loaded(transactional_db) -> None:
    """Fail clearly if something emptied the region tree (a transactional test that
    flushed every table) instead of letting the world's factories fail obscurely."""
    from yangguang.regions.models import Region

    assert Region.objects.filter(code=COUNTY_CODES[0].ljust(12, "0")).exists(), (
        "the region tree is empty: a transactional test flushed it; mark such tests "
        "with django_db(**LIVE_DB) (yangguang/tests_e2e/browser.py)")


@pytest.fixture
def fast_passwords(settings) -> None:
    """Hash the test users' passwords with a fast hasher: Argon2 with the production
    parameters takes a third of a second per user, and the world has ten. Signing in
    still goes through the login page and ``accounts.services``; only the hash differs."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db, tmp_var, fast_passwords) -> Any:
    """The two-county world, in a test that rolls back."""
    from yangguang.tests_e2e.world import build_world

    return build_world()


@pytest.fixture
def live(live_server, regions_loaded, tmp_var, fast_passwords) -> Any:
    """The live server with the two-county world in its database, and an empty cache:
    the per-address counters (e-certificate verification, sign-in back-off) count
    127.0.0.1 for every test of a worker, so one test's visits must not throttle the
    next one's within the same minute."""
    from django.core.cache import cache

    from yangguang.tests_e2e.world import build_world

    cache.clear()

    world = build_world(api_tokens=False)
    world.url = live_server.url
    return world


@pytest.fixture
def context(browser) -> Iterator[Any]:
    """A fresh browser context (cookies, storage) per test, in Chinese."""
    from yangguang.tests_e2e.browser import with_axe

    ctx = with_axe(browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}))
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context) -> Any:
    return context.new_page()
