"""Discrepancy reports (per run and per region) and the comparison of two runs over
time: paid while deceased, status differences, unknown to either side, eligible but
not covered (benefits' screening), scoped to the user's regions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yangguang.accounts import services as accounts
from yangguang.benefits import services as benefit_services
from yangguang.benefits.models import BenefitGrant
from yangguang.benefits.states import ApplicationAction as A
from yangguang.benefits.tests.conftest import ACTOR, XINING, make_person, take_steps
from yangguang.core.errors import ValidationFailed
from yangguang.demo.generator import create_person
from yangguang.matching import changes, exchange, kinds, reports, services
from yangguang.matching.models import Candidate
from yangguang.matching.tests.conftest import DEATHS, id_of, write_csv
from yangguang.regions.selectors import resolve_region
from yangguang.registry import services as registry

pytestmark = pytest.mark.django_db
D = dt.date
DIBAO = ["姓名", "公民身份号码", "性别", "出生日期", "户籍地区划代码", "开始日期", "结束日期"]
FLOW = [A.REVIEW, A.CHECK_LEVEL, A.DECIDE, A.PUBLISH, A.GRANT]


def granted(person, programme: str = "care_allowance"):
    app = benefit_services.apply(person, programme, applicant_type="person", applied_on=D(2025, 1, 5),
                                 actor=ACTOR, scope=None)
    take_steps(app, FLOW, D(2025, 1, 10))
    return BenefitGrant.objects.get(application=app)


def user(role: str = "registrar", region: str = XINING, name: str = ""):
    return accounts.create_user(name or f"{role}-{region}", "Yg-reports-Tests-2025!", [(role, region)],
                                actor=ACTOR)


def run_list(tmp_path, kind: str, headers, rows, who, day: dt.date | None = None):
    path = write_csv(tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}.csv", headers, rows)
    _result, kept = services.import_list(kinds.get(kind), path, actor=who, list_date=day)
    assert kept is not None, _result.errors
    return services.run_match(kept, actor=who, user=who)


def by_category(found):
    out: dict[str, list] = {}
    for f in found:
        out.setdefault(f.category, []).append(f)
    return out


def test_grants_paying_after_a_death_are_found_per_run_and_per_region(tmp_path):
    registrar = user()
    # Named by the deaths list without an ID (waits for review: the list's date counts).
    waiting = create_person(actor=ACTOR, hukou_region=XINING, category="肢体", level="一级",
                            issue_date=D(2020, 1, 1), 姓名="张哲", 性别="男", 出生日期="1950-03-04")
    granted(waiting)
    # Recorded dead in the registry: benefits ends the grant from the month after.
    stopped = make_person(region=XINING, level="一级")
    granted(stopped)
    registry.record_death(stopped, D(2025, 3, 3), actor=ACTOR)
    # A grant already set to stop later than that, then the death: still paid too long.
    paid = make_person(region=XINING, level="一级")
    benefit_services.stop_grant(granted(paid), month=D(2025, 8, 1), reason="迁出", actor=ACTOR, scope=None)
    registry.record_death(paid, D(2025, 2, 10), actor=ACTOR)
    run = run_list(tmp_path, "deaths", DEATHS, [
        ["张喆", "", "男", "1950-03-04", XINING, "2025-05-20"],
        [stopped.name, id_of(stopped), "", "", "", "2025-03-03"],
    ], registrar)
    assert run.review == 1

    per_run = by_category(reports.run_findings(registrar, run)).get("paid_while_deceased", [])
    assert [f.person.pk for f in per_run] == [waiting.pk]
    assert "2025-05-20死亡，应自2025-06停发，仍在发放" in per_run[0].detail
    region = by_category(reports.region_findings(registrar))["paid_while_deceased"]
    assert [(f.person.pk, f.detail) for f in region] == [
        (paid.pk, "重度残疾人护理补贴：2025-02-10死亡，应自2025-03停发，至2025-08才停发")]
    assert reports.deceased_paid_count(registrar) == 1
    assert reports.deceased_paid_count(user(region="140922")) == 0  # another province's user


def test_a_dibao_roll_reports_differences_unknowns_and_eligible_persons_not_covered(tmp_path):
    registrar = user()
    start = D(2024, 1, 1)
    differs = make_person(region=XINING, level="二级", statuses=(("dibao", start, None),))
    not_listed = make_person(region=XINING, level="二级", statuses=(("dibao", start, None),))
    newly = make_person(region=XINING, level="二级")
    run = run_list(tmp_path, "dibao", DIBAO, [
        [differs.name, id_of(differs), "", "", "", "2024-03-01", ""],
        [newly.name, id_of(newly), "", "", "", "2024-01-01", ""],
        ["不在册", "", "女", "1970-01-01", XINING, "2024-01-01", ""],
    ], registrar, day=D(2025, 6, 1))

    found = by_category(reports.run_findings(registrar, run))

    assert [(f.person.pk, f.detail) for f in found["status_differs"]] == [
        (differs.pk, "名单：2024-03-01—至今；登记：2024-01-01—至今、2024-03-01—至今")]
    assert [f.list_name for f in found["unknown_to_registry"]] == ["不在册"]
    assert [f.person.pk for f in found["unknown_to_department"]] == [not_listed.pk]
    # The persons the roll named, eligible for the living allowance by benefits' rules.
    eligible = {f.person.pk for f in found["eligible_not_covered"]}
    assert {differs.pk, newly.pk} <= eligible and not_listed.pk not in eligible
    assert any("困难残疾人生活补贴" in f.detail for f in found["eligible_not_covered"])
    granted(newly, "living_allowance")
    again = by_category(reports.run_findings(registrar, run))["eligible_not_covered"]
    assert (newly.pk, "符合困难残疾人生活补贴的条件，未在发放") not in {(f.person.pk, f.detail) for f in again}
    assert (differs.pk, "符合困难残疾人生活补贴的条件，未在发放") in {(f.person.pk, f.detail) for f in again}
    # Per region: the county's counts, then the total.
    now = reports.run_findings(registrar, run)
    lines = reports.by_region(now)
    assert [line.code for line in lines] == [XINING, ""] and lines[-1].total == len(now) == lines[0].total
    # Another province's user sees none of it.
    assert reports.run_findings(user(region="140922"), run) == []


def test_two_runs_of_the_same_kind_show_what_is_new_gone_and_changed(tmp_path):
    registrar = user()
    a, b, c = (make_person(region=XINING) for _ in range(3))
    first = run_list(tmp_path, "dibao", DIBAO, [
        [a.name, id_of(a), "", "", "", "2024-01-01", ""],
        [b.name, id_of(b), "", "", "", "2024-01-01", ""],
    ], registrar, day=D(2025, 1, 1))
    second = run_list(tmp_path, "dibao", DIBAO, [
        [b.name, id_of(b), "", "", "", "2024-01-01", "2025-01-31"],
        [c.name, id_of(c), "", "", "", "2025-01-15", ""],
    ], registrar, day=D(2025, 2, 1))

    assert changes.previous_run(registrar, second) == first
    assert changes.previous_run(registrar, first) is None
    found = changes.compare(registrar, second, first)

    assert [(x.change, x.person.pk) for x in found] == [("new", c.pk), ("gone", a.pk), ("changed", b.pk)]
    assert "结束日期 2025-01-31" in found[2].after and "结束日期" not in found[2].before
    assert changes.compare(user(region="140922"), second, first) == []


def test_a_county_roll_speaks_only_for_its_county(tmp_path):
    """Each county's civil affairs bureau sends its own roll: compared with its
    ``region``, a roll covers its county only, so the persons of another county are not
    "unknown to the department", and the region report keeps the latest roll of each
    county side by side."""
    wutai = "140922100001"
    here = make_person(region=XINING, level="二级", statuses=(("dibao", D(2024, 1, 1), None),))
    absent = make_person(region=XINING, level="二级", statuses=(("dibao", D(2024, 1, 1), None),))
    there = make_person(region=wutai, level="二级", statuses=(("dibao", D(2024, 1, 1), None),))
    elsewhere = make_person(region=wutai, level="二级", statuses=(("dibao", D(2024, 1, 1), None),))
    runs = []
    for person, county in ((here, XINING[:6]), (there, "140922")):
        path = write_csv(tmp_path / f"dibao-{county}.csv", DIBAO,
                         [[person.name, id_of(person), "", "", "", "2024-01-01", ""]])
        _result, kept = services.import_list(kinds.get("dibao"), path, actor=ACTOR, list_date=D(2025, 6, 1))
        runs.append(services.run_match(kept, actor=ACTOR, region=resolve_region(county)))
    assert [r.scope for r in runs] == [[XINING[:6]], ["140922"]]

    qinghai = user("registrar", "630000", "qinghai")
    shanxi = user("registrar", "140000", "shanxi")
    assert {r.pk for r in reports.latest_runs(qinghai)} == {runs[0].pk}
    assert {r.pk for r in reports.latest_runs(shanxi)} == {runs[1].pk}
    unknown = by_category(reports.region_findings(qinghai))["unknown_to_department"]
    assert [f.person.pk for f in unknown] == [absent.pk]
    unknown = by_category(reports.region_findings(shanxi))["unknown_to_department"]
    assert [f.person.pk for f in unknown] == [elsewhere.pk]
    # A user over both provinces sees both rolls, each speaking for its own county.
    both = accounts.create_user("two-provinces", "Yg-reports-Tests-2025!",
                                [("registrar", "630000"), ("registrar", "140000")], actor=ACTOR)
    assert {r.pk for r in reports.latest_runs(both)} == {r.pk for r in runs}
    unknown = {f.person.pk for f in reports.region_findings(both) if f.category == "unknown_to_department"}
    assert unknown == {absent.pk, elsewhere.pk}


def test_the_home_count_is_kept_and_follows_runs_and_reviews(tmp_path):
    """The home page's count runs no report while nothing changed; a run and a review
    decision make it count again, so it always equals the region report's findings."""
    registrar = user()
    reviewer = user("reviewer", name="reviewer-counts")
    zhe = create_person(actor=ACTOR, hukou_region=XINING, issue_date=D(2020, 1, 1), 姓名="张哲", 性别="男",
                        出生日期="1960-05-06")
    registry.record_death(zhe, D(2025, 1, 1), actor=ACTOR)
    assert reports.finding_count(registrar) == 0

    run = run_list(tmp_path, "deaths", DEATHS, [
        ["张喆", "", "男", "1960-05-06", XINING, "2025-01-02"],  # waits for review
        ["不在册", "", "女", "1970-01-01", XINING, "2025-01-02"],  # unknown to the registry
    ], registrar)
    assert run.review == 1
    assert reports.finding_count(registrar) == len(reports.region_findings(registrar)) == 1
    with CaptureQueriesContext(connection) as queries:
        assert reports.finding_count(registrar) == 1
    candidates = connection.ops.quote_name(Candidate._meta.db_table)
    assert not [q for q in queries.captured_queries if candidates in q["sql"]]  # no report run

    services.decide(Candidate.objects.get(match_type="review"), confirm=True, user=reviewer)
    # Confirmed, the death date differs from the registry's: one more finding.
    assert reports.finding_count(registrar) == len(reports.region_findings(registrar)) == 2
    assert reports.finding_count(user(region="140922")) == 0  # another province's user


