"""Mounted at /api/ by the project's URLconf: version 1 under /api/v1/, and a JSON 404
for every other address under /api/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path

from yangguang.api.errors import json_errors, json_not_found
from yangguang.api.main import api


def _json_errors(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern = URLPattern(pattern.pattern, json_errors(pattern.callback),
                                 pattern.default_args, pattern.name)
        else:
            pattern.url_patterns[:] = _json_errors(pattern.url_patterns)
        wrapped.append(pattern)
    return wrapped


_patterns, _app_name, _namespace = api.urls

urlpatterns = [
    path("v1/", include((_json_errors(_patterns), _app_name), namespace=_namespace)),
    re_path(r"", json_not_found),
]
