"""Recording audit events: the one way to write to the audit log."""

from __future__ import annotations

import base64
import datetime as dt
import getpass
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from yangguang.audit.models import AuditEvent
from yangguang.core import bulk
from yangguang.core.crypto import HmacSha256

logger = logging.getLogger("yangguang.audit")

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

    @classmethod
    def command_line(cls) -> Actor:
        """Who runs a management command: ``cli:`` and their login name."""
        try:
            user = getpass.getuser()
        except (OSError, KeyError):  # no login name in the environment nor the user database
            user = "unknown"
        return cls(f"cli:{user}")


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
COLUMNS = ("id", *_HASHED, "prev_hash", "hash", "segment")


def canonical(values: dict[str, Any]) -> str:
    """The content a hash covers, in a form that survives a round trip through the database.

    An event of a segment covers its segment too (main-chain events have no such key,
    so their content is what it always was).
    """
    content = {k: values[k] for k in _HASHED}
    content["occurred_at"] = values["occurred_at"].astimezone(dt.UTC).isoformat()
    if values.get("segment"):
        content["segment"] = values["segment"]
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def _mac() -> HmacSha256:
    """The chain's HMAC under ``settings.AUDIT_KEY`` (kept outside the database)."""
    key = settings.AUDIT_KEY
    if _MACS.get(key) is None:
        _MACS[key] = HmacSha256(base64.b64decode(key))
    return _MACS[key]


_MACS: dict[str, HmacSha256] = {}


def chain_hash(prev_hash: str, values: dict[str, Any]) -> str:
    """An event's hash: HMAC-SHA256 over the previous hash and the event's content."""
    return _mac().hex((prev_hash + canonical(values)).encode())


def legacy_chain_hash(prev_hash: str, values: dict[str, Any]) -> str:
    """The unkeyed SHA-256 that events written before the chain was keyed carry. Such
    events are accepted only before the first keyed one, which seals them: its keyed
    hash covers their last hash, so none of them can change without the key."""
    return hashlib.sha256((prev_hash + canonical(values)).encode()).hexdigest()


_encode_str = json.encoder.encode_basestring  # what _encode does with a str


def _encoder() -> Callable[[Any], str]:
    """``json.dumps`` as ``canonical`` calls it (sorted keys, no spaces, non-ASCII as
    is, anything else as ``str``), made once: ``JSONEncoder.encode`` makes a new C
    encoder for every value, which costs more than encoding an import row's event."""
    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                               default=str)
    make = json.encoder.c_make_encoder
    if make is None:  # a Python without the C accelerator
        return encoder.encode
    # The arguments JSONEncoder.iterencode passes (markers=None: no cycle check).
    iterencode = make(None, encoder.default, _encode_str, encoder.indent,
                      encoder.key_separator, encoder.item_separator, encoder.sort_keys,
                      encoder.skipkeys, encoder.allow_nan)

    def encode(value: Any) -> str:
        return "".join(iterencode(value, 0))

    return encode


_encode = _encoder()


def _value(value: Any) -> str:
    return _encode_str(value) if type(value) is str else _encode(value)


class Pairs:
    """Event data as canonical JSON text (what ``canonical`` makes of it: sorted keys, no
    spaces, non-ASCII as is) for a flat object given as (key, value) pairs in key
    order, each distinct pair encoded once: for bulk writers whose events' values repeat
    (codes, flags, dates). The memory starts over past ``limit`` pairs."""

    def __init__(self, limit: int = 1 << 16) -> None:
        self._memo: dict[tuple[str, type, Any], str] = {}
        self._limit = limit

    def __call__(self, pairs: Iterable[tuple[str, Any]]) -> bulk.JsonText:
        memo, parts = self._memo, []
        for key, value in pairs:
            text = memo.get((key, type(value), value))  # 1, 1.0 and True are equal
            if text is None:
                if len(memo) >= self._limit:
                    memo.clear()
                text = memo[(key, type(value), value)] = f"{_encode_str(key)}:{_value(value)}"
            parts.append(text)
        return bulk.JsonText("{" + ",".join(parts) + "}")


assert sorted(_HASHED) == ["action", "actor_id", "actor_name", "data", "object_id",
                           "object_type", "occurred_at", "person_id", "region_code"]


