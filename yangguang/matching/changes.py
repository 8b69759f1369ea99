"""Comparison over time: what changed between two runs of the same list kind (last
month's dibao roll and this month's), within the user's regions.

Old lists and their runs are kept. A run's entries are keyed by the person matched
(exact, probable, or waiting for review; a rejected match counts as none), or for a
row matching nobody by its keyed ID hash or else its name, birth date and region; an
entry is ``new`` (only in the later run), ``gone`` (only in the earlier) or
``changed`` (the list's own columns or the way it was matched differ).

Hashes made under different keys never agree: two lists hashed by departments under
different exchange keys (or one hashed, one with numbers) would show every unmatched
row as new and gone. ``hashes_differ`` tells (by the keys' fingerprints), and such
rows are then keyed by name, birth date and region, with a warning on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from yangguang.matching import kinds, selectors
from yangguang.matching.models import Decision, MatchRun, MatchType
from yangguang.registry.models import Person

CHANGES = {"new": _("新增"), "gone": _("不再列入"), "changed": _("有变化")}


@dataclass(frozen=True)
class Entry:
    name: str
    region: str
    state: str
    person: Person | None = None


@dataclass(frozen=True)
class Change:
    change: str
    name: str
    region: str
    before: str
    after: str
    person: Person | None = None

    @property
    def label(self) -> Any:
        return CHANGES[self.change]


def earlier_runs(user: Any, run: MatchRun) -> list[MatchRun]:
    """The other runs of ``run``'s list kind the user may see, the latest first."""
    found = []
    for other in (MatchRun.objects.select_related("department_list")
                  .filter(department_list__kind=run.department_list.kind).exclude(pk=run.pk)
                  .order_by("-department_list__list_date", "-created_at", "-id")):
        try:
            found.append(selectors.get_run_for(user, other.pk))
        except MatchRun.DoesNotExist:
            continue
    return found


def previous_run(user: Any, run: MatchRun) -> MatchRun | None:
    """The run just before ``run`` of its kind (by list date, then time), if any."""
    key = (run.department_list.list_date, run.created_at, run.pk)
    return next((r for r in earlier_runs(user, run)
                 if (r.department_list.list_date, r.created_at, r.pk) < key), None)


def _state(kind: kinds.ListKind, match_type: str, facts: dict[str, Any]) -> str:
    headers = {c.key: c.header for c in kind.own}
    listed = "；".join(f"{headers.get(k, k)} {v}" for k, v in facts.items() if k in headers)
    return f"{MatchType(match_type).label}；{listed}" if listed else str(MatchType(match_type).label)


def _hash_key(run: MatchRun) -> str:
    """What the run's unmatched rows' ID hashes were made under: the platform's key
    (empty) or the fingerprint of a hashed list's exchange key."""
    kept = run.department_list
    return (kept.key_fingerprint or run.key_fingerprint or "?") if kept.hashed else ""


def hashes_differ(run: MatchRun, since: MatchRun) -> bool:
    """Whether the two runs' list rows were hashed under different keys."""
    return _hash_key(run) != _hash_key(since) or _hash_key(run) == "?"


def entries(user: Any, run: MatchRun, by_hash: bool = True) -> dict[tuple[str, Any], Entry]:
    kind = kinds.get(run.department_list.kind)
    found: dict[tuple[str, Any], Entry] = {}
    for c in (selectors.candidates_visible_to(user).filter(run=run).exclude(decision=Decision.REJECTED)
              .select_related("person", "list_row").order_by("list_row__row")):
        found.setdefault(("person", c.person_id), Entry(
            c.person.name, c.region_code, _state(kind, c.match_type, c.list_row.facts), c.person))
    for c in selectors.unknown_to_registry(user, run).order_by("list_row__row"):
        r = c.list_row
        key = (r.id_hash if by_hash else "") or f"{r.name}|{r.birth_date}|{r.region_code}"
        found.setdefault(("row", key), Entry(r.name, r.region_code, _state(kind, c.match_type, r.facts)))
    return found


def compare(user: Any, run: MatchRun, since: MatchRun) -> list[Change]:
    """What changed from ``since`` to ``run``: new, gone, then changed entries, each by
    name; rows matching nobody by hash only when both lists were hashed under one key."""
    by_hash = not hashes_differ(run, since)
    before, after = entries(user, since, by_hash), entries(user, run, by_hash)
    out = []
    for key in after.keys() - before.keys():
        e = after[key]
        out.append(Change("new", e.name, e.region, "", e.state, e.person))
    for key in before.keys() - after.keys():
        e = before[key]
        out.append(Change("gone", e.name, e.region, e.state, "", e.person))
    for key in before.keys() & after.keys():
        if before[key].state != after[key].state:
            e = after[key]
            out.append(Change("changed", e.name, e.region, before[key].state, e.state, e.person))
    order = list(CHANGES)
    return sorted(out, key=lambda c: (order.index(c.change), c.region, c.name))
