"""``yangguang audit verify`` finds an altered or removed event."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from yangguang.audit.models import AuditEvent
from yangguang.audit.services import (
    Actor,
    Event,
    Segment,
    chain_hash,
    record_many,
    verify_chain,
)

pytestmark = pytest.mark.django_db


def verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as e:
        return int(e.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def events() -> list[int]:
    record_many(Actor("test"), [Event("view", "person", str(n), person_id=n,
                                      region_code="630102000000") for n in range(1, 6)])
    return list(AuditEvent.objects.order_by("id").values_list("id", flat=True))


def test_intact_chain(events):
    assert verify() == (0, "审计链完整，共5条\n", "")


def test_empty_log_is_intact():
    assert verify()[:2] == (0, "审计链完整，共0条\n")


def test_altered_event_is_named(events):
    # Change what the third event says, bypassing the model (which refuses updates).
    AuditEvent.objects.filter(pk=events[2]).update(data={"note": "edited"})

    status, out, err = verify()

    assert status == 1 and out == ""
    assert f"第{events[2]}号事件" in err


def test_event_with_a_recomputed_hash_still_breaks_the_next_link(events):
    event = AuditEvent.objects.get(pk=events[1])
    values = {k: getattr(event, k) for k in ("occurred_at", "actor_id", "actor_name", "action",
                                             "object_type", "object_id", "person_id",
                                             "region_code", "data")}
    values["actor_name"] = "someone-else"
    AuditEvent.objects.filter(pk=event.pk).update(actor_name="someone-else",
                                                  hash=chain_hash(event.prev_hash, values))

    status, _out, err = verify()

    assert status == 1 and f"第{events[2]}号事件" in err


def test_removed_event_is_found_at_the_next_one(events):
    AuditEvent.objects.filter(pk=events[3]).delete()

    status, _out, err = verify()

    assert status == 1 and f"第{events[4]}号事件" in err


def test_bulk_writers_hash_the_canonical_content():
    """``Chain.rows`` builds the canonical string from parts; it must be ``canonical``'s."""
    import datetime as dt

    from yangguang.audit.services import _Canonical, _encode, canonical

    now = dt.datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)
    for actor in (Actor("导入\"任务\""), Actor("admin", user_id=7)):
        for event in (Event("create", "person", "12", 12, "630102000000",
                            {"row": 2, "import": "ab12", "certificate": {"suffix": "71"}}),
                      Event("export", "region", "", None, "", {"note": "中文\n\"引号\"", "n": [1.5, None]}),
                      Event("grant", "user", "3", None, None, {})):
            values = {"occurred_at": now, "actor_id": actor.user_id, "actor_name": actor.name,
                      "action": event.action, "object_type": event.object_type,
                      "object_id": event.object_id, "person_id": event.person_id,
                      "region_code": event.region_code, "data": event.data}
            for segment in ("", "0f3a9c"):
                built = _Canonical(actor, now, segment)(
                    event.action, _encode(event.data), event.object_id, event.object_type,
                    event.person_id, event.region_code)
                assert built == canonical({**values, "segment": segment})


def test_the_bulk_writers_encoder_is_json_dumps_as_canonical_calls_it():
    import datetime as dt
    import json

    from yangguang.audit.services import _encode

    for value in ({"b": [1, 2.5, None, True], "a": {"z": "中文\n\"", "y": -0.0}},
                  {"when": dt.date(2026, 3, 1), "n": 10**20, "e": 1e300, "u": "\u2028"},
                  [], {}, "文本", 3, None, [{"k": float("inf")}]):
        assert _encode(value) == json.dumps(value, ensure_ascii=False, sort_keys=True,
                                            separators=(",", ":"), default=str)


# ---------------------------------------------------------------------------
# Segments: the events of a long bulk job, chained apart and sealed at the end


@pytest.fixture
def segmented() -> dict[str, list[int]]:
    """main 1, 2 · segment a, b, c · main 3 · the seal · main 4."""
    actor = Actor("test")
    record_many(actor, [Event("view", "person", str(n)) for n in (1, 2)])
    segment = Segment(actor)
    segment.write([Event("create", "person", str(n), person_id=n) for n in (10, 11, 12)],
                  timezone.now())
    record_many(actor, [Event("view", "person", "3")])
    record_many(actor, [Event("import", "import", "batch", data={"rows": 3, **segment.seal()})])
    record_many(actor, [Event("view", "person", "4")])
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    in_segment = list(AuditEvent.objects.exclude(segment="").order_by("id")
                      .values_list("id", flat=True))
    seal = AuditEvent.objects.get(action="import").id
    return {"all": ids, "segment": in_segment, "seal": [seal]}


def test_a_sealed_segment_verifies_with_the_main_chain(segmented):
    assert len(segmented["segment"]) == 3
    assert verify_chain() is None
    assert verify() == (0, "审计链完整，共8条\n", "")


def test_a_segment_does_not_touch_the_main_chain_until_sealed(django_assert_num_queries):
    with django_assert_num_queries(0):  # no lock taken, no tail read
        Segment(Actor("test"))


def test_a_removed_segment_event_is_found_at_the_seal(segmented):
    AuditEvent.objects.filter(pk=segmented["segment"][-1]).delete()  # the last: no link breaks
    assert verify_chain().id == segmented["seal"][0]
    AuditEvent.objects.filter(pk=segmented["segment"][0]).delete()
    assert verify_chain().id == segmented["segment"][1]


def test_an_altered_segment_event_is_named(segmented):
    AuditEvent.objects.filter(pk=segmented["segment"][1]).update(object_id="99")
    assert verify_chain().id == segmented["segment"][1]