class _Canonical:
    """``canonical`` for many events of one actor at one time, built from parts.

    ``canonical`` is ``json.dumps`` over a dict of the ``_HASHED`` keys with sorted
    keys; here the keys are written in that sorted order and only the values that
    change from event to event are encoded, with the same encoder. The result is the
    same string (a test compares them), so ``verify_chain`` recomputes the same hash.
    """

    def __init__(self, actor: Actor, now: dt.datetime, segment: str = "") -> None:
        self.actor = f',"actor_id":{_value(actor.user_id)},"actor_name":{_value(actor.name)}'
        self.occurred_at = _encode_str(now.astimezone(dt.UTC).isoformat())
        # The key sorts last; main-chain events have none (see ``canonical``).
        self.end = f',"segment":{_encode_str(segment)}}}' if segment else "}"

    def __call__(self, action: str, data_json: str, object_id: str, object_type: str,
                 person_id: int | None, region_code: str) -> str:
        return (f'{{"action":{_encode_str(action)}{self.actor},"data":{data_json},'
                f'"object_id":{_encode_str(object_id)},"object_type":{_value(object_type)},'
                f'"occurred_at":{self.occurred_at},'
                f'"person_id":{person_id if type(person_id) is int else _value(person_id)},'
                f'"region_code":{_value(region_code)}{self.end}')


def segment_genesis(segment: str) -> str:
    """The ``prev_hash`` of a segment's first event."""
    return hashlib.sha256(f"segment:{segment}".encode()).hexdigest()


def _last_hash() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    last = (AuditEvent.objects.filter(segment="").order_by("-id")  # index main_chain_tail
            .values_list("hash", flat=True).first())
    return last or GENESIS


class Chain:
    """The tail of the hash chain, held for the rest of the caller's transaction.

    Opening it takes the chain lock (PostgreSQL advisory lock; SQLite's write lock
    is already ours), so nobody else appends until we commit: keep such transactions
    short. A long bulk job writes a ``Segment`` instead.
    """

    segment = ""

    def __init__(self, actor: Actor | Any, ids: bulk.IdPool | None = None):
        self.actor = Actor.of(actor)
        self.prev = _last_hash()
        self.ids = ids
        self.count = 0  # events linked

    def write(self, events: Iterable[Event], now: dt.datetime,
              writer: bulk.Writer | None = None) -> int:
        """Insert ``events`` linked to the chain (through ``writer``, a bulk job's, when
        given); returns how many. With ``write_columns``, the one way audit rows reach
        the table."""
        rows = self._rows(events, now)
        if writer is None:
            bulk.insert_rows(AuditEvent, COLUMNS, rows)
        else:
            writer.insert(AuditEvent, COLUMNS, rows)
        return len(rows)

    def write_columns(self, writer: bulk.Writer, action: str, object_type: str,
                      object_ids: list[str], person_ids: list[int | None],
                      region_codes: list[str], data: list[str], now: dt.datetime) -> None:
        """Insert events given by columns (``data``: each event's data as canonical JSON
        text) through ``writer``, linked to the chain: the same rows ``write`` makes of
        the same events, for the bulk loader's columnar path."""
        writer.insert_columns(AuditEvent, self._columns(
            action, object_type, object_ids, person_ids, region_codes, data, now))

    def _rows(self, events: Iterable[Event], now: dt.datetime) -> list[tuple[Any, ...]]:
        """Audit rows (in ``COLUMNS`` order) for ``events``, linked to the chain."""
        events = list(events)
        actor, content = self.actor, _Canonical(self.actor, now, self.segment)
        values = []
        for event in events:
            action, object_id = str(event.action), str(event.object_id)
            data = (event.data if type(event.data) is bulk.JsonText
                    else bulk.JsonText(_encode(event.data)))
            values.append((action, object_id, data, content(
                action, data, object_id, event.object_type, event.person_id,
                event.region_code)))
        ids = self._ids(len(events))
        previous, hashes = self._linked(c for *_values, c in values)
        return [(pk, now, actor.user_id, actor.name, action, event.object_type, object_id,
                 event.person_id, event.region_code, data, prev, digest, self.segment)
                for pk, event, (action, object_id, data, _content), prev, digest
                in zip(ids, events, values, previous, hashes, strict=True)]

    def _columns(self, action: str, object_type: str, object_ids: list[str],
                 person_ids: list[int | None], region_codes: list[str], data: list[str],
                 now: dt.datetime) -> dict[str, Any]:
        content = _Canonical(self.actor, now, self.segment)
        ids = self._ids(len(object_ids))
        previous, hashes = self._linked(
            content(action, data_json, object_id, object_type, person_id, region_code)
            for object_id, person_id, region_code, data_json in zip(
                object_ids, person_ids, region_codes, data, strict=True))
        return {"id": ids, "occurred_at": now, "actor_id": self.actor.user_id,
                "actor_name": self.actor.name, "action": action, "object_type": object_type,
                "object_id": object_ids, "person_id": person_ids, "region_code": region_codes,
                "data": data, "prev_hash": previous, "hash": hashes, "segment": self.segment}

    def _ids(self, count: int) -> list[int]:
        return (self.ids.take(AuditEvent, count) if self.ids
                else bulk.allocate_ids(AuditEvent, count))

    def _linked(self, contents: Iterable[str]) -> tuple[list[str], list[str]]:
        """Each content's previous hash and its own, continuing the chain."""
        mac, prev = _mac().hex, self.prev
        previous, hashes = [], []
        for content in contents:
            previous.append(prev)
            prev = mac((prev + content).encode())
            hashes.append(prev)
        self.prev = prev
        self.count += len(hashes)
        return previous, hashes


