"""/matching: a run's counts, the review queue (scoped, audited as a view), a
reviewer's decision and the discrepancy reports through the API."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command
from openpyxl import load_workbook

from yangguang.api.matching import XLSX
from yangguang.api.tests.conftest import assert_error
from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.benefits.tests.conftest import XINING, make_person
from yangguang.demo.generator import create_person
from yangguang.matching.models import Candidate, MatchRun
from yangguang.matching.tests.conftest import DEATHS, ISSUED, id_of, write_csv
from yangguang.matching.tests.test_reports import DIBAO, run_list

D = dt.date


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


def test_the_discrepancy_reports_of_a_run_and_of_the_regions(db, tmp_path, registrar_a, registrar_b,
                                                               analyst_a):
    """Counts per category and county, the findings page by page (masked IDs, one view
    event with the persons listed), the XLSX (one export event); within the caller's
    regions, like the pages."""
    start = D(2024, 1, 1)
    differs = make_person(region=XINING, level="二级", statuses=(("dibao", start, None),))
    not_listed = make_person(region=XINING, level="二级", statuses=(("dibao", start, None),))
    run = run_list(tmp_path, "dibao", DIBAO, [
        [differs.name, id_of(differs), "", "", "", "2024-03-01", ""],
        ["不在册", "", "女", "1970-01-01", XINING, "2024-01-01", ""],
    ], registrar_a.user, day=D(2025, 6, 1))

    summary = registrar_a.get(f"/matching/runs/{run.pk}/discrepancies").json()
    counts = {c["category"]: c["count"] for c in summary["categories"]}
    assert (summary["run"], summary["runs"]) == (run.pk, [run.pk])
    assert (counts["status_differs"], counts["unknown_to_registry"], counts["unknown_to_department"]) == (1, 1, 1)
    assert [line["code"] for line in summary["regions"]] == [XINING, ""]
    assert summary["regions"][-1]["total"] == sum(counts.values()) == summary["regions"][0]["total"]
    assert summary["regions"][0]["counts"] == counts

    response = registrar_a.get(f"/matching/runs/{run.pk}/discrepancies/findings",
                               {"category": "unknown_to_department"})
    page = response.json()
    assert page["count"] == 1
    finding = page["results"][0]
    assert (finding["person_id"], finding["id_number_masked"], finding["run"]) == (
        not_listed.pk, not_listed.id_number_masked, run.pk)
    assert id_of(not_listed) not in response.content.decode() and "*" in finding["id_number_masked"]
    event = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="match_run").latest("id")
    assert (event.object_id, event.data["ids"], event.data["query"]["category"]) == (
        str(run.pk), [not_listed.pk], "unknown_to_department")
    everything = registrar_a.get(f"/matching/runs/{run.pk}/discrepancies/findings", {"page_size": 2}).json()
    assert everything["count"] == sum(counts.values()) and len(everything["results"]) == 2
    assert everything["next"] is not None
    elsewhere = registrar_a.get(f"/matching/runs/{run.pk}/discrepancies", {"region": "630103"}).json()
    assert elsewhere["regions"][-1]["total"] == 0
    assert_error(registrar_a.get(f"/matching/runs/{run.pk}/discrepancies/findings", {"region": "999999"}),
                 422, "validation_failed")

    download = registrar_a.get(f"/matching/runs/{run.pk}/discrepancies/xlsx")
    assert download.status_code == 200 and download["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(download.content), read_only=True)
    cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
    assert not_listed.id_number_masked in cells and id_of(not_listed) not in cells
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="match_run",
                                     object_id=str(run.pk)).count() == 1

    report = registrar_a.get("/matching/report").json()
    assert (report["run"], report["runs"]) == (None, [run.pk])
    assert {c["category"]: c["count"] for c in report["categories"]} == counts  # no deaths run
    listed = registrar_a.get("/matching/report/findings", {"category": "status_differs"}).json()
    assert [f["person_id"] for f in listed["results"]] == [differs.pk]
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="match_report").exists()
    whole = registrar_a.get("/matching/report/xlsx")
    assert whole.status_code == 200 and whole["Content-Type"] == XLSX
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="match_report").count() == 1

    # Another province: the run is none of theirs, their report is empty; no capability: 403.
    assert_error(registrar_b.get(f"/matching/runs/{run.pk}/discrepancies"), 404, "not_found")
    assert_error(registrar_b.get(f"/matching/runs/{run.pk}/discrepancies/xlsx"), 404, "not_found")
    assert registrar_b.get("/matching/report").json()["regions"][-1]["total"] == 0
    assert registrar_b.get("/matching/report/findings").json()["count"] == 0
    for path in (f"/matching/runs/{run.pk}/discrepancies", "/matching/report", "/matching/report/xlsx"):
        assert_error(analyst_a.get(path), 403, "forbidden")
