"""The monthly payroll: worked cases (payment from the application month, back pay
across Qinghai's 100 → 120 change, stops after death, move and transfer, certificate
expiry, tekun), idempotence, the frozen approved payroll, totals and the bank file,
and the grant stops of the registry's and the matching app's paths."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from yangguang.audit.models import AuditEvent
from yangguang.benefits import payroll, policy, services
from yangguang.benefits.models import BenefitGrant, LineKind, Payroll, PayrollState
from yangguang.benefits.states import ApplicationAction as A
from yangguang.benefits.tests.conftest import ACTOR, WUTAI, take_steps
from yangguang.core.crypto import decrypt_id
from yangguang.core.errors import ValidationFailed
from yangguang.matching import effects
from yangguang.regions.models import Region
from yangguang.registry import rules as registry_rules
from yangguang.registry import services as registry

pytestmark = pytest.mark.django_db
D = dt.date
DIBAO = (("dibao", D(2024, 3, 1), None),)
FLOW = [A.REVIEW, A.CHECK_LEVEL, A.DECIDE, A.PUBLISH, A.GRANT]
DONGGUAN = "630102001001"  # 东关大街街道 北关社区, 城东区, 西宁市
LEJIAWAN = "630102100001"  # 乐家湾镇, 城东区
CHENGDONG = "630102000000"
TODAY = D(2026, 12, 6)


def region(code: str) -> Region:
    return Region.objects.get(pk=code.ljust(12, "0"))


NOV_20, DEC_5 = D(2024, 11, 20), D(2024, 12, 5)


def granted(p, programme="living_allowance", applied=NOV_20, decided=DEC_5):
    app = services.apply(p, programme, applicant_type="person", applied_on=applied, actor=ACTOR,
                         scope=None)
    take_steps(app, FLOW, decided)
    return BenefitGrant.objects.get(application=app)


def run(month, code=CHENGDONG, pol=None):
    return payroll.run_payroll(payroll.parse_month(month), region(code), actor=ACTOR, scope=None,
                               pol=pol, today=TODAY)


def approve(p):
    return payroll.approve_payroll(p, actor=ACTOR, scope=None)


def lines(p):
    return [(line.person_id, line.for_month.isoformat()[:7], line.kind, line.amount)
            for line in p.lines.order_by("person_id", "for_month", "kind")]


def codes(excinfo):
    return [problem.code for problem in excinfo.value.problems]


@pytest.fixture
def before_2025(tmp_path: Path) -> policy.Policies:
    """Qinghai's policies as they were before the 2025 standard was published: the
    100 / 50 version only."""
    root = tmp_path / "policies"
    shutil.copytree(policy.POLICY_DIR, root)
    path = root / "living_allowance" / "630000.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.rindex("[[versions]]")], encoding="utf-8")
    return policy.load(root)


# ---------------------------------------------------------------------------
# Worked cases


def test_payment_from_the_application_month(person):
    p = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    granted(p, applied=D(2024, 11, 20), decided=D(2024, 12, 5))
    first = run("2024-12")
    assert lines(first) == [(p.pk, "2024-11", LineKind.ARREARS, Decimal(100)),
                            (p.pk, "2024-12", LineKind.REGULAR, Decimal(100))]
    assert first.state == PayrollState.DRAFT
    approve(first)
    assert lines(run("2025-01")) == [(p.pk, "2025-01", LineKind.REGULAR, Decimal(120))]


def test_back_pay_when_the_standard_rises_after_payments_were_made(person, before_2025):
    """Qinghai raised the living allowance for levels 1–2 from 100 to 120 from
    2025-01-01, published in April: January to March were paid at 100; April pays 120
    and 20 for each of those months."""
    p = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    granted(p, applied=D(2024, 12, 3), decided=D(2024, 12, 20))
    for month in ("2024-12", "2025-01", "2025-02", "2025-03"):
        approve(run(month, pol=before_2025))
    april = run("2025-04")
    assert lines(april) == [(p.pk, "2025-01", LineKind.BACKPAY, Decimal(20)),
                            (p.pk, "2025-02", LineKind.BACKPAY, Decimal(20)),
                            (p.pk, "2025-03", LineKind.BACKPAY, Decimal(20)),
                            (p.pk, "2025-04", LineKind.REGULAR, Decimal(120))]
    backpay = april.lines.get(for_month=D(2025, 1, 1))
    assert (backpay.due, backpay.paid_before) == (Decimal(120), Decimal(100))
    assert backpay.note == "标准调整，应发120元，已发100元"
    assert payroll.totals_of(april)["total"]["paid"] == "180.00"
    approve(april)
    assert lines(run("2025-05")) == [(p.pk, "2025-05", LineKind.REGULAR, Decimal(120))]


def test_death_mid_month_is_paid_for_that_month_and_stops_from_the_next(person):
    p = person(region=DONGGUAN, level="一级", statuses=DIBAO)
    grant = granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    approve(run("2025-01"))
    registry.record_death(p, D(2025, 2, 15), actor=ACTOR)
    grant.refresh_from_db()
    assert (grant.stop_month, grant.stop_reason) == (D(2025, 3, 1), "死亡（2025-02-15）")
    feb = run("2025-02")
    assert lines(feb) == [(p.pk, "2025-02", LineKind.REGULAR, Decimal(120))]
    approve(feb)
    assert lines(run("2025-03")) == []
    assert AuditEvent.objects.filter(object_type="benefit_grant", object_id=str(grant.pk),
                                     data__cause="death").exists()


def test_a_death_recorded_after_months_were_paid_is_recovered(person):
    """The death certificate reaches the county late: February and March were paid;
    the April payroll takes March back (the month of death, February, is due)."""
    p = person(region=DONGGUAN, level="一级", statuses=DIBAO)
    grant = granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    for month in ("2025-01", "2025-02", "2025-03"):
        approve(run(month))
    registry.record_death(p, D(2025, 2, 15), actor=ACTOR)
    april = run("2025-04")
    assert lines(april) == [(p.pk, "2025-03", LineKind.RECOVERY, Decimal(-120))]
    assert "死亡（2025-02-15）" in april.lines.get().note
    totals = payroll.totals_of(april)["total"]
    assert (totals["paid"], totals["recover"], totals["persons"]) == ("0.00", "120.00", 0)
    grant.refresh_from_db()
    assert grant.stop_month == D(2025, 3, 1)


def test_a_death_the_payroll_finds_ends_the_grant_from_the_next_month(person):
    """A death written without the registry's service (an old import): the payroll run
    ends the grant itself, with the reason and the date."""
    p = person(region=DONGGUAN, level="一级", statuses=DIBAO)
    grant = granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    type(p).objects.filter(pk=p.pk).update(deceased_date=D(2025, 2, 15))
    assert lines(run("2025-03")) == [(p.pk, "2025-01", LineKind.ARREARS, Decimal(120)),
                                     (p.pk, "2025-02", LineKind.ARREARS, Decimal(120))]
    grant.refresh_from_db()
    assert (grant.stop_month, grant.stop_reason) == (D(2025, 3, 1), "死亡（2025-02-15）")


def test_hukou_moved_out_of_the_county_stops_from_the_next_month(person):
    p = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    grant = granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    registry.record_move_away(p, registry_rules.MoveAway(D(2025, 2, 10), "630103000000"),
                              actor=ACTOR, scope=None)
    grant.refresh_from_db()
    assert (grant.stop_month, grant.stop_reason) == (D(2025, 3, 1), "户籍迁出（2025-02-10）")
    assert [line[1] for line in lines(run("2025-03"))] == ["2025-01", "2025-02"]


def test_a_transfer_to_another_county_ends_the_grant_one_within_the_county_does_not(person):
    p = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    grant = granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    registry.transfer_hukou(p, LEJIAWAN, actor=ACTOR, scope=None)
    grant.refresh_from_db()
    assert grant.stop_month is None
    registry.transfer_hukou(p, "630103001003", actor=ACTOR, scope=None)
    grant.refresh_from_db()
    today = dt.date.today()
    assert grant.stop_month == services.month_after(today)
    assert grant.stop_reason.startswith("户籍迁往") and today.isoformat() in grant.stop_reason


def test_certificate_expiry_stops_from_the_month_after(person):
    p = person(region=DONGGUAN, level="二级", statuses=DIBAO, issued=D(2015, 3, 10))
    valid_until = p.certificates.get().valid_until
    assert D(2025, 1, 1) < valid_until < D(2025, 12, 1)
    grant = granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    paid = lines(run("2025-12"))
    grant.refresh_from_db()
    assert grant.stop_month == services.month_after(valid_until)
    assert grant.stop_reason == f"残疾人证有效期至{valid_until.isoformat()}，已过期"
    assert paid[-1][1] == valid_until.isoformat()[:7]


def test_entering_tekun_support_stops_both_subsidies_from_the_next_month(person):
    p = person(region=DONGGUAN, level="一级", statuses=DIBAO)
    living = granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    care = granted(p, "care_allowance", applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    registry.set_household_status(p.household, "tekun", D(2025, 2, 10), actor=ACTOR)
    march = run("2025-03")
    for grant in (living, care):
        grant.refresh_from_db()
        assert (grant.stop_month, grant.stop_reason) == (D(2025, 3, 1),
                                                         "纳入特困人员供养（2025-02-10 起）")
    assert {line[1] for line in lines(march)} == {"2025-01", "2025-02"}


def test_a_month_not_eligible_is_withheld_with_the_reasons(person):
    p = person(region=DONGGUAN, level="二级", statuses=(("dibao", D(2024, 3, 1), D(2025, 1, 31)),))
    granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    feb = run("2025-02")
    assert lines(feb) == [(p.pk, "2025-01", LineKind.ARREARS, Decimal(120)),
                          (p.pk, "2025-02", LineKind.WITHHELD, Decimal(0))]
    assert "家庭不是低保户" in feb.lines.get(kind=LineKind.WITHHELD).note


def test_a_placeholder_amount_is_withheld_never_paid_as_zero(person):
    p = person(region=WUTAI, level="二级", statuses=DIBAO)  # Shanxi: 122 from 2026, placeholder before
    granted(p, applied=D(2025, 10, 10), decided=D(2025, 10, 20))
    oct_ = run("2025-10", code=WUTAI)
    line = oct_.lines.get()
    assert (line.kind, line.due, line.amount) == (LineKind.WITHHELD, None, Decimal(0))
    assert "占位" in line.note


# ---------------------------------------------------------------------------
# Idempotence and the frozen payroll


def test_running_a_draft_again_replaces_it(person):
    p = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    granted(p)
    first = run("2024-12")
    again = run("2024-12")
    assert again.pk == first.pk and Payroll.objects.count() == 1
    assert lines(again) == [(p.pk, "2024-11", LineKind.ARREARS, Decimal(100)),
                            (p.pk, "2024-12", LineKind.REGULAR, Decimal(100))]
    events = AuditEvent.objects.filter(object_type="payroll", object_id=str(first.pk))
    assert [e.action for e in events.order_by("pk")] == ["create", "update"]


def test_an_approved_payroll_is_frozen_and_a_rerun_is_refused_in_chinese(person):
    p = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    granted(p)
    approved = approve(run("2024-12"))
    before = lines(approved)
    with pytest.raises(ValidationFailed) as e:
        run("2024-12")
    assert codes(e) == ["payroll_frozen"]
    assert e.value.problems[0].message.startswith("城东区2024-12的发放表已于")
    with pytest.raises(ValidationFailed) as e:
        approve(approved)
    assert codes(e) == ["payroll_approved"]
    assert lines(Payroll.objects.get(pk=approved.pk)) == before


def test_the_same_month_is_never_paid_twice_across_regions(person):
    p = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    granted(p)
    county = run("2024-12")
    township = run("2024-12", code="630102001000")
    assert lines(township) == lines(county)
    approve(township)
    with pytest.raises(ValidationFailed) as e:
        approve(county)
    assert codes(e) == ["payroll_stale"]
    assert lines(run("2024-12")) == []  # run again: nothing left to pay
    assert lines(run("2024-12", code="630000")) == []


def test_a_future_month_is_refused(person):
    with pytest.raises(ValidationFailed) as e:
        run("2027-01")
    assert codes(e) == ["payroll_future"]


# ---------------------------------------------------------------------------
# Totals and the bank file


def _two_townships(person):
    a = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    b = person(region=LEJIAWAN, level="一级", statuses=DIBAO)
    for p in (a, b):
        granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    granted(b, "care_allowance", applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    return a, b


def test_totals_by_township(person):
    a, b = _two_townships(person)
    totals = payroll.totals_of(run("2025-01"))
    assert [(r["code"], r["name"], r["persons"], r["paid"]) for r in totals["regions"]] == [
        ("630102001000", "东关大街街道", 1, Decimal(120)),
        ("630102100000", "乐家湾镇", 1, Decimal(220))]
    assert totals["total"] == {"persons": 2, "paid": "340.00", "recover": "0.00", "withheld": 0}


def test_the_bank_file_xlsx_and_csv_hold_the_id_numbers_and_the_export_is_audited(person, tmp_path):
    a, b = _two_townships(person)
    approved = approve(run("2025-01"))
    count = payroll.export_payroll(approved, tmp_path / "bank.xlsx", "xlsx", actor=ACTOR, scope=None)
    assert count == 3
    book = load_workbook(tmp_path / "bank.xlsx")
    detail = list(book["发放明细"].values)
    assert detail[0][0] == "城东区2025-01残疾人两项补贴等发放表（已审核）"
    assert detail[1][:5] == ("序号", "户籍地区划代码", "户籍地", "姓名", "公民身份号码")
    ids = {decrypt_id(p.id_number_encrypted): p for p in (a, b)}
    assert {row[4] for row in detail[2:]} == set(ids)
    assert sum(Decimal(str(row[7])) for row in detail[2:]) == Decimal(340)
    totals = list(book["按地区合计"].values)
    assert totals[-1][1:4] == ("合计", 2, 340)
    payroll.export_payroll(approved, tmp_path / "bank.csv", "csv", actor=ACTOR, scope=None)
    rows = list(csv.reader(io.StringIO((tmp_path / "bank.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][4] == "公民身份号码" and {r[4] for r in rows[1:4]} == set(ids)
    assert rows[4] == [] and rows[-1][:3] == ["合计", "", "合计"] and rows[-1][4] == "340.00"
    events = AuditEvent.objects.filter(object_type="payroll", action="export").order_by("pk")
    assert [(e.data["format"], e.data["rows"]) for e in events] == [("xlsx", 3), ("csv", 3)]
    assert not any(number in str(e.data) for e in events for number in ids)


# ---------------------------------------------------------------------------
# The command line


def test_the_command_runs_approves_refuses_and_exports(person, tmp_path, monkeypatch):
    p = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    out = io.StringIO()
    call_command("benefits", "payroll", "--month", "2025-01", "--region", "630102",
                 "--out", str(tmp_path / "jan.xlsx"), stdout=out)
    assert "城东区 2025-01 发放表（草稿）" in out.getvalue()
    assert "合计：1人，发放120.00元" in out.getvalue()
    assert (tmp_path / "jan.xlsx").exists()
    call_command("benefits", "payroll-approve", "--month", "2025-01", "--region", "630102",
                 stdout=io.StringIO())
    err = io.StringIO()
    with pytest.raises(SystemExit) as e:
        call_command("benefits", "payroll", "--month", "2025-01", "--region", "630102",
                     "--out", str(tmp_path / "again.csv"), stdout=io.StringIO(), stderr=err)
    assert e.value.code == 2 and "已于" in err.getvalue() and "不能重新生成" in err.getvalue()
    assert not (tmp_path / "again.csv").exists()
    call_command("benefits", "payroll-export", "--month", "2025-01", "--region", "630102",
                 "--out", str(tmp_path / "jan.csv"), stdout=io.StringIO())
    assert "120.00" in (tmp_path / "jan.csv").read_text(encoding="utf-8-sig")


# ---------------------------------------------------------------------------
# The matching app's hook


def test_the_matching_death_hook_ends_the_grants_once(person):
    p = person(region=DONGGUAN, level="一级", statuses=DIBAO)
    grant = granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    assert effects.stop_benefits_after_death(p, D(2025, 4, 2), actor=ACTOR) == "applied"
    grant.refresh_from_db()
    assert (grant.stop_month, grant.stop_reason) == (D(2025, 5, 1), "死亡（2025-04-02）")
    assert effects.stop_benefits_after_death(p, D(2025, 4, 2), actor=ACTOR) == "unchanged"


# ---------------------------------------------------------------------------
# Yearly and one-off programmes


WHEELCHAIR = (("motorized_wheelchair", D(2020, 1, 1), None, None),)


def fuel_person(person):
    return person(region=DONGGUAN, category="肢体", level="三级", facts=WHEELCHAIR)


def test_the_yearly_fuel_subsidy_is_paid_in_the_start_month_then_each_january_once(person):
    """The wheelchair fuel subsidy (260 a year, pay_month 1): the first year's payment in
    the month of the application (March), then nothing until January, then January's;
    running a month again, or a township's payroll of the same month, never pays a year
    twice."""
    p = fuel_person(person)
    grant = granted(p, "wheelchair_fuel", applied=D(2025, 3, 10), decided=D(2025, 3, 20))
    assert grant.unit == "year"
    april = run("2025-04")
    assert lines(april) == [(p.pk, "2025-03", LineKind.ARREARS, Decimal(260))]
    assert "2025年度（按年发放）" in april.lines.get().note
    assert lines(run("2025-04")) == lines(april)  # the draft again: the same one line
    approve(april)
    for month in ("2025-05", "2025-12"):
        assert lines(run(month)) == []
    january = run("2026-01")
    assert lines(january) == [(p.pk, "2026-01", LineKind.REGULAR, Decimal(260))]
    approve(january)
    assert lines(run("2026-02")) == []
    township = run("2026-01", code="630102001000")  # the township's, same month: paid already
    assert lines(township) == []


def test_a_yearly_payment_is_in_the_bank_file_and_the_totals(person, tmp_path):
    p = fuel_person(person)
    granted(p, "wheelchair_fuel", applied=D(2025, 3, 10), decided=D(2025, 3, 20))
    q = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    granted(q, applied=D(2025, 3, 10), decided=D(2025, 3, 20))
    march = approve(run("2025-03"))
    totals = payroll.totals_of(march)
    assert totals["total"] == {"persons": 2, "paid": "380.00", "recover": "0.00", "withheld": 0}
    payroll.export_payroll(march, tmp_path / "bank.csv", "csv", actor=ACTOR, scope=None)
    rows = list(csv.reader(io.StringIO((tmp_path / "bank.csv").read_text(encoding="utf-8-sig"))))
    paid = {(r[5], r[7]) for r in rows[1:3]}
    assert paid == {("残疾人机动轮椅车燃油补贴", "260.00"), ("困难残疾人生活补贴", "120.00")}
    assert rows[-1][4] == "380.00"


def test_a_yearly_grant_stopped_mid_year_keeps_that_year_and_gets_no_next(person):
    """A death in June: the year's payment (January's) is not taken back; the next
    January pays nothing."""
    p = fuel_person(person)
    granted(p, "wheelchair_fuel", applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    approve(run("2025-01"))
    registry.record_death(p, D(2025, 6, 15), actor=ACTOR)
    assert lines(run("2025-06")) == []
    assert lines(run("2026-01")) == []


@pytest.fixture
def device_500(tmp_path: Path) -> policy.Policies:
    """Qinghai's assistive-device subsidy with a known amount (500, once), where the
    shipped file has a placeholder."""
    root = tmp_path / "policies"
    shutil.copytree(policy.POLICY_DIR, root)
    path = root / "assistive_device" / "630000.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('amounts = [{ placeholder = true, note = "补贴标准未取得" }]',
                                 "amounts = [{ amount = 500 }]"), encoding="utf-8")
    return policy.load(root)


NEED = (("assistive_device_need", D(2024, 1, 1), None, None),)


def test_a_one_off_grant_is_paid_once_in_its_start_month(person, device_500):
    p = person(region=DONGGUAN, level="三级", facts=NEED)
    grant = granted(p, "assistive_device", applied=D(2025, 3, 10), decided=D(2025, 3, 20))
    assert grant.unit == "once"
    march = run("2025-03", pol=device_500)
    assert lines(march) == [(p.pk, "2025-03", LineKind.REGULAR, Decimal(500))]
    assert march.lines.get().note.startswith("一次性发放")
    approve(march)
    for month in ("2025-04", "2026-03", "2026-02"):
        assert lines(run(month, pol=device_500)) == []


def test_a_one_off_grant_of_unknown_amount_is_withheld_in_its_month_only(person):
    p = person(region=DONGGUAN, level="三级", facts=NEED)
    granted(p, "assistive_device", applied=D(2025, 3, 10), decided=D(2025, 3, 20))
    march = run("2025-03")
    line = march.lines.get()
    assert (line.kind, line.due, line.amount) == (LineKind.WITHHELD, None, Decimal(0))
    assert "占位" in line.note or "金额待定" in line.note
    approve(march)
    assert lines(run("2025-04")) == []


def test_the_back_pay_window_is_data(person, tmp_path):
    """backpay_months (programmes.toml) bounds how far back a payroll looks: with 2, a
    grant applied for in November is paid from January only when run in February."""
    root = tmp_path / "policies"
    shutil.copytree(policy.POLICY_DIR, root)
    path = root / "programmes.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("backpay_months = 12",
                                                             "backpay_months = 2"), encoding="utf-8")
    short = policy.load(root)
    p = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    granted(p, applied=D(2024, 11, 20), decided=D(2024, 12, 5))
    assert [line[1] for line in lines(run("2025-02", pol=short))] == ["2025-01", "2025-02"]
    assert [line[1] for line in lines(run("2025-02"))] == [
        "2024-11", "2024-12", "2025-01", "2025-02"]


# ---------------------------------------------------------------------------
# The paying county


CHENGZHONG = "630103000000"  # 城中区, 西宁市


def test_in_the_month_of_a_transfer_the_old_county_pays_and_the_new_one_from_the_next(person):
    """A person of 城东区 with the care allowance moves their hukou to 城中区 on
    2026-12-06 (today): 城东区's December payroll pays December (the grant's paying
    county, not the current hukou), 城中区's pays nothing for it; the application at
    城中区 in December is granted from January 2027, which 城中区 pays and 城东区 not."""
    p = person(region=DONGGUAN, level="一级")
    grant = granted(p, "care_allowance", applied=D(2026, 10, 12), decided=D(2026, 10, 20))
    assert grant.paying_region_id == CHENGDONG
    approve(run("2026-10"))
    approve(run("2026-11"))
    registry.transfer_hukou(p, "630103001003", actor=ACTOR, scope=None)
    grant.refresh_from_db()
    assert grant.stop_month == D(2027, 1, 1)
    old = run("2026-12")
    assert lines(old) == [(p.pk, "2026-12", LineKind.REGULAR, Decimal(100))]
    assert old.lines.get().region_id == CHENGDONG  # counted under the paying county
    assert payroll.totals_of(old)["regions"][0]["code"] == CHENGDONG
    assert lines(run("2026-12", code=CHENGZHONG)) == []
    assert lines(run("2026-12", code=DONGGUAN)) == []  # the township: no longer its hukou
    approve(old)
    p.refresh_from_db()
    app = services.apply(p, "care_allowance", applicant_type="person", applied_on=D(2026, 12, 6),
                         actor=ACTOR, scope=None)
    take_steps(app, FLOW, D(2026, 12, 7))
    new = BenefitGrant.objects.get(application=app)
    assert (new.paying_region_id, new.start_month) == (CHENGZHONG, D(2027, 1, 1))
    assert lines(run("2026-12", code=CHENGZHONG)) == []
    january = D(2027, 1, 5)
    paid_new = payroll.run_payroll(D(2027, 1, 1), region(CHENGZHONG), actor=ACTOR, scope=None,
                                   today=january)
    assert lines(paid_new) == [(p.pk, "2027-01", LineKind.REGULAR, Decimal(100))]
    assert lines(payroll.run_payroll(D(2027, 1, 1), region(CHENGDONG), actor=ACTOR, scope=None,
                                     today=january)) == []


# ---------------------------------------------------------------------------
# Corrections restart what an event ended


def _restarts(grant):
    return [e.data for e in AuditEvent.objects.filter(object_type="benefit_grant",
                                                      object_id=str(grant.pk), action="update")
            if e.data.get("action") == "restart"]


def test_a_withdrawn_move_away_restarts_the_grant_and_the_months_are_paid(person):
    p = person(region=DONGGUAN, level="一级")
    grant = granted(p, "care_allowance", applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    approve(run("2025-01"))
    registry.record_move_away(p, registry_rules.MoveAway(D(2025, 2, 10), "630103000000"),
                              actor=ACTOR, scope=None)
    grant.refresh_from_db()
    assert (grant.stop_month, grant.stop_cause, grant.stop_event_on) == (
        D(2025, 3, 1), "moved_away", D(2025, 2, 10))
    assert lines(approve(run("2025-03"))) == [(p.pk, "2025-02", LineKind.ARREARS, Decimal(100))]
    registry.record_move_away(p, None, actor=ACTOR, scope=None)  # recorded in error
    grant.refresh_from_db()
    assert (grant.stop_month, grant.stop_reason, grant.stop_cause) == (None, "", "")
    (event,) = _restarts(grant)
    assert (event["cause"], event["day"], event["correction"]) == (
        "moved_away", "2025-02-10", "move_withdrawn")
    assert event["stopped"] == {"stop_month": "2025-03", "reason": "户籍迁出（2025-02-10）"}
    assert lines(run("2025-04")) == [(p.pk, "2025-03", LineKind.ARREARS, Decimal(100)),
                                     (p.pk, "2025-04", LineKind.REGULAR, Decimal(100))]
    registry.record_move_away(p, None, actor=ACTOR, scope=None)  # nothing to withdraw: no-op
    assert len(_restarts(grant)) == 1


def test_a_death_corrected_to_a_later_day_pays_to_that_month(person):
    p = person(region=DONGGUAN, level="一级")
    grant = granted(p, "care_allowance", applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    approve(run("2025-01"))
    registry.record_death(p, D(2025, 2, 15), actor=ACTOR)
    approve(run("2025-03"))
    registry.correct_death(p, D(2025, 5, 20), actor=ACTOR, scope=None)
    grant.refresh_from_db()
    assert (grant.stop_month, grant.stop_event_on) == (D(2025, 6, 1), D(2025, 5, 20))
    assert grant.stop_reason == "死亡（2025-05-20）"
    assert [e["correction"] for e in _restarts(grant)] == ["death_corrected"]
    cancelled = p.certificates.get().history.get(reason="death")
    assert cancelled.effective_date == D(2025, 5, 20) and "2025-02-15" in cancelled.note
    assert lines(run("2025-06")) == [(p.pk, "2025-03", LineKind.ARREARS, Decimal(100)),
                                     (p.pk, "2025-04", LineKind.ARREARS, Decimal(100)),
                                     (p.pk, "2025-05", LineKind.ARREARS, Decimal(100))]


def test_a_death_recorded_in_error_restarts_and_pays_back_what_was_recovered(person):
    p = person(region=DONGGUAN, level="一级")
    grant = granted(p, "care_allowance", applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    approve(run("2025-03"))  # January to March paid
    registry.record_death(p, D(2025, 1, 25), actor=ACTOR)
    recovered = approve(run("2025-04"))
    assert [(line[1], line[2]) for line in lines(recovered)] == [
        ("2025-02", LineKind.RECOVERY), ("2025-03", LineKind.RECOVERY)]
    registry.correct_death(p, None, actor=ACTOR, scope=None)
    p.refresh_from_db()
    grant.refresh_from_db()
    assert p.deceased_date is None and grant.stop_month is None
    assert p.certificates.get().status == "valid"
    assert lines(run("2025-05")) == [(p.pk, "2025-02", LineKind.ARREARS, Decimal(100)),
                                     (p.pk, "2025-03", LineKind.ARREARS, Decimal(100)),
                                     (p.pk, "2025-04", LineKind.ARREARS, Decimal(100)),
                                     (p.pk, "2025-05", LineKind.REGULAR, Decimal(100))]
    events = AuditEvent.objects.filter(object_type="person", object_id=str(p.pk), action="update")
    assert any(e.data.get("correction") for e in events)


def test_a_transfer_back_to_the_paying_county_in_the_same_month_restarts_the_grant(person):
    p = person(region=DONGGUAN, level="一级")
    grant = granted(p, "care_allowance", applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    registry.transfer_hukou(p, "630103001003", actor=ACTOR, scope=None)
    grant.refresh_from_db()
    assert grant.stop_cause == "hukou_transfer"
    registry.transfer_hukou(p, DONGGUAN, actor=ACTOR, scope=None)  # the move was cancelled
    grant.refresh_from_db()
    assert grant.stop_month is None
    assert [e["correction"] for e in _restarts(grant)] == ["transfer_returned"]