class Segment(Chain):
    """A chain of its own for a long bulk job (an import), so that the job does not hold
    the main chain's lock — which every sign-in and page view needs — while it works.

    Its events link from ``segment_genesis``; ``seal`` gives what the job's closing
    event in the main chain must carry (the segment's id, length and last hash), so a
    segment cannot lose, gain or change an event, nor vanish whole, unnoticed.
    """

    def __init__(self, actor: Actor | Any, ids: bulk.IdPool | None = None):
        self.actor = Actor.of(actor)
        self.ids = ids
        self.segment = uuid.uuid4().hex
        self.prev = segment_genesis(self.segment)
        self.count = 0

    def seal(self) -> dict[str, Any]:
        """The ``data`` the closing main-chain event adds (``{"segment": {…}}``)."""
        return {"segment": {"id": self.segment, "events": self.count, "last_hash": self.prev}}


def record_many(actor: Actor | Any, events: Iterable[Event], *,
                now: dt.datetime | None = None) -> int:
    """Append events to the chain, in order, inside the caller's transaction.

    Returns the number recorded.
    """
    with transaction.atomic():
        count = Chain(actor).write(events, now or timezone.now())
        transaction.on_commit(_checkpoint_if_due)
        return count


def record(actor: Actor | Any, action: str, object_type: str, object_id: Any = "", *,
           person_id: int | None = None, region_code: str = "",
           data: dict[str, Any] | None = None) -> None:
    """Append one event."""
    record_many(actor, [Event(action, object_type, str(object_id), person_id, region_code,
                              data or {})])


def _intact(event: AuditEvent, prev: str, values: dict[str, Any], legacy_allowed: bool
            ) -> tuple[bool, bool]:
    """(whether ``event`` links to ``prev`` and carries its hash, whether it is keyed)."""
    if event.prev_hash != prev:
        return False, False
    if chain_hash(prev, values) == event.hash:
        return True, True
    return legacy_allowed and legacy_chain_hash(prev, values) == event.hash, False