def _hashed_run(tmp_path, name: str, rows, key: bytes, who, day: dt.date):
    plain = write_csv(tmp_path / f"{name}.csv", DEATHS, rows)
    hashed = tmp_path / f"{name}-hashed.csv"
    exchange.hash_list(plain, key, hashed)
    _result, kept = services.import_list(kinds.get("deaths"), hashed, actor=who, list_date=day)
    assert kept is not None and kept.hashed, _result.errors
    return services.run_match(kept, actor=who, user=who, key=key)


def test_lists_hashed_under_different_keys_are_told_apart(tmp_path):
    """The key's fingerprint is kept with the list and the run: a second key for the
    same list is refused, and two runs under different keys compare their unmatched
    rows by name, birth date and region instead of all new and all gone."""
    registrar = user()
    known = make_person(region=XINING)
    stranger = ["不在册", "11010519491231002X", "女", "1949-12-31", XINING, "2025-01-02"]
    one, two = (exchange.parse_key(exchange.new_key()) for _ in range(2))
    first = _hashed_run(tmp_path, "one", [[known.name, id_of(known), "", "", "", "2025-01-02"], stranger],
                        one, registrar, D(2025, 2, 1))
    assert first.matched_exact == 1
    assert first.key_fingerprint == first.department_list.key_fingerprint == exchange.fingerprint(one)
    assert exchange.fingerprint(one) != exchange.fingerprint(two)

    with pytest.raises(ValidationFailed) as refused:
        services.run_match(first.department_list, actor=registrar, user=registrar, key=two)
    assert [p.code for p in refused.value.problems] == ["key_differs"]
    assert "请使用部门生成名单时用的密钥" in refused.value.problems[0].message

    second = _hashed_run(tmp_path, "two", [stranger], two, registrar, D(2025, 3, 1))
    assert changes.hashes_differ(second, first)
    found = changes.compare(registrar, second, first)
    assert [(c.change, c.name) for c in found] == [("gone", known.name)]  # 不在册: listed both times
    same = _hashed_run(tmp_path, "three", [stranger, [known.name, id_of(known), "", "", "", "2025-01-02"]],
                       one, registrar, D(2025, 4, 1))
    assert not changes.hashes_differ(same, first) and changes.compare(registrar, same, first) == []
