"""The project's URLs plus pages that fail on purpose, for the error-page tests
(``@pytest.mark.urls("yangguang.core.tests.error_urls")``)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest
from django.urls import path

from yangguang.urls import handler500  # noqa: F401
from yangguang.urls import urlpatterns as project_urlpatterns


def forbidden(request: HttpRequest):
    raise PermissionDenied("internal reason that must not be shown")


def suspicious(request: HttpRequest):
    raise SuspiciousOperation("internal reason that must not be shown")


def broken(request: HttpRequest):
    raise RuntimeError("internal reason that must not be shown")


urlpatterns = [
    path("test-errors/403/", forbidden),
    path("test-errors/400/", suspicious),
    path("test-errors/500/", broken),
    *project_urlpatterns,
]
