"""The status rule: one function every path (compute, dashboard, tests) calls."""

from __future__ import annotations

import datetime
from decimal import Decimal

from yangguang.analytics.models import Status

#: A target printed as a bare number (「97」, 「4027」, 「实现全覆盖」 read as 100) is a
#: level to reach (达到): met at or above it, like ≥. No plan asks a value to stay
#: exactly at its target, and reading it as equality marked 临夏's enrolment rate of
#: 100 against its target 97 as not achieved.
_COMPARE = {
    "=": lambda v, t: v >= t,
    ">": lambda v, t: v > t,
    "≥": lambda v, t: v >= t,
    "<": lambda v, t: v < t,
    "≤": lambda v, t: v <= t,
}


def share_due(as_of: datetime.date, start_year: int, end_year: int) -> Decimal:
    """The share of a five-year cumulative target due by ``as_of``: the days of the
    period elapsed over its days (0 before it starts, 1 after it ends)."""
    start, end = datetime.date(start_year, 1, 1), datetime.date(end_year, 12, 31)
    if as_of < start:
        return Decimal(0)
    if as_of >= end:
        return Decimal(1)
    return Decimal((as_of - start).days + 1) / Decimal((end - start).days + 1)


def status(*, value: Decimal | None, op: str, target: Decimal | None, accumulation: str,
           as_of: datetime.date, start_year: int, end_year: int,
           compared_with: Decimal | None = None) -> str:
    """achieved / on_track / at_risk / not_achieved / no_data.

    - no value: ``no_data`` (never 0);
    - a relative target (「与…增长同步」) is compared (≥) with the value entered for the
      region, ``compared_with``; without it, ``no_data``;
    - a target in words only, or none: ``no_data`` (judged by hand);
    - the full target met: ``achieved`` (a bare printed target, ``=``, is a level to
      reach: met at or above it);
    - a cumulative count meeting the share due by ``as_of``: ``on_track``;
    - otherwise ``at_risk`` during the period and ``not_achieved`` at its end.
    Binding and expected rows follow the same rule; the dashboard shows which is which.
    """
    if value is None:
        return Status.NO_DATA
    if op == "relative":
        if compared_with is None:
            return Status.NO_DATA
        op, target = "≥", compared_with
    if op not in _COMPARE or target is None:
        return Status.NO_DATA
    ended = as_of >= datetime.date(end_year, 12, 31)
    if _COMPARE[op](value, target):
        return Status.ACHIEVED
    if (accumulation == "cumulative" and not ended and op in ("=", ">", "≥")
            and _COMPARE[op](value, target * share_due(as_of, start_year, end_year))):
        return Status.ON_TRACK
    return Status.NOT_ACHIEVED if ended else Status.AT_RISK
