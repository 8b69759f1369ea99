"""Requests wait for a database lock only briefly.

A first load (``core.bulk.indexes_deferred``) keeps the registry's tables locked until
it commits, which for a province's file takes minutes; on SQLite it writes the database
file directly (``core.bulk.sqlite_direct_writes``), so no other connection can read it
until it commits. A page or API request that needs the registry meanwhile would wait
as long (or, on SQLite, fail after the settings' 30 s), and a front server would cut
it off without a word. Each request therefore waits at most
``YANGGUANG_REQUEST_LOCK_TIMEOUT_MS`` for a lock (PostgreSQL's ``lock_timeout``,
SQLite's ``busy_timeout``), and then answers 503 with a message to try again later
(``Retry-After``). Background jobs and commands are not affected: they run on
connections of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

#: PostgreSQL's lock_not_available: a lock not granted within ``lock_timeout``.
LOCK_NOT_AVAILABLE = "55P03"
#: SQLite's SQLITE_BUSY (and its extended codes): the database was locked for longer
#: than ``busy_timeout``.
SQLITE_BUSY = "SQLITE_BUSY"
RETRY_AFTER_SECONDS = 30


def lock_not_available(exc: BaseException) -> bool:
    """Whether ``exc`` (a Django database error, or the driver's) is a lock wait that
    ran out of time."""
    errors = (exc, exc.__cause__)
    return (LOCK_NOT_AVAILABLE in (getattr(error, "sqlstate", None) for error in errors)
            or any(str(getattr(error, "sqlite_errorname", "")).startswith(SQLITE_BUSY)
                   for error in errors))


def request_lock_limit(vendor: str) -> str | None:
    """The statement that limits a request connection's lock waits, for the database
    ``vendor``; None where there is none."""
    limit = int(settings.YANGGUANG_REQUEST_LOCK_TIMEOUT_MS)
    return {"postgresql": f"SET lock_timeout = {limit}",
            "sqlite": f"PRAGMA busy_timeout = {limit}"}.get(vendor)


class LockWaitMiddleware:
    """Sets the request's lock wait, and answers a wait that ran out with the "busy"
    page. The API answers it itself, in its JSON shape (``api.errors``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = request_lock_limit(connection.vendor)
        if limit is None:
            return self.get_response(request)
        # Set before the request's first query, on its connection; a request that
        # queries nothing (the OpenAPI document, say) opens no connection for it.
        # (SQLite's connections last one request: CONN_MAX_AGE = 0 in the settings.)
        pending = [True]
        ran_out: list[BaseException] = []

        def set_first(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if pending:
                pending.clear()
                # Through the driver's connection: a cursor of its own (the query's may
                # be a server-side one), and no wrapper.
                context["connection"].connection.execute(limit)
            if ran_out:
                # The request is answered with the busy page: the rest of its queries
                # (a session that failed to load is looked up again by each reader of
                # it) fail at once rather than wait in turn.
                raise type(ran_out[0])(*ran_out[0].args) from ran_out[0]
            try:
                return execute(sql, params, many, context)
            except DatabaseError as exc:
                if lock_not_available(exc):
                    ran_out.append(exc)
                raise

        with connection.execute_wrapper(set_first):
            response = self.get_response(request)
        # A wait that ran out outside a view (on SQLite, where a first load holds the
        # whole file, the session's or the user's lookup in a middleware): Django has
        # made it a server error by now; it is the busy page all the same.
        if ran_out and response.status_code == 500:
            return busy_page(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if not lock_not_available(exception):
            return None
        return busy_page(request)


def busy_page(request: HttpRequest) -> HttpResponse:
    """The "try again later" page (503), rendered without the database: the user only
    if already looked up (else the page is an anonymous one's), and no messages (they
    stay for the next page)."""
    if not hasattr(request, "_cached_user"):  # auth's lazy request.user: not looked up
        request.user = AnonymousUser()
    response = render(request, "busy.html", {"messages": ()}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
