"""Security headers that Django 5.2 does not set itself."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class ContentSecurityPolicyMiddleware:
    """Adds ``Content-Security-Policy`` (from ``settings.YANGGUANG_CSP``) and a
    ``Permissions-Policy`` that turns off device features no page here uses.

    The policy allows scripts and styles only from our own origin, so templates hold
    no inline ``<script>``, ``<style>``, ``style=`` or ``on…=`` attributes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Django's debug error pages are styled inline; leave them readable in development.
        if settings.DEBUG and response.status_code >= 400:
            return response
        policy = "; ".join(f"{directive} {value}" for directive, value in settings.YANGGUANG_CSP.items())
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
