"""Public verification of e-certificate tokens: the page and the API call this.

Each client address may verify ``ECERT_VERIFY_LIMIT`` tokens a minute (guessing
tokens is hopeless against Ed25519, but the answers name real people, so bulk
lookups are slowed down). Each verification is logged with its verdict only: no
token, name, number or address.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from .ecert import Verification, verify

logger = logging.getLogger("yangguang.certificates.verify")
WINDOW_SECONDS = 60


def allowed(request: HttpRequest) -> bool:
    """Count one verification for the client's address; False once it is over the
    limit within the current minute. The cache key is a digest, not the address."""
    address = request.META.get("REMOTE_ADDR", "")
    window = int(timezone.now().timestamp()) // WINDOW_SECONDS
    key = "ecert-verify:" + hashlib.sha256(f"{address}|{window}".encode()).hexdigest()[:32]
    cache.add(key, 0, WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, WINDOW_SECONDS * 2)
        count = 1
    if count > settings.ECERT_VERIFY_LIMIT:
        logger.warning("e-certificate verification refused: rate limit")
        return False
    return True


def verify_token(token: str) -> Verification:
    result = verify(token, timezone.localdate())
    logger.info("e-certificate verified: %s", result.verdict.value)
    return result
