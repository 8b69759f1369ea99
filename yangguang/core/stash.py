"""Values kept out of URLs: exchanged for a short-lived opaque token.

A full ID or certificate number in a URL lands in access logs, proxies and browser
history. A page that must be linkable with one (a search, its result pages) puts the
values here and the token in its URL. The values are held in the user's session,
encrypted (``crypto.seal_text``: sessions are stored in the database), for
``LIFETIME_SECONDS``; a token is good only in the session that made it.
"""

from __future__ import annotations

import secrets
import time

from django.http import HttpRequest

from yangguang.core.crypto import seal_text, unseal_text

SESSION_KEY = "yangguang_stash"
LIFETIME_SECONDS = 30 * 60
MAX_TOKENS = 20  # per session; the oldest go first


def put(request: HttpRequest, values: dict[str, str]) -> str:
    """Hold ``values`` and return the token that finds them again."""
    now = int(time.time())
    held = {token: entry for token, entry in request.session.get(SESSION_KEY, {}).items()
            if entry["at"] > now - LIFETIME_SECONDS}
    token = secrets.token_urlsafe(12)
    held[token] = {"at": now, "values": {k: seal_text(v) for k, v in values.items()}}
    request.session[SESSION_KEY] = dict(sorted(held.items(), key=lambda item: item[1]["at"])
                                        [-MAX_TOKENS:])
    return token


def get(request: HttpRequest, token: str) -> dict[str, str] | None:
    """The values held under ``token``; None when unknown, expired or from another session."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not isinstance(entry, dict) or entry.get("at", 0) <= time.time() - LIFETIME_SECONDS:
        return None
    try:
        return {k: unseal_text(v) for k, v in entry["values"].items()}
    except (ValueError, KeyError, AttributeError):
        return None


__all__ = ["LIFETIME_SECONDS", "get", "put"]
