"""The periods of the certificate cases, read from ``data/cases.toml``.

Loaded once and checked (every period a positive whole number, every reason a
registry status reason), so that a bad edit of the file stops the platform at start
rather than giving a wrong deadline.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from yangguang.registry.models import StatusReason

PATH = Path(__file__).with_name("data") / "cases.toml"


@dataclass(frozen=True)
class CasePolicy:
    #: Working days by period: publication, review, dispute_prefecture, dispute_province.
    working_days: dict[str, int]
    reapply_after_years: int
    barring_reasons: frozenset[str]
    renewal_opens_days_before_expiry: int
    due_soon_days: int
    expiring_within_days: int


class PolicyError(ValueError):
    pass


def _positive(table: dict, key: str, where: str) -> int:
    value = table.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise PolicyError(f"{PATH.name}: [{where}] {key} must be a whole number ≥ 1, not {value!r}")
    return value


def parse(text: str) -> CasePolicy:
    data = tomllib.loads(text)
    periods = data.get("working_days", {})
    working_days = {key: _positive(periods, key, "working_days")
                    for key in ("publication", "review", "dispute_prefecture", "dispute_province")}
    cancellation = data.get("cancellation", {})
    reasons = cancellation.get("barring_reasons", [])
    unknown = set(reasons) - set(StatusReason.values)
    if unknown or not reasons:
        raise PolicyError(f"{PATH.name}: [cancellation] barring_reasons has unknown codes "
                          f"{sorted(unknown)}")
    return CasePolicy(
        working_days=working_days,
        reapply_after_years=_positive(cancellation, "reapply_after_years", "cancellation"),
        barring_reasons=frozenset(reasons),
        renewal_opens_days_before_expiry=_positive(data.get("renewal", {}),
                                                   "opens_days_before_expiry", "renewal"),
        due_soon_days=_positive(data.get("worklist", {}), "due_soon_days", "worklist"),
        expiring_within_days=_positive(data.get("worklist", {}), "expiring_within_days",
                                       "worklist"),
    )


@cache
def policy() -> CasePolicy:
    """The policy in force (read once)."""
    return parse(PATH.read_text(encoding="utf-8"))