def test_an_event_moved_into_a_segment_is_named(segmented):
    AuditEvent.objects.filter(pk=segmented["all"][1]).update(
        segment=AuditEvent.objects.get(pk=segmented["segment"][0]).segment)
    assert verify_chain().id == segmented["all"][1]


def test_a_segment_nobody_sealed_is_found(segmented):
    AuditEvent.objects.filter(pk=segmented["seal"][0]).delete()
    # The main chain breaks at the event after the seal …
    assert verify_chain().id == segmented["all"][-1]
    # … and with that link repaired, the unsealed segment is named by its first event.
    last = AuditEvent.objects.get(pk=segmented["all"][-1])
    before = AuditEvent.objects.filter(segment="", id__lt=last.id).order_by("-id").first()
    values = {k: getattr(last, k) for k in ("occurred_at", "actor_id", "actor_name", "action",
                                            "object_type", "object_id", "person_id",
                                            "region_code", "data")}
    AuditEvent.objects.filter(pk=last.pk).update(prev_hash=before.hash,
                                                 hash=chain_hash(before.hash, values))
    assert verify_chain().id == segmented["segment"][0]


def test_a_seal_that_claims_another_length_is_named(segmented):
    seal = AuditEvent.objects.get(pk=segmented["seal"][0])
    data = {**seal.data, "segment": {**seal.data["segment"], "events": 2}}
    AuditEvent.objects.filter(pk=seal.pk).update(data=data)
    assert verify_chain().id == seal.id


# ---------------------------------------------------------------------------
# A keyed chain, anchored outside the database (issue 16 hardening)

_CONTENT = ("occurred_at", "actor_id", "actor_name", "action", "object_type", "object_id",
            "person_id", "region_code", "data")


def _unkeyed(prev: str, event: AuditEvent) -> str:
    """What anyone with database access can compute: SHA-256 without a key."""
    import hashlib

    from yangguang.audit.services import canonical

    values = {k: getattr(event, k) for k in _CONTENT}
    return hashlib.sha256((prev + canonical(values)).encode()).hexdigest()


def _rechain_unkeyed(ids: list[int]) -> None:
    """Rewrite the hashes of ``ids`` (in order) with the unkeyed rule."""
    prev = AuditEvent.objects.get(pk=ids[0]).prev_hash
    for pk in ids:
        event = AuditEvent.objects.get(pk=pk)
        digest = _unkeyed(prev, event)
        AuditEvent.objects.filter(pk=pk).update(prev_hash=prev, hash=digest)
        prev = digest


def test_an_event_rewritten_with_every_later_hash_recomputed_is_found(events):
    AuditEvent.objects.filter(pk=events[2]).update(actor_name="someone-else")
    _rechain_unkeyed(events[2:])  # the attack on an unkeyed chain: no link breaks

    status, _out, err = verify()

    assert status == 1 and f"第{events[2]}号事件" in err


def test_events_removed_from_the_end_are_found_by_the_checkpoint(events):
    call_command("audit", "checkpoint", stdout=io.StringIO())
    AuditEvent.objects.filter(pk__in=events[3:]).delete()  # no link breaks

    status, out, err = verify()

    assert status == 1 and out == ""
    assert "链尾的事件被删除或改写" in err


def test_an_altered_checkpoint_is_found(events, settings):
    call_command("audit", "checkpoint", stdout=io.StringIO())
    path = settings.YANGGUANG_AUDIT_CHECKPOINT
    path.write_text(path.read_text().replace(f'"id": {events[-1]}', f'"id": {events[1]}'))

    status, _out, err = verify()

    assert status == 1 and "签名不符" in err


def test_a_checkpoint_is_written_after_a_commit_and_logged(settings, caplog,
                                                           django_capture_on_commit_callbacks):
    import json
    import logging

    from yangguang.audit import services

    services._last_checkpoint[0] = 0.0  # as in a fresh process
    with caplog.at_level(logging.INFO, logger="yangguang.audit"), \
            django_capture_on_commit_callbacks(execute=True):
        record_many(Actor("test"), [Event("view", "person", "1")])
    last = AuditEvent.objects.order_by("-id").first()

    checkpoint = json.loads(settings.YANGGUANG_AUDIT_CHECKPOINT.read_text())
    assert (checkpoint["id"], checkpoint["hash"]) == (last.id, last.hash)
    assert settings.YANGGUANG_AUDIT_CHECKPOINT.stat().st_mode & 0o077 == 0
    assert any(last.hash in message for message in caplog.messages)
    assert verify()[0] == 0


def test_a_chain_written_before_the_key_verifies_and_the_first_keyed_event_seals_it():
    """Events hashed with the unkeyed rule (before the upgrade) stay as they are; the
    first keyed event covers their last hash, so rewriting them is found there."""
    record_many(Actor("before"), [Event("view", "person", str(n)) for n in range(3)])
    legacy = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    _rechain_unkeyed(legacy)  # as the previous version wrote them
    record_many(Actor("after"), [Event("view", "person", str(n)) for n in range(3, 5)])
    keyed = list(AuditEvent.objects.exclude(pk__in=legacy).order_by("id")
                 .values_list("id", flat=True))
    assert verify_chain() is None

    AuditEvent.objects.filter(pk=legacy[1]).update(actor_name="someone-else")
    _rechain_unkeyed(legacy[1:])

    assert verify_chain().id == keyed[0]


def test_an_unkeyed_event_after_a_keyed_one_is_never_accepted(events):
    _rechain_unkeyed(events[3:])
    assert verify_chain().id == events[3]
