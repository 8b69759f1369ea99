"""The kinds of background job, each registered once by the app that owns its work.

An app declares its kinds in a ``jobs`` module (``yangguang/<app>/jobs.py``), which
``JobsConfig.ready`` imports, as Django's admin finds ``admin`` modules: the jobs app
knows no domain. A periodic kind (``daily_at``) is submitted by the worker once a day
(with ``monthly_on``: once a month, from that day of the month), so its function must
be idempotent: running it twice, or after an interrupted run,
leaves the same state as running it once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yangguang.jobs.models import Job
    from yangguang.jobs.services import Context


@dataclass(frozen=True)
class JobKind:
    """``run(job, context)`` does the work and returns the job's result (a JSON object
    without personal data: administrators see it); ``label`` names the kind on pages."""

    name: str
    label: Any
    run: Callable[[Job, Context], dict[str, Any] | None]
    #: Periodic: the worker submits the kind once a day, from this local time on.
    daily_at: dt.time | None = None
    #: Monthly: submitted once a month, from this day of the month (1–28) at ``daily_at``.
    monthly_on: int | None = None
    #: How the jobs page names each key of the result.
    result_labels: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    #: ``discard(job)`` frees what the submitter left for the work (an uploaded file)
    #: when the job ends without running it: cancelled while queued, or cut off with
    #: its worker (``services.settle_interrupted``). The work frees it itself when it runs.
    discard: Callable[[Job], None] | None = None


_kinds: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Make ``kind`` known to the workers and pages; a name may be registered once."""
    if kind.name in _kinds and _kinds[kind.name] != kind:
        raise ValueError(f"job kind {kind.name!r} is registered twice")
    _kinds[kind.name] = kind
    return kind


def get(name: str) -> JobKind:
    return _kinds[name]


def label(name: str) -> Any:
    """The kind's label, or its name when no app registers it any more."""
    kind = _kinds.get(name)
    return kind.label if kind else name


def result_items(name: str, result: dict[str, Any]) -> list[tuple[Any, Any]]:
    """A job's result as (label, value) pairs, in the kind's order of labels."""
    labels = _kinds[name].result_labels if name in _kinds else {}
    return ([(labels[key], result[key]) for key in labels if key in result]
            + [(key, value) for key, value in result.items() if key not in labels])


def discard(job: Job) -> None:
    """Run the kind's ``discard`` for ``job``, which will not run its work now."""
    kind = _kinds.get(job.kind)
    if kind is not None and kind.discard is not None:
        kind.discard(job)


def periodic() -> list[JobKind]:
    return [kind for kind in _kinds.values() if kind.daily_at is not None]


def slot_of(kind: JobKind, now: dt.datetime) -> str | None:
    """The periodic ``kind``'s slot at local time ``now`` (``name@YYYY-MM-DD``, a monthly
    kind ``name@YYYY-MM``), or None while it is not due yet (before its time of day, or
    of a monthly kind before its day of the month)."""
    if kind.daily_at is None or now.time() < kind.daily_at:
        return None
    if kind.monthly_on is not None:
        return None if now.day < kind.monthly_on else f"{kind.name}@{now.date().isoformat()[:7]}"
    return f"{kind.name}@{now.date().isoformat()}"
