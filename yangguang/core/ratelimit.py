"""Per client address limits for public pages (no sign-in): e-certificate verification
(``certificates.verification``), the benefits' 公示 page (``benefits.views``).

A count per address and minute in the default cache; the cache key is a digest of the
address and the minute, never the address itself.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

WINDOW_SECONDS = 60


def allowed(request: HttpRequest, bucket: str, limit: int) -> bool:
    """Count one request of ``bucket`` for the client's address; False once the count
    is over ``limit`` within the current minute. Each bucket counts apart."""
    address = request.META.get("REMOTE_ADDR", "")
    window = int(timezone.now().timestamp()) // WINDOW_SECONDS
    key = f"{bucket}:" + hashlib.sha256(f"{address}|{window}".encode()).hexdigest()[:32]
    cache.add(key, 0, WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, WINDOW_SECONDS * 2)
        count = 1
    return count <= limit
