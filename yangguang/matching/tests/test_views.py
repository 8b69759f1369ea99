"""The pages: upload and match, a run with its discrepancies and their XLSX, the
review queue with the comparisons behind each candidate, confirm and reject, scope."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.test import Client

from yangguang.accounts import services as accounts
from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.jobs.models import Job
from yangguang.matching import exchange
from yangguang.matching.models import Candidate, Decision, MatchRun
from yangguang.matching.tests.conftest import DEATHS, VILLAGE_B, id_of, write_csv

PASSWORD = "Yg-matching-Tests-2025!"


@pytest.fixture
def signed_in(actor):
    count = [0]

    def make(role: str, region: str) -> Client:
        count[0] += 1
        user = accounts.create_user(f"{role}{count[0]}", PASSWORD, [(role, region)], actor=actor)
        client = Client()
        client.force_login(user)
        client.user = user
        return client
    return make


def upload(client: Client, path, kind: str = "deaths"):
    with open(path, "rb") as f:
        return client.post("/matching/", {"kind": kind, "department": "五台县民政局",
                                          "list_date": "2025-04-01", "file": f})


def test_a_registrar_uploads_a_list_and_sees_the_run(tmp_path, tmp_var, person, signed_in):
    a = person(姓名="王大明")
    person(姓名="张哲", 性别="男", 出生日期="1960-05-06")
    b = person(姓名="刘小红", 户籍地区划代码=VILLAGE_B)
    file = write_csv(tmp_path / "deaths.csv", DEATHS, [
        [a.name, id_of(a), "", "", "", "2025-01-02"],
        ["张喆", "", "男", "1960-05-06", "140922", "2025-01-02"],
        [b.name, id_of(b), "", "", "", "2025-01-02"],
        ["不在册", "", "女", "1970-01-01", "140922", "2025-01-02"],
    ])
    registrar = signed_in("registrar", "140922")
    response = upload(registrar, file)
    run = MatchRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/matching/runs/{run.pk}/"
    # The registrar's run compares with their county only: 刘小红 of 碑林区 is not found.
    assert run.summary() == {"rows": 4, "matched_exact": 1, "matched_probable": 0, "review": 1,
                             "unmatched": 2}
    assert run.department_list.department == "五台县民政局"
    assert run.department_list.list_date == dt.date(2025, 4, 1)
    page = registrar.get(response["Location"]).content.decode()
    assert "王大明" in page and "不在册" in page and "刘小红" not in page
    listing = registrar.get("/matching/").content.decode()
    assert "五台县民政局" in listing and "deaths.csv" in listing

    xlsx = registrar.post(f"/matching/runs/{run.pk}/discrepancies.xlsx")
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    unknown = book["部门名单中有、登记中没有"]
    assert [row[2] for row in unknown.iter_rows(min_row=2, values_only=True)] == ["不在册"]
    assert [row[:2] for row in book["按地区汇总"].iter_rows(min_row=2, values_only=True)] == [
        ("140922", "五台县"), (None, "合计")]
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="match_run").count() == 1


def test_a_reviewer_sees_why_and_confirms_in_their_region_only(tmp_path, tmp_var, person, signed_in):
    zhe = person(姓名="张哲", 性别="男", 出生日期="1960-05-06")
    file = write_csv(tmp_path / "deaths.csv", DEATHS, [["张喆", "", "男", "1960-05-06", "140922", "2025-01-02"]])
    upload(signed_in("registrar", "140922"), file)
    candidate = Candidate.objects.get()
    outsider = signed_in("reviewer", "610103")
    assert "张喆" not in outsider.get("/matching/review/").content.decode()
    assert outsider.post(f"/matching/review/{candidate.pk}/", {"decision": "confirm"}).status_code == 404
    registrar = signed_in("registrar", "140922")
    assert registrar.get("/matching/review/").status_code == 404  # no such capability: no such page

    reviewer = signed_in("reviewer", "140922")
    page = reviewer.get("/matching/review/").content.decode()
    assert "张喆" in page and "异体字归一后相同" in page and "出生日期相同" in page
    response = reviewer.post(f"/matching/review/{candidate.pk}/", {"decision": "confirm"})
    assert response.status_code == 302
    zhe.refresh_from_db()
    assert zhe.deceased_date == dt.date(2025, 1, 2)
    candidate.refresh_from_db()
    assert candidate.decision == Decision.CONFIRMED and candidate.decided_by == reviewer.user
    assert "没有待复核的比对结果" in reviewer.get("/matching/review/").content.decode()


def test_a_reviewer_rejects(tmp_path, tmp_var, person, signed_in):
    zhe = person(姓名="张哲", 性别="男", 出生日期="1960-05-06")
    file = write_csv(tmp_path / "deaths.csv", DEATHS, [["张喆", "", "男", "1960-05-06", "140922", "2025-01-02"]])
    upload(signed_in("registrar", "140922"), file)
    reviewer = signed_in("reviewer", "140922")
    reviewer.post(f"/matching/review/{Candidate.objects.get().pk}/", {"decision": "reject"})
    zhe.refresh_from_db()
    assert zhe.deceased_date is None and Candidate.objects.get().decision == Decision.REJECTED


def test_a_bad_upload_shows_the_errors(tmp_path, tmp_var, db, signed_in):
    registrar = signed_in("registrar", "140922")
    page = registrar.post("/matching/", {"kind": ""}).content.decode()
    assert "请选择名单类型" in page and "请选择要上传的名单文件" in page
    bad = write_csv(tmp_path / "bad.csv", DEATHS, [["王", "", "", "", "", "不是日期"]])
    response = upload(registrar, bad)
    assert response.status_code == 302 and not MatchRun.objects.exists()


def test_analysts_may_not_match(db, signed_in):
    assert signed_in("analyst", "140922").get("/matching/").status_code == 404


def test_a_run_is_seen_in_the_regions_it_compared(tmp_path, tmp_var, person, signed_in):
    a = person(姓名="王大明")
    file = write_csv(tmp_path / "deaths.csv", DEATHS, [[a.name, id_of(a), "", "", "", "2025-01-02"]])
    upload(signed_in("registrar", "140922"), file)
    run = MatchRun.objects.get()
    assert signed_in("registrar", "140922").get(f"/matching/runs/{run.pk}/").status_code == 200
    assert signed_in("registrar", "610103").get(f"/matching/runs/{run.pk}/").status_code == 404
    assert signed_in("registrar", "610103").post(f"/matching/runs/{run.pk}/discrepancies.xlsx").status_code == 404


def test_the_audit_log_reads_the_events_of_matching(tmp_path, tmp_var, person, signed_in):
    a = person(姓名="王大明")
    file = write_csv(tmp_path / "deaths.csv", DEATHS, [[a.name, id_of(a), "", "", "", "2025-01-02"]])
    upload(signed_in("registrar", "140922"), file)
    page = signed_in("auditor", "140922").get("/audit/")
    assert page.status_code == 200
    assert "比对" in page.content.decode()


def test_the_region_report_counts_per_county_and_downloads_audited(tmp_path, tmp_var, person, signed_in):
    a = person(姓名="王大明")
    file = write_csv(tmp_path / "deaths.csv", DEATHS, [
        [a.name, id_of(a), "", "", "", "2025-01-02"], ["不在册", "", "女", "1970-01-01", "140922", "2025-01-02"]])
    registrar = signed_in("registrar", "140922")
    upload(registrar, file)

    page = registrar.get("/matching/reports/").content.decode()
    assert "比对差异报告" in page and "不在册" in page and "五台县" in page
    home = registrar.get("/").content.decode()
    assert re.search(r'<a href="/matching/reports/"><span class="count-value">1</span> '
                     r'<span class="count-label">比对发现的差异</span>', home)
    assert "不在册" not in signed_in("registrar", "610103").get("/matching/reports/").content.decode()
    response = registrar.post("/matching/reports/report.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [row[2] for row in book["部门名单中有、登记中没有"].iter_rows(min_row=2, values_only=True)] == ["不在册"]
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="match_report").count() == 1
    assert registrar.get("/matching/reports/report.xlsx").status_code == 405


def test_the_changes_page_compares_with_the_run_before(tmp_path, tmp_var, person, signed_in):
    a, b = person(姓名="王大明"), person(姓名="李小红")
    registrar = signed_in("registrar", "140922")
    upload(registrar, write_csv(tmp_path / "one.csv", DEATHS, [[a.name, id_of(a), "", "", "", "2025-01-02"]]))
    upload(registrar, write_csv(tmp_path / "two.csv", DEATHS, [[b.name, id_of(b), "", "", "", "2025-01-03"]]))
    first, second = MatchRun.objects.order_by("pk")

    page = registrar.get(f"/matching/runs/{second.pk}/changes/").content.decode()

    assert re.search(r"<td>新增</td><td><a [^>]+>李小红</a>", page)
    assert re.search(r"<td>不再列入</td><td><a [^>]+>王大明</a>", page)
    assert f'<option value="{first.pk}" selected>' in page
    assert registrar.get(f"/matching/runs/{second.pk}/changes/?since=999999").status_code == 404
    assert signed_in("registrar", "610103").get(f"/matching/runs/{second.pk}/changes/").status_code == 404


def test_a_hashed_list_is_uploaded_with_its_key_which_is_not_kept(tmp_path, tmp_var, person, signed_in):
    a = person(姓名="王大明")
    key = tmp_path / "exchange.key"
    key.write_text(exchange.new_key() + "\n")
    plain = write_csv(tmp_path / "deaths.csv", DEATHS, [[a.name, id_of(a), "", "", "", "2025-01-02"]])
    hashed = tmp_path / "deaths-hashed.csv"
    exchange.hash_list(plain, exchange.read_key(key), hashed)
    registrar = signed_in("registrar", "140922")

    with open(hashed, "rb") as f:
        without = registrar.post("/matching/", {"kind": "deaths", "file": f})
    assert without["Location"] == "/matching/" and not MatchRun.objects.exists()
    with open(hashed, "rb") as f, open(key, "rb") as k:
        response = registrar.post("/matching/", {"kind": "deaths", "file": f, "key_file": k})

    run = MatchRun.objects.get()
    assert response["Location"] == f"/matching/runs/{run.pk}/"
    assert run.summary()["matched_exact"] == 1 and run.department_list.hashed
    a.refresh_from_db()
    assert a.deceased_date == dt.date(2025, 1, 2)
    # Neither the upload nor the key is left on disk, and no job keeps the key.
    assert list((Path(settings.MEDIA_ROOT) / "matching").iterdir()) == []
    assert key.read_text().strip() not in str(list(Job.objects.values_list("params", "log", "result")))
    assert all(set(p) <= {"path", "kind", "department", "date", "file_name", "key_path"}
               for p in Job.objects.values_list("params", flat=True))
    with open(hashed, "rb") as f:
        bad = registrar.post("/matching/", {"kind": "deaths", "file": f,
                                            "key_file": io.BytesIO(b"not a key")})
    assert "无法读取密钥文件" in bad.content.decode() or "密钥太短" in bad.content.decode()


def test_the_changes_page_warns_when_two_lists_were_hashed_under_different_keys(tmp_path, tmp_var, person,
                                                                                signed_in):
    a = person(姓名="王大明")
    registrar = signed_in("registrar", "140922")
    plain = write_csv(tmp_path / "deaths.csv", DEATHS, [
        [a.name, id_of(a), "", "", "", "2025-01-02"],
        ["不在册", "11010519491231002X", "女", "1949-12-31", "140922", "2025-01-02"]])
    for name in ("one", "two"):
        key = tmp_path / f"{name}.key"
        key.write_text(exchange.new_key() + "\n")
        hashed = tmp_path / f"{name}-hashed.csv"
        exchange.hash_list(plain, exchange.read_key(key), hashed)
        with open(hashed, "rb") as f, open(key, "rb") as k:
            assert registrar.post("/matching/", {"kind": "deaths", "file": f, "key_file": k}).status_code == 302
    second = MatchRun.objects.order_by("pk").last()

    page = registrar.get(f"/matching/runs/{second.pk}/changes/").content.decode()

    assert "不是用同一个交换密钥生成的" in page
    assert "<td>新增</td>" not in page and "<td>不再列入</td>" not in page  # 不在册: on both lists
    # The first list again, with the second list's key: refused, saying why.
    with open(tmp_path / "one-hashed.csv", "rb") as f, open(tmp_path / "two.key", "rb") as k:
        refused = registrar.post("/matching/", {"kind": "deaths", "file": f, "key_file": k}, follow=True)
    assert "交换密钥与这份名单的不同" in refused.content.decode() and MatchRun.objects.count() == 2
