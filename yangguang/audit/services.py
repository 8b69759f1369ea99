"""Recording audit events: the one way to write to the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from yangguang.audit.models import AuditEvent
from yangguang.core import bulk

GENESIS = "0" * 64
_LOCK_KEY = 0x59474E47  # "YGNG": the PostgreSQL advisory lock that serialises the chain


@dataclass(frozen=True)
class Actor:
    """Who did something: a signed-in user, or a named system process (CLI, job)."""

    name: str
    user_id: int | None = None

    @classmethod
    def of(cls, user: Any) -> Actor:
        if isinstance(user, Actor):
            return user
        if isinstance(user, str):
            return cls(name=user)
        return cls(name=user.get_username(), user_id=user.pk)


@dataclass
class Event:
    action: str
    object_type: str
    object_id: str = ""
    person_id: int | None = None
    region_code: str = ""
    data: dict[str, Any] = field(default_factory=dict)


_HASHED = ("occurred_at", "actor_id", "actor_name", "action", "object_type", "object_id",
           "person_id", "region_code", "data")
_COLUMNS = ("id", *_HASHED, "prev_hash", "hash")


def canonical(values: dict[str, Any]) -> str:
    """The content a hash covers, in a form that survives a round trip through the database."""
    content = {k: values[k] for k in _HASHED}
    content["occurred_at"] = values["occurred_at"].astimezone(dt.UTC).isoformat()
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def chain_hash(prev_hash: str, values: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(values)).encode()).hexdigest()


def _last_hash() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    return last or GENESIS


def record_many(actor: Actor | Any, events: Iterable[Event], *,
                now: dt.datetime | None = None) -> int:
    """Append events to the chain, in order, inside the caller's transaction.

    Returns the number recorded. Imports pass thousands at a time; they are
    written with one bulk insert.
    """
    actor = Actor.of(actor)
    events = list(events)
    if not events:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        prev = _last_hash()
        ids = bulk.allocate_ids(AuditEvent, len(events))
        rows = []
        for pk, event in zip(ids, events, strict=True):
            values = {
                "occurred_at": now, "actor_id": actor.user_id, "actor_name": actor.name,
                "action": str(event.action), "object_type": event.object_type,
                "object_id": str(event.object_id), "person_id": event.person_id,
                "region_code": event.region_code, "data": event.data,
            }
            digest = chain_hash(prev, values)
            rows.append((pk, *values.values(), prev, digest))
            prev = digest
        return bulk.insert_rows(AuditEvent, _COLUMNS, rows)


def record(actor: Actor | Any, action: str, object_type: str, object_id: Any = "", *,
           person_id: int | None = None, region_code: str = "",
           data: dict[str, Any] | None = None) -> None:
    """Append one event."""
    record_many(actor, [Event(action, object_type, str(object_id), person_id, region_code,
                              data or {})])
