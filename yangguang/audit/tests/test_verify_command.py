"""``yangguang audit verify`` finds an altered or removed event."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from yangguang.audit.models import AuditEvent
from yangguang.audit.services import Actor, Event, chain_hash, record_many

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
            built = _Canonical(actor, now)(event.action, _encode(event.data), event.object_id,
                                          event.object_type, event.person_id, event.region_code)
            assert built == canonical(values)
