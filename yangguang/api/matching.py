"""/matching: a run's counts, the review queue with each candidate's comparisons, and
the reviewer's decision — the pages' rules (``matching.selectors``, ``matching.services``).

Candidates name persons, so reading the queue is a ``view`` event with the ids
returned; a decision is audited by the service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from yangguang.accounts.permissions import Capability
from yangguang.api.access import audit_view, existing_id, require
from yangguang.api.common import READ_ERRORS, WRITE_ERRORS
from yangguang.api.errors import ApiError
from yangguang.matching import selectors, services
from yangguang.matching.models import Candidate, MatchRun

router = Router(tags=["matching"])


class RunSummary(Schema):
    id: int
    kind: str = Field(description="名单类型，如 deaths、dibao")
    department: str
    list_date: dt.date
    file_sha256: str
    rows: int
    matched_exact: int
    matched_probable: int
    review: int
    unmatched: int


class Level(Schema):
    comparison: str = Field(description="比较项：姓名、出生日期、性别、户籍地")
    label: str = Field(description="比较结果，如 拼音相同（同音字）")
    weight: float = Field(description="该项的匹配权重（对数似然比，以2为底）")


class CandidateOut(Schema):
    id: int
    run: int
    kind: str
    row: int = Field(description="名单中的行号（表头为第1行）")
    list_name: str
    person_id: int | None
    person_name: str
    match_type: str = Field(description="exact、probable、review 或 none")
    weight: float | None
    probability: float | None
    levels: list[Level]
    decision: str = Field(description="pending、confirmed 或 rejected")
    effect: str = Field(description="确认后的处理结果代码，如 applied、unchanged")


class DecisionIn(Schema):
    decision: Literal["confirm", "reject"]


def _candidate(c: Candidate) -> dict[str, Any]:
    return {"id": c.pk, "run": c.run_id, "kind": c.run.department_list.kind, "row": c.list_row.row,
            "list_name": c.list_row.name, "person_id": c.person_id,
            "person_name": c.person.name if c.person else "", "match_type": c.match_type,
            "weight": c.weight, "probability": c.probability, "levels": c.levels,
            "decision": c.decision, "effect": c.effect}


@router.get("/matching/runs/{run_id}", response={200: RunSummary, **READ_ERRORS}, summary="一次比对的结果")
def get_match_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    require(request, Capability.MATCH_LISTS)
    try:
        run = selectors.get_run_for(request.user, existing_id(run_id))
    except MatchRun.DoesNotExist:
        raise ApiError(404, "not_found") from None
    kept = run.department_list
    return {"id": run.pk, "kind": kept.kind, "department": kept.department, "list_date": kept.list_date,
            "file_sha256": kept.sha256, **run.summary()}


@router.get("/matching/review", response={200: list[CandidateOut], **READ_ERRORS},
            summary="本辖区待复核的比对结果（按匹配权重从高到低，最多100条）")
def list_review_queue(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, Capability.REVIEW_MATCHES)
    queue = list(selectors.review_queue(request.user)[:100])
    audit_view(request, "match_candidate", ids=[c.pk for c in queue], query={"queue": "review"})
    return [_candidate(c) for c in queue]


@router.post("/matching/candidates/{candidate_id}/decision", response={200: CandidateOut, **WRITE_ERRORS},
             summary="确认或否决一条待复核的比对结果（确认后按名单类型处理登记）")
def decide_candidate(request: HttpRequest, candidate_id: int, payload: DecisionIn) -> dict[str, Any]:
    require(request, Capability.REVIEW_MATCHES)
    try:
        candidate = selectors.get_candidate_for(request.user, existing_id(candidate_id))
    except Candidate.DoesNotExist:
        raise ApiError(404, "not_found") from None
    decided = services.decide(candidate, confirm=payload.decision == "confirm", user=request.user)
    return _candidate(selectors.get_candidate_for(request.user, decided.pk))
