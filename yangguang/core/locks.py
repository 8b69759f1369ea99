"""Requests wait for a database lock only briefly.

A first load (``core.bulk.indexes_deferred``) keeps the registry's tables locked until
it commits, which for a province's file takes minutes. A page or API request that
needs those tables meanwhile would wait as long, and a front server would cut it off
without a word. On PostgreSQL each request therefore waits at most
``YANGGUANG_REQUEST_LOCK_TIMEOUT_MS`` for a lock, and then answers 503 with a message
to try again later (``Retry-After``). Background jobs and commands are not affected:
they run on connections of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

#: PostgreSQL's lock_not_available: a lock not granted within ``lock_timeout``.
LOCK_NOT_AVAILABLE = "55P03"
RETRY_AFTER_SECONDS = 30


def lock_not_available(exc: BaseException) -> bool:
    """Whether ``exc`` (a Django database error, or the driver's) is a lock wait that
    ran out of time."""
    return LOCK_NOT_AVAILABLE in (getattr(exc, "sqlstate", None),
                                  getattr(exc.__cause__, "sqlstate", None))


class LockWaitMiddleware:
    """Sets the request's lock wait (PostgreSQL), and answers a wait that ran out with
    the "busy" page. The API answers it itself, in its JSON shape (``api.errors``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if connection.vendor != "postgresql":
            return self.get_response(request)
        # Set before the request's first query, on its connection; a request that
        # queries nothing (the OpenAPI document, say) opens no connection for it.
        limit = f"SET lock_timeout = {int(settings.YANGGUANG_REQUEST_LOCK_TIMEOUT_MS)}"
        pending = [True]

        def set_first(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if pending:
                pending.clear()
                # Through the driver's connection: a cursor of its own (the query's may
                # be a server-side one), and no wrapper.
                context["connection"].connection.execute(limit)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(set_first):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if not lock_not_available(exception):
            return None
        response = render(request, "busy.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

