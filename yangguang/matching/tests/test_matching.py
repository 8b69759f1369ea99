"""Matching a list with the registry: the exact pass (with 15-digit numbers upgraded),
the hashed exchange, the probabilistic pass with a variant character, the command's
JSON and CSV, the review queue, re-runs and the audit."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from yangguang.accounts import services as accounts
from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.core.errors import ValidationFailed
from yangguang.matching import exchange, selectors, services
from yangguang.matching.models import Candidate, Decision, ListRow, MatchRun, MatchType
from yangguang.matching.tests.conftest import DEATHS, VILLAGE_A, VILLAGE_B, id_of, run_command, run_json, write_csv
from yangguang.registry.models import CertificateStatus, HouseholdStatus, Person

DEATH = "2025-01-02"


def certificate_status(person: Person) -> str:
    return person.certificates.order_by("-id").first().status


def test_exact_match_records_the_death_and_cancels_the_certificate(tmp_path, person):
    a, b = person(姓名="王大明"), person(姓名="刘小红", 户籍地区划代码=VILLAGE_B)
    legacy = person(姓名="李老汉", 出生日期="1950-03-04", legacy_id=True)
    file = write_csv(tmp_path / "deaths.csv", DEATHS, [
        [a.name, id_of(a), "", "", "", DEATH],
        [legacy.name, id_of(legacy)[:6] + id_of(legacy)[8:17], "", "", "", "2025-02-03"],
        ["不在册", "110101199001011237", "", "", "", DEATH],
    ])
    out = tmp_path / "result.csv"
    summary = run_json("--kind", "deaths", str(file), "--out", str(out))
    assert summary == {"rows": 3, "matched_exact": 2, "matched_probable": 0, "review": 0, "unmatched": 1}
    assert list(summary) == ["rows", "matched_exact", "matched_probable", "review", "unmatched"]
    with open(out, encoding="utf-8") as f:
        lines = list(csv.reader(f))
    assert lines == [["row", "person_id", "match_type", "weight"],
                     ["2", str(a.pk), "exact", ""], ["3", str(legacy.pk), "exact", ""],
                     ["4", "", "none", ""]]
    for p, day in ((a, DEATH), (legacy, "2025-02-03")):
        p.refresh_from_db()
        assert p.deceased_date == dt.date.fromisoformat(day)
        assert certificate_status(p) == CertificateStatus.CANCELLED
    b.refresh_from_db()
    assert b.deceased_date is None and certificate_status(b) == CertificateStatus.VALID
    assert set(Candidate.objects.exclude(person=None).values_list("effect", flat=True)) == {"applied"}

    events = AuditEvent.objects.count()
    assert run_json("--kind", "deaths", str(file)) == summary
    # The same list again: no registry change, only the run's own audit event.
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.order_by("-id").first().object_type == "match_run"
    assert set(Candidate.objects.filter(run=MatchRun.objects.first()).exclude(person=None)
               .values_list("effect", flat=True)) == {"unchanged"}


def test_a_hashed_list_matches_without_the_platform_seeing_the_numbers(tmp_path, person):
    a = person(姓名="王大明")
    legacy = person(姓名="李老汉", 出生日期="1950-03-04", legacy_id=True)
    key = tmp_path / "exchange.key"
    made = run_command("new-key", "--out", str(key))
    fingerprint = exchange.fingerprint(exchange.read_key(key))
    assert f"密钥指纹：{fingerprint}" in made and key.read_text().strip() not in made
    raw = write_csv(tmp_path / "raw.csv", DEATHS, [
        [a.name, id_of(a).lower(), "", "", "", DEATH],
        [legacy.name, id_of(legacy)[:6] + id_of(legacy)[8:17], "", "", "", DEATH],
        ["无号", "", "男", "1960-01-01", "140922", DEATH],
    ])
    hashed = tmp_path / "hashed.csv"
    hashing = run_command("hash-list", str(raw), "--key-file", str(key), "--out", str(hashed))
    assert "3" in hashing and fingerprint in hashing  # the department reads it back by phone
    text = hashed.read_text(encoding="utf-8-sig")
    assert id_of(a) not in text and id_of(a).lower() not in text and "身份号码摘要" in text
    assert "公民身份号码" not in text

    with pytest.raises(SystemExit) as exit_:
        run_command("run", "--kind", "deaths", str(hashed))
    assert exit_.value.code == 2
    summary = run_json("--kind", "deaths", str(hashed), "--key-file", str(key))
    assert (summary["matched_exact"], summary["rows"]) == (2, 3)
    a.refresh_from_db()
    assert a.deceased_date == dt.date.fromisoformat(DEATH)
    stored = {r.id_hash for r in ListRow.objects.filter(id_state="hashed")}
    assert len(stored) == 2 and a.id_number_hash not in stored  # the department's hashes


def test_a_variant_character_without_an_id_waits_for_review_then_acts_when_confirmed(
        tmp_path, person, actor):
    zhe = person(姓名="张哲", 性别="男", 出生日期="1960-05-06")
    person(姓名="张浙", 性别="男", 出生日期="1971-02-03")
    file = write_csv(tmp_path / "deaths.csv", DEATHS, [
        ["张喆", "", "男", "1960-05-06", "140922", DEATH]])
    out = tmp_path / "r.csv"
    summary = run_json("--kind", "deaths", str(file), "--out", str(out))
    assert summary == {"rows": 1, "matched_exact": 0, "matched_probable": 0, "review": 1, "unmatched": 0}
    with open(out, encoding="utf-8") as f:
        row = list(csv.DictReader(f))[0]
    assert (row["row"], row["person_id"], row["match_type"]) == ("2", str(zhe.pk), "review")
    assert 0 <= float(row["weight"]) < 10
    candidate = Candidate.objects.get()
    assert {lv["comparison"]: lv["label"] for lv in candidate.levels} == {
        "姓名": "异体字归一后相同", "出生日期": "出生日期相同", "性别": "性别相同", "户籍地": "同一县（市、区）"}
    zhe.refresh_from_db()
    assert zhe.deceased_date is None  # nothing changes before a reviewer confirms

    reviewer = accounts.create_user("reviewer1", "Yg-matching-Tests-2025!", [("reviewer", "140922")],
                                    actor=actor)
    outsider = accounts.create_user("reviewer2", "Yg-matching-Tests-2025!", [("reviewer", "610103")],
                                    actor=actor)
    assert selectors.pending_review_count(reviewer) == 1
    assert selectors.pending_review_count(outsider) == 0
    with pytest.raises(Candidate.DoesNotExist):
        selectors.get_candidate_for(outsider, candidate.pk)
    services.decide(selectors.get_candidate_for(reviewer, candidate.pk), confirm=True, user=reviewer)
    zhe.refresh_from_db()
    assert zhe.deceased_date == dt.date.fromisoformat(DEATH)
    assert certificate_status(zhe) == CertificateStatus.CANCELLED
    candidate.refresh_from_db()
    assert (candidate.decision, candidate.decided_by, candidate.effect) == (
        Decision.CONFIRMED, reviewer, "applied")
    event = AuditEvent.objects.get(object_type="match_candidate")
    assert (event.action, event.actor_id, event.person_id) == (AuditAction.UPDATE, reviewer.pk, zhe.pk)
    with pytest.raises(ValidationFailed):
        services.decide(candidate, confirm=False, user=reviewer)

    # Re-running keeps the decision and changes nothing.
    assert run_json("--kind", "deaths", str(file))["review"] == 1
    latest = Candidate.objects.filter(run=MatchRun.objects.first()).get()
    assert (latest.decision, latest.effect) == (Decision.CONFIRMED, "unchanged")
    assert selectors.pending_review_count(reviewer) == 0


def test_a_rejected_candidate_changes_nothing(tmp_path, person, actor):
    zhe = person(姓名="张哲", 性别="男", 出生日期="1960-05-06")
    file = write_csv(tmp_path / "deaths.csv", DEATHS, [["张喆", "", "男", "1960-05-06", "140922", DEATH]])
    run_json("--kind", "deaths", str(file))
    reviewer = accounts.create_user("reviewer1", "Yg-matching-Tests-2025!", [("reviewer", "140922")],
                                    actor=actor)
    services.decide(Candidate.objects.get(), confirm=False, user=reviewer)
    zhe.refresh_from_db()
    assert zhe.deceased_date is None and certificate_status(zhe) == CertificateStatus.VALID
    assert Candidate.objects.get().decision == Decision.REJECTED


def test_a_clear_probable_match_is_confirmed_by_the_run(tmp_path, person):
    a = person(姓名="欧阳明", 性别="男", 出生日期="1962-07-08")
    file = write_csv(tmp_path / "deaths.csv", DEATHS, [["欧阳明", "", "男", "1962-07-08", VILLAGE_A, DEATH]])
    summary = run_json("--kind", "deaths", str(file))
    assert summary["matched_probable"] == 1
    c = Candidate.objects.get()
    assert (c.person, c.match_type, c.decision, c.effect) == (a, MatchType.PROBABLE, Decision.CONFIRMED,
                                                              "applied")
    assert c.weight >= 10


def test_a_dibao_roll_records_the_household_status(tmp_path, person):
    a = person(姓名="王大明", 家庭编号="H-9", 与户主关系="户主")
    headers = ["姓名", "公民身份号码", "开始日期", "结束日期"]
    file = write_csv(tmp_path / "dibao.csv", headers, [[a.name, id_of(a), "2024-01-01", ""]])
    assert run_json("--kind", "dibao", str(file))["matched_exact"] == 1
    status = HouseholdStatus.objects.get(household=a.household)
    assert (status.status, status.start_date, status.end_date) == ("dibao", dt.date(2024, 1, 1), None)
    run_json("--kind", "dibao", str(file))
    assert HouseholdStatus.objects.count() == 1


def test_a_roll_for_one_region_compares_with_that_region_only(tmp_path, person, capsys):
    a = person(姓名="王大明", 户籍地区划代码=VILLAGE_A)
    b = person(姓名="李小红", 户籍地区划代码=VILLAGE_B, 家庭编号="H-8", 与户主关系="户主")
    headers = ["姓名", "公民身份号码", "开始日期", "结束日期"]
    file = write_csv(tmp_path / "dibao.csv", headers,
                     [[a.name, id_of(a), "2024-01-01", ""], [b.name, id_of(b), "2024-01-01", ""]])
    assert run_json("--kind", "dibao", "--region", "140922", str(file))["matched_exact"] == 1
    assert MatchRun.objects.get().scope == ["140922"]
    assert not HouseholdStatus.objects.filter(household=b.household).exists()
    with pytest.raises(SystemExit) as exit_:
        run_command("run", "--kind", "dibao", "--region", "999999", str(file))
    assert exit_.value.code == 2
    assert "未知的行政区划代码：999999" in capsys.readouterr().err
    assert MatchRun.objects.count() == 1


def test_a_bad_file_exits_2_and_writes_nothing(tmp_path, db):
    file = write_csv(tmp_path / "bad.csv", DEATHS, [["王", "", "", "", "", "不是日期"]])
    with pytest.raises(SystemExit) as exit_:
        run_command("run", "--kind", "deaths", str(file))
    assert exit_.value.code == 2
    assert not MatchRun.objects.exists()


def test_hash_list_upgrades_15_digits_and_blanks_invalid_numbers(tmp_path, db):
    from yangguang.matching import exchange

    key = exchange.read_key(_key(tmp_path))
    h = exchange.Hasher(key)
    assert h.of("130503670401001") == h.of("130503196704010016") == h.of(" 130503196704010016 ")
    assert h.of("130503196704010017") == "" and h.of("") == ""
    import hashlib
    import hmac
    assert h.of("11010519491231002x") == hmac.new(key, b"11010519491231002X", hashlib.sha256).hexdigest()


def _key(tmp_path: Path) -> Path:
    path = tmp_path / "k"
    run_command("new-key", "--out", str(path))
    return path


def test_a_work_injury_care_list_records_benefits_fact_once(tmp_path, person):
    from yangguang.benefits.models import FactKind, PersonFact

    a = person(姓名="王大明")
    headers = ["姓名", "公民身份号码", "开始日期", "结束日期", "月发放金额"]
    file = write_csv(tmp_path / "care.csv", headers, [[a.name, id_of(a), "2023-02-01", "", "1200"]])
    run_json("--kind", "work-injury-care", str(file), "--department", "五台县人社局")
    fact = PersonFact.objects.get(person=a)
    assert (fact.kind, fact.start_date, fact.end_date, str(fact.monthly_amount), fact.source) == (
        FactKind.WORK_INJURY_CARE_FEE, dt.date(2023, 2, 1), None, "1200.00", "五台县人社局")
    run_json("--kind", "work-injury-care", str(file))
    assert PersonFact.objects.count() == 1
    assert set(Candidate.objects.values_list("effect", flat=True)) == {"applied", "unchanged"}


def test_a_hukou_move_to_another_region_is_a_discrepancy(tmp_path, person):
    a = person(姓名="王大明")
    headers = ["姓名", "公民身份号码", "迁入地区划代码", "迁移日期"]
    file = write_csv(tmp_path / "moves.csv", headers, [[a.name, id_of(a), "610103", "2024-06-01"]])
    assert run_json("--kind", "hukou-moves", str(file))["matched_exact"] == 1
    assert Candidate.objects.get().effect == "hukou_differs"
    a.refresh_from_db()
    assert a.hukou_region_id == VILLAGE_A  # reported, not changed
