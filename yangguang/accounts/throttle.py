"""Sign-in back-off per client address, without a captcha.

Each failed sign-in (unknown user name, wrong password or code, a try at a locked
account) counts against the client's address for ``WINDOW_SECONDS`` after the last one.
After ``settings.YANGGUANG_LOGIN_ADDRESS_FREE_FAILURES`` of them the address must wait
before each further try, twice as long each time (2, 4, 8 … seconds, at most
``MAX_WAIT_SECONDS``); a try that comes too early is refused before any password is
checked. So one address can no longer try user name after user name.

The counts also remember which addresses failed against which account: the account
lock (``accounts.services``) holds for those addresses, while the owner's right password
from another address still signs in, so a stranger cannot lock a user out with a few
wrong passwords. Many addresses failing against one account (more than
``OTHER_ADDRESSES_FACTOR`` times the lock's threshold) lock it for everyone.

The counts live in the ``throttle`` cache, on disk, so that every server process sees
them.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest

CACHE = "throttle"
WINDOW_SECONDS = 15 * 60
MAX_WAIT_SECONDS = 15 * 60
OTHER_ADDRESSES_FACTOR = 10


def _address(request: HttpRequest | None) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def wait_seconds(request: HttpRequest | None) -> int:
    """How long the request's address must still wait before it may try again (0: now)."""
    address = _address(request)
    if not address:
        return 0
    failures, last = caches[CACHE].get(f"address:{address}", (0, 0.0))
    excess = failures - settings.YANGGUANG_LOGIN_ADDRESS_FREE_FAILURES
    if excess < 0:
        return 0
    wait = min(2 ** (excess + 1), MAX_WAIT_SECONDS)
    return max(0, int(last + wait - time.time() + 0.999))


def count_failure(request: HttpRequest | None, user: Any = None) -> None:
    """One more failed sign-in from the request's address (against ``user``, if known)."""
    address = _address(request)
    if not address:
        return
    cache = caches[CACHE]
    key = f"address:{address}"
    failures, _last = cache.get(key, (0, 0.0))
    cache.set(key, (failures + 1, time.time()), WINDOW_SECONDS)
    if user is not None:
        cache.set(f"account:{user.pk}:{address}", True,
                  settings.YANGGUANG_LOGIN_LOCK_MINUTES * 60 + WINDOW_SECONDS)


def failed_against(user: Any, request: HttpRequest | None) -> bool:
    """Whether the request's address failed to sign in to ``user`` lately (no address:
    a command line or test caller, which the lock always holds for)."""
    address = _address(request)
    return not address or bool(caches[CACHE].get(f"account:{user.pk}:{address}", False))


def lock_holds_for_everyone(user: Any) -> bool:
    """Whether so many tries hit the locked account that even a clean address is refused."""
    return user.failed_logins >= settings.YANGGUANG_LOGIN_MAX_FAILURES * OTHER_ADDRESSES_FACTOR


__all__ = ["count_failure", "failed_against", "lock_holds_for_everyone", "wait_seconds"]
