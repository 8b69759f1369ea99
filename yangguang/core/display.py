"""Display preferences (large text, high contrast), kept in a cookie so they work
without JavaScript and without signing in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

COOKIE = "yg_display"
CHOICES = frozenset({"large", "contrast"})
MAX_AGE = 365 * 24 * 60 * 60


def preferences(request: HttpRequest) -> frozenset[str]:
    """The preferences the request's cookie holds (unknown words ignored)."""
    return frozenset(request.COOKIES.get(COOKIE, "").split(".")) & CHOICES


def remember(response: HttpResponse, request: HttpRequest, chosen: set[str]) -> None:
    """Store ``chosen`` in the cookie, or delete it when nothing is chosen."""
    chosen = set(chosen) & CHOICES
    if chosen:
        response.set_cookie(COOKIE, ".".join(sorted(chosen)), max_age=MAX_AGE, httponly=True,
                            samesite="Lax", secure=request.is_secure())
    else:
        response.delete_cookie(COOKIE, samesite="Lax")
