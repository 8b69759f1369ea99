"""The REST API (``/api/v1/``), built with django-ninja. See ``main.py``."""

from __future__ import annotations

#: Operations answered without a token: the verification of an e-certificate, whose QR
#: code anyone may scan (rate-limited per client address instead).
PUBLIC = frozenset({("GET", "/api/v1/verify/{token}")})


def routes() -> list[tuple[str, str]]:
    """Every operation of the API as ``(METHOD, path)``, e.g. ``("GET", "/api/v1/persons/{person_id}")``.

    Read from the OpenAPI document, so a route added anywhere is listed. Path
    parameters stay as ``{name}``; ids are integers, ``{code}`` is a region code.
    ``/api/v1/openapi.json`` itself is not listed. It and the operations in ``PUBLIC``
    are the addresses served without a token.
    """
    from yangguang.api.main import api

    paths = api.get_openapi_schema()["paths"]
    return sorted((method.upper(), route) for route, operations in paths.items()
                  for method in operations)
