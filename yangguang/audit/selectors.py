"""Reads of the audit log, always through the auditor's scope.

An auditor sees the events whose ``region_code`` lies in one of their regions.
Events without a region — sign-ins of users with no role or roles in several
provinces, failed sign-ins with unknown usernames, system jobs — are seen by
auditors whose scope is a whole province. (Events about a user carry the user's
home region, see ``accounts.selectors.home_region_code``, so a county auditor does
see the sign-ins of the county's staff.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import scope_paths
from yangguang.audit.describe import person_directory
from yangguang.audit.models import AuditEvent
from yangguang.regions.models import code_prefix

PAGE_SIZE = 50


@dataclass(frozen=True)
class EventFilters:
    username: str = ""  # the actor's name, exactly (for a failed sign-in: the username tried)
    person_id: int | None = None
    action: str = ""
    date_from: dt.date | None = None  # local dates, both ends included
    date_to: dt.date | None = None
    person_name: str = ""  # events about persons of this name, exactly
    # Events about the person with this ID number: its keyed hash (``core.crypto.hash_id``)
    # and masked form. The number itself is never kept, nor put in a URL.
    person_key: str = ""
    person_masked: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The filters that are set, as JSON-ready values (kept in the session between
        pages; see ``described`` for the export's audit event)."""
        return {k: (v.isoformat() if isinstance(v, dt.date) else v)
                for k, v in asdict(self).items() if v not in ("", None)}

    def described(self) -> dict[str, Any]:
        """``as_dict`` without the keyed hash: what the export's audit event records."""
        return {k: v for k, v in self.as_dict().items() if k != "person_key"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventFilters:
        """The filters ``as_dict`` gave, or the same as text (unknown keys ignored)."""
        values: dict[str, Any] = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("date_from", "date_to"):
            if values.get(key):
                values[key] = dt.date.fromisoformat(values[key])
        if values.get("person_id") is not None:
            values["person_id"] = int(values["person_id"])
        return cls(**values)


def visible_events(user: Any) -> QuerySet[AuditEvent]:
    """Every event ``user`` may read as an auditor (none for anyone else)."""
    paths = scope_paths(user, Capability.VIEW_AUDIT)
    if not paths:
        return AuditEvent.objects.none()
    q = Q()
    for path in paths:
        q |= Q(region_code__startswith=code_prefix(path))
        if path.count("/") == 1:  # a whole province
            q |= Q(region_code="")
    return AuditEvent.objects.filter(q)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def filter_events(events: QuerySet[AuditEvent], filters: EventFilters) -> QuerySet[AuditEvent]:
    if filters.username:
        events = events.filter(actor_name=filters.username)
    if filters.person_id is not None:
        events = events.filter(person_id=filters.person_id)
    if filters.person_name or filters.person_key:
        directory = person_directory()
        if directory is None:
            return events.none()
        events = events.filter(person_id__in=directory.find(name=filters.person_name,
                                                            id_key=filters.person_key))
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.date_from:
        events = events.filter(occurred_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        events = events.filter(occurred_at__lt=_start_of(filters.date_to + dt.timedelta(days=1)))
    return events


@dataclass(frozen=True)
class EventPage:
    """One page of events, newest first, with the cursors of the pages either side
    (``newer`` for ``after=``, ``older`` for ``before=``; None at either end)."""

    events: list[AuditEvent]
    newer: int | None
    older: int | None


def event_page(user: Any, filters: EventFilters, *, before: int | None = None,
               after: int | None = None, size: int = PAGE_SIZE) -> EventPage:
    """The events ``user`` may read that match ``filters``: the newest ``size`` of them,
    or those just older than event ``before`` or just newer than event ``after``.

    Pages are keyed by event id rather than numbered, so a page costs the same on a log
    of a hundred million events and nothing shifts while new events arrive.
    """
    events = filter_events(visible_events(user), filters)
    if after is not None:
        rows = list(events.filter(id__gt=after).order_by("id")[:size + 1])
        has_newer, rows = len(rows) > size, rows[:size][::-1]
        has_older = events.filter(id__lte=after).exists()
    else:
        older_than = events.filter(id__lt=before) if before is not None else events
        rows = list(older_than.order_by("-id")[:size + 1])
        has_older, rows = len(rows) > size, rows[:size]
        has_newer = before is not None and events.filter(id__gte=before).exists()
    return EventPage(
        events=rows,
        newer=rows[0].id if rows and has_newer else None,
        older=rows[-1].id if rows and has_older else None,
    )


def recent_events_count(user: Any, *, days: int, action: str = "") -> int:
    """The events of the last ``days`` days ``user`` may read (of ``action`` only, if given)."""
    events = visible_events(user).filter(occurred_at__gte=timezone.now() - dt.timedelta(days=days))
    return (events.filter(action=action) if action else events).count()
