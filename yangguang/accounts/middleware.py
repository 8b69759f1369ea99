"""Signing out staff who have been idle too long."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

LAST_SEEN = "_yg_last_seen"
NOTICE = "_yg_notice"  # what the login page should say why it is shown
# Writing the session on every request costs a database write; a minute's precision will do.
_RESOLUTION = 60


class IdleTimeoutMiddleware:
    """Ends a signed-in session after ``YANGGUANG_SESSION_IDLE_MINUTES`` without a request.

    The next request goes to the login page (with ``next`` back to where it was), which
    says why. htmx requests get an ``HX-Redirect`` instead, so the whole page changes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if last is not None and now - last > settings.YANGGUANG_SESSION_IDLE_MINUTES * 60:
                logout(request)
                request.session[NOTICE] = "timed_out"
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                    return response
                return redirect_to_login(request.get_full_path())
            if last is None or now - last >= _RESOLUTION:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
