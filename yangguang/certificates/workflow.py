"""The state machine of each kind of certificate case, as one table.

A transition is (action, from state, to state, the capability it needs). The services
take a step only along a row of this table (``transition``); the pages and the API
offer the rows a user may take now (``actions_for``). The rules that also look at the
case's dates and facts (a dispute's window, the end of the publication) are in
``rules.check_step``.

The new-certificate path (《残疾人证管理办法》 Art. 9, 25): applied → accepted (an
assessment institution assigned) → assessed → published (5 working days) → reviewing
(the county's 10 working days) → issued; refused at any step with a reason; an
assessment disputed to the prefecture, then to the province, whose conclusion is final.
"""

from __future__ import annotations

from dataclasses import dataclass

from yangguang.accounts.permissions import Capability
from yangguang.certificates.models import Action, CaseKind, CaseState


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    capability: str

    @property
    def label(self) -> str:
        return Action(self.action).label


S = CaseState
A = Action
HANDLE = Capability.HANDLE_CASE
DECIDE = Capability.DECIDE_CASE


def _rows(*rows: tuple[str, str, str, str]) -> tuple[Transition, ...]:
    return tuple(Transition(*row) for row in rows)


def _disputes(*sources: str) -> tuple[tuple[str, str, str, str], ...]:
    """An assessment disputed at the prefecture, then at the province (final)."""
    return (
        *((A.DISPUTE, source, S.DISPUTED_PREFECTURE, HANDLE) for source in sources),
        *((A.APPEAL, source, S.DISPUTED_PROVINCE, HANDLE) for source in sources),
        (A.DECIDE_DISPUTE, S.DISPUTED_PREFECTURE, S.ASSESSED, HANDLE),
        (A.DECIDE_DISPUTE, S.DISPUTED_PROVINCE, S.ASSESSED, HANDLE),
    )


def _refusals(*sources: str) -> tuple[tuple[str, str, str, str], ...]:
    """Refused with a reason at any step; at the review, by whoever decides it."""
    return tuple((A.REJECT, source, S.REJECTED, DECIDE if source == S.REVIEWING else HANDLE)
                 for source in sources)


#: 跨省通办: an application lodged at the county of usual residence is taken in there
#: and forwarded to the hukou county, which decides it (``rules.check_holder``).
_FORWARD = (A.FORWARD, S.APPLIED, S.APPLIED, HANDLE)

_ISSUE_ON_ACCEPTANCE = _rows(
    _FORWARD,
    (A.ACCEPT, S.APPLIED, S.ACCEPTED, HANDLE),
    (A.ISSUE, S.ACCEPTED, S.ISSUED, DECIDE),
    *_refusals(S.APPLIED, S.ACCEPTED),
)
_COMPLETE_ON_ACCEPTANCE = _rows(
    _FORWARD,
    (A.ACCEPT, S.APPLIED, S.ACCEPTED, HANDLE),
    (A.COMPLETE, S.ACCEPTED, S.COMPLETED, DECIDE),
    *_refusals(S.APPLIED, S.ACCEPTED),
)

#: Every kind's transitions.
MACHINES: dict[str, tuple[Transition, ...]] = {
    CaseKind.NEW: _rows(
        _FORWARD,
        (A.ACCEPT, S.APPLIED, S.ACCEPTED, HANDLE),
        (A.ASSESS, S.ACCEPTED, S.ASSESSED, HANDLE),
        (A.PUBLISH, S.ASSESSED, S.PUBLISHED, HANDLE),
        (A.END_PUBLICATION, S.PUBLISHED, S.REVIEWING, HANDLE),
        (A.ISSUE, S.REVIEWING, S.ISSUED, DECIDE),
        *_disputes(S.ASSESSED, S.PUBLISHED),
        *_refusals(S.APPLIED, S.ACCEPTED, S.ASSESSED, S.PUBLISHED, S.REVIEWING,
                   S.DISPUTED_PREFECTURE, S.DISPUTED_PROVINCE),
    ),
    # Art. 22: the holder applies; the issuing federation approves a reassessment.
    CaseKind.REASSESSMENT: _rows(
        _FORWARD,
        (A.ACCEPT, S.APPLIED, S.ACCEPTED, HANDLE),
        (A.ASSESS, S.ACCEPTED, S.ASSESSED, HANDLE),
        (A.SUBMIT, S.ASSESSED, S.REVIEWING, HANDLE),
        (A.ISSUE, S.REVIEWING, S.ISSUED, DECIDE),
        *_disputes(S.ASSESSED),
        *_refusals(S.APPLIED, S.ACCEPTED, S.ASSESSED, S.REVIEWING,
                   S.DISPUTED_PREFECTURE, S.DISPUTED_PROVINCE),
    ),
    CaseKind.RENEWAL: _ISSUE_ON_ACCEPTANCE,
    CaseKind.REISSUE: _ISSUE_ON_ACCEPTANCE,
    CaseKind.TRANSFER: _COMPLETE_ON_ACCEPTANCE,
    CaseKind.CANCELLATION: _COMPLETE_ON_ACCEPTANCE,
}


def transitions_from(kind: str, state: str) -> list[Transition]:
    """The rows of ``kind``'s machine that leave ``state``."""
    return [t for t in MACHINES[kind] if t.source == state]


def transition(kind: str, state: str, action: str) -> Transition | None:
    """The row for taking ``action`` in ``state``, or None when the machine has none."""
    return next((t for t in transitions_from(kind, state) if t.action == action), None)


def states_of(kind: str) -> list[str]:
    """The states a case of ``kind`` can be in, in the order of ``CaseState``."""
    used = {S.APPLIED} | {t.target for t in MACHINES[kind]}
    return [s for s in CaseState.values if s in used]


__all__ = ["Action", "MACHINES", "Transition", "states_of", "transition", "transitions_from"]
