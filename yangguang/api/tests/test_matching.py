"""/matching: a run's counts, the review queue (scoped, audited as a view) and a
reviewer's decision through the API."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from yangguang.api.tests.conftest import assert_error
from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.demo.generator import create_person
from yangguang.matching.models import Candidate, MatchRun
from yangguang.matching.tests.conftest import DEATHS, ISSUED, write_csv


def _review_candidate(tmp_path):
    zhe = create_person(姓名="张哲", 性别="男", 出生日期="1960-05-06", 户籍地区划代码="630102001001",
                        发证日期=ISSUED)
    file = write_csv(tmp_path / "deaths.csv", DEATHS, [["张喆", "", "男", "1960-05-06", "630102", "2025-01-02"]])
    call_command("matching", "run", "--kind", "deaths", str(file), "--json")
    return zhe, Candidate.objects.get()


def test_a_reviewer_reads_the_queue_and_confirms(db, tmp_path, reviewer_a, make_caller):
    zhe, candidate = _review_candidate(tmp_path)
    run = MatchRun.objects.get()
    summary = reviewer_a.get(f"/matching/runs/{run.pk}").json()
    assert (summary["kind"], summary["rows"], summary["review"]) == ("deaths", 1, 1)

    queue = reviewer_a.get("/matching/review").json()
    assert [c["id"] for c in queue] == [candidate.pk]
    assert queue[0]["person_id"] == zhe.pk and queue[0]["match_type"] == "review"
    assert {lv["comparison"] for lv in queue[0]["levels"]} == {"姓名", "出生日期", "性别", "户籍地"}
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="match_candidate").exists()

    outsider = make_caller("reviewer_b", ("reviewer", "610103"))
    assert outsider.get("/matching/review").json() == []
    assert_error(outsider.post(f"/matching/candidates/{candidate.pk}/decision", {"decision": "confirm"}),
                 404, "not_found")

    decided = reviewer_a.post(f"/matching/candidates/{candidate.pk}/decision", {"decision": "confirm"})
    assert decided.status_code == 200, decided.content
    assert (decided.json()["decision"], decided.json()["effect"]) == ("confirmed", "applied")
    zhe.refresh_from_db()
    assert zhe.deceased_date == dt.date(2025, 1, 2)
    again = reviewer_a.post(f"/matching/candidates/{candidate.pk}/decision", {"decision": "reject"})
    assert again.status_code in (400, 422)


def test_a_registrar_may_not_decide(db, tmp_path, registrar_a):
    _zhe, candidate = _review_candidate(tmp_path)
    assert_error(registrar_a.get("/matching/review"), 403, "forbidden")
    assert_error(registrar_a.post(f"/matching/candidates/{candidate.pk}/decision", {"decision": "confirm"}),
                 403, "forbidden")
