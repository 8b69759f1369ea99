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
    # Or, from bulk writers, the same already serialised as canonical JSON (sorted keys,
    # no spaces, non-ASCII as is: what ``canonical`` makes of it).
    data: dict[str, Any] | bulk.JsonText = field(default_factory=dict)


_HASHED = ("occurred_at", "actor_id", "actor_name", "action", "object_type", "object_id",
           "person_id", "region_code", "data")
COLUMNS = ("id", *_HASHED, "prev_hash", "hash")


def canonical(values: dict[str, Any]) -> str:
    """The content a hash covers, in a form that survives a round trip through the database."""
    content = {k: values[k] for k in _HASHED}
    content["occurred_at"] = values["occurred_at"].astimezone(dt.UTC).isoformat()
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def chain_hash(prev_hash: str, values: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(values)).encode()).hexdigest()


_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                           default=str).encode
_encode_str = json.encoder.encode_basestring  # what _encode does with a str


def _value(value: Any) -> str:
    return _encode_str(value) if type(value) is str else _encode(value)


assert sorted(_HASHED) == ["action", "actor_id", "actor_name", "data", "object_id",
                           "object_type", "occurred_at", "person_id", "region_code"]


class _Canonical:
    """``canonical`` for many events of one actor at one time, built from parts.

    ``canonical`` is ``json.dumps`` over a dict of the ``_HASHED`` keys with sorted
    keys; here the keys are written in that sorted order and only the values that
    change from event to event are encoded, with the same encoder. The result is the
    same string (a test compares them), so ``verify_chain`` recomputes the same hash.
    """

    def __init__(self, actor: Actor, now: dt.datetime) -> None:
        self.actor = f',"actor_id":{_value(actor.user_id)},"actor_name":{_value(actor.name)}'
        self.occurred_at = _encode_str(now.astimezone(dt.UTC).isoformat())

    def __call__(self, action: str, data_json: str, object_id: str, object_type: str,
                 person_id: int | None, region_code: str) -> str:
        return (f'{{"action":{_encode_str(action)}{self.actor},"data":{data_json},'
                f'"object_id":{_encode_str(object_id)},"object_type":{_value(object_type)},'
                f'"occurred_at":{self.occurred_at},'
                f'"person_id":{person_id if type(person_id) is int else _value(person_id)},'
                f'"region_code":{_value(region_code)}}}')


def _last_hash() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    return last or GENESIS


class Chain:
    """The tail of the hash chain, held for the rest of the caller's transaction.

    Opening it takes the chain lock (PostgreSQL advisory lock; SQLite's write lock
    is already ours), so nobody else appends until we commit. Bulk writers that
    queue their inserts (``bulk.Writer``) keep one Chain for the whole import,
    because the rows they queued are not in the table yet.
    """

    def __init__(self, actor: Actor | Any, ids: bulk.IdPool | None = None):
        self.actor = Actor.of(actor)
        self.prev = _last_hash()
        self.ids = ids

    def rows(self, events: Iterable[Event], now: dt.datetime) -> list[tuple[Any, ...]]:
        """Audit rows (in ``COLUMNS`` order) for ``events``, linked to the chain."""
        events = list(events)
        actor, prev, rows = self.actor, self.prev, []
        ids = (self.ids.take(AuditEvent, len(events)) if self.ids
               else bulk.allocate_ids(AuditEvent, len(events)))
        content = _Canonical(actor, now)
        sha256 = hashlib.sha256
        for pk, event in zip(ids, events, strict=True):
            action, object_id = str(event.action), str(event.object_id)
            data = (event.data if type(event.data) is bulk.JsonText
                    else bulk.JsonText(_encode(event.data)))
            digest = sha256((prev + content(action, data, object_id, event.object_type,
                                            event.person_id, event.region_code)
                             ).encode()).hexdigest()
            rows.append((pk, now, actor.user_id, actor.name, action, event.object_type,
                         object_id, event.person_id, event.region_code, data, prev, digest))
            prev = digest
        self.prev = prev
        return rows


def record_many(actor: Actor | Any, events: Iterable[Event], *,
                now: dt.datetime | None = None) -> int:
    """Append events to the chain, in order, inside the caller's transaction.

    Returns the number recorded.
    """
    with transaction.atomic():
        chain = Chain(actor)
        return bulk.insert_rows(AuditEvent, COLUMNS, chain.rows(events, now or timezone.now()))


def record(actor: Actor | Any, action: str, object_type: str, object_id: Any = "", *,
           person_id: int | None = None, region_code: str = "",
           data: dict[str, Any] | None = None) -> None:
    """Append one event."""
    record_many(actor, [Event(action, object_type, str(object_id), person_id, region_code,
                              data or {})])


def verify_chain(batch_size: int = 10000) -> AuditEvent | None:
    """Recompute the chain; return the first event that was altered or follows a gap, or None."""
    prev = GENESIS
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return None
        for event in batch:
            values = {k: getattr(event, k) for k in _HASHED}
            if event.prev_hash != prev or chain_hash(prev, values) != event.hash:
                return event
            prev = event.hash
            last_id = event.id