def verify_chain(batch_size: int = 10000) -> AuditEvent | None:
    """Recompute the chain; return the first event that was altered or follows a gap, or None.

    Hashes are keyed (``chain_hash``); unkeyed ones (``legacy_chain_hash``) are accepted
    only before the first keyed event of their chain. Events of a segment are checked
    along their own chain; the main-chain event that seals a segment is returned when
    the segment does not end where the seal says (an event of it removed, added or
    altered), and the first event of a segment that no event seals is returned too.
    Events removed from the end are found by ``check_checkpoint``.
    """
    prev, legacy = GENESIS, True
    # segment id → (last hash, length, first event, unkeyed hashes still allowed)
    segments: dict[str, tuple[str, int, AuditEvent, bool]] = {}
    sealed: set[str] = set()
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for event in batch:
            last_id = event.id
            values = {k: getattr(event, k) for k in _HASHED}
            if event.segment:
                if event.segment in sealed:
                    return event
                values["segment"] = event.segment
                tip, length, first, seg_legacy = segments.get(
                    event.segment, (segment_genesis(event.segment), 0, event, True))
                ok, keyed = _intact(event, tip, values, seg_legacy)
                if not ok:
                    return event
                segments[event.segment] = (event.hash, length + 1, first, seg_legacy and not keyed)
                continue
            ok, keyed = _intact(event, prev, values, legacy)
            if not ok:
                return event
            prev, legacy = event.hash, legacy and not keyed
            seal = event.data.get("segment") if isinstance(event.data, dict) else None
            if seal is not None:
                try:
                    tip, length, _first, _legacy = segments.pop(
                        seal["id"], (segment_genesis(seal["id"]), 0, None, True))
                    intact = (tip, length) == (seal["last_hash"], seal["events"])
                except (KeyError, TypeError):
                    intact = False
                if not intact:
                    return event
                sealed.add(seal["id"])
    if segments:
        return min((first for _tip, _n, first, _legacy in segments.values()), key=lambda e: e.id)
    return None


# ---------------------------------------------------------------------------
# The checkpoint: the chain's head, signed, outside the database


def _signed(head: dict[str, Any]) -> str:
    return _mac().hex(("checkpoint:" + json.dumps(head, sort_keys=True)).encode())


def write_checkpoint() -> dict[str, Any] | None:
    """Write the main chain's last event (id, hash, time) to
    ``settings.YANGGUANG_AUDIT_CHECKPOINT``, signed with the audit key, and log it (a
    second copy, wherever the logs are shipped). ``audit verify`` then finds events
    removed from the end of the chain, which no link can show. None for an empty log."""
    last = (AuditEvent.objects.filter(segment="").order_by("-id")
            .values("id", "hash", "occurred_at").first())
    if last is None:
        return None
    head = {"id": last["id"], "hash": last["hash"],
            "occurred_at": last["occurred_at"].astimezone(dt.UTC).isoformat()}
    checkpoint = {**head, "mac": _signed(head)}
    path = settings.YANGGUANG_AUDIT_CHECKPOINT
    partial = path.with_name(f"{path.name}.{os.getpid()}.new")
    partial.write_text(json.dumps(checkpoint))
    os.replace(partial, path)  # whole or not at all, also with several processes
    logger.info("audit checkpoint %s", json.dumps(checkpoint))
    return checkpoint


_last_checkpoint = [0.0]  # when this process last wrote one (time.monotonic)


def _checkpoint_if_due() -> None:
    """After a commit: write the checkpoint if this process has not for a while
    (``YANGGUANG_AUDIT_CHECKPOINT_SECONDS``), so that at most that much of the end of the
    chain could go unnoticed; ``yangguang audit checkpoint`` writes one on demand."""
    now = time.monotonic()
    if now - _last_checkpoint[0] < settings.YANGGUANG_AUDIT_CHECKPOINT_SECONDS:
        return
    _last_checkpoint[0] = now
    try:
        write_checkpoint()
    except OSError:
        logger.exception("could not write the audit checkpoint")


def check_checkpoint() -> str | None:
    """What is wrong with the chain against its checkpoint, or None: the checkpoint
    altered (its signature), or the event it names removed or changed (the end of the
    chain cut off or rewritten). None when no checkpoint was written yet."""
    path = settings.YANGGUANG_AUDIT_CHECKPOINT
    if not path.exists():
        return None
    try:
        checkpoint = json.loads(path.read_text())
        head = {k: checkpoint[k] for k in ("id", "hash", "occurred_at")}
        signed = checkpoint["mac"] == _signed(head)
    except (ValueError, KeyError, TypeError):
        signed = False
    if not signed:
        return "checkpoint_invalid"
    stored = AuditEvent.objects.filter(id=head["id"], segment="").values_list("hash", flat=True)
    if stored.first() != head["hash"]:
        return "checkpoint_missing"
    return None
