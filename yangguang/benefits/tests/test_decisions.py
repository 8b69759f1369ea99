"""Worked cases of each rule: levels, categories, ages, household status, each
exclusion, dates either side of a standard change, death."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from yangguang.audit.models import AuditEvent
from yangguang.benefits import rules
from yangguang.benefits.tests.conftest import ACTOR, BEILIN, LINXIA, QINGZHOU, WUTAI, XINING
from yangguang.registry import services as registry
from yangguang.registry.models import StatusReason
from yangguang.registry.rules import certified_q

pytestmark = pytest.mark.django_db
D = dt.date
DIBAO = (("dibao", D(2024, 3, 1), None),)


def decision(person, key, on):
    (found,) = rules.decide(person, on, [key])
    return found


def test_qinghai_living_allowance_rises_from_100_to_120_on_2025_01_01(person):
    p = person(region=XINING, level="二级", statuses=DIBAO)
    before, after = decision(p, "living_allowance", D(2024, 12, 31)), decision(p, "living_allowance", D(2025, 1, 1))
    assert (before.eligible, before.amount, after.eligible, after.amount) == (True, Decimal(100), True, Decimal(120))
    assert "家庭为低保户（2024-03 起）" in after.reasons
    assert "二级肢体残疾，每月120元" in after.reasons


def test_qinghai_living_allowance_level_3_is_70_from_2025(person):
    p = person(region=XINING, level="三级", statuses=DIBAO)
    assert decision(p, "living_allowance", D(2025, 6, 1)).amount == Decimal(70)
    assert decision(p, "living_allowance", D(2024, 6, 1)).amount == Decimal(50)


def test_living_allowance_needs_a_dibao_household_on_the_day(person):
    p = person(region=XINING, statuses=(("dibao", D(2024, 3, 1), D(2024, 12, 31)),))
    assert decision(p, "living_allowance", D(2024, 12, 31)).eligible
    gone = decision(p, "living_allowance", D(2025, 1, 1))
    assert not gone.eligible and gone.amount is None
    assert "家庭不是低保户" in gone.reasons


def test_care_allowance_levels_1_and_2_only_in_qinghai(person):
    assert decision(person(region=XINING, level="一级"), "care_allowance", D(2025, 6, 1)).amount == Decimal(100)
    refused = decision(person(region=XINING, level="三级", category="智力"), "care_allowance", D(2025, 6, 1))
    assert not refused.eligible
    assert "三级智力残疾，不在范围内（须为：一级、二级残疾）" in refused.reasons


def test_shanxi_extends_care_to_level_3_and_4_intellectual_and_mental_at_half_rate_from_2026(person):
    p = person(region=WUTAI, level="三级", category="精神")
    assert not decision(p, "care_allowance", D(2025, 12, 31)).eligible
    assert decision(p, "care_allowance", D(2026, 1, 1)).amount == Decimal(61)
    assert decision(person(region=WUTAI, level="二级"), "care_allowance", D(2026, 1, 1)).amount == Decimal(122)
    assert not decision(person(region=WUTAI, level="三级"), "care_allowance", D(2026, 1, 1)).eligible


def test_an_unknown_standard_is_a_placeholder_never_zero(person):
    p = person(region=WUTAI, statuses=DIBAO)
    found = decision(p, "living_allowance", D(2025, 6, 1))
    assert (found.eligible, found.amount, found.placeholder) == (True, None, True)
    assert found.as_json()["amount"] is None
    assert any(r.startswith("金额待定（占位）") for r in found.reasons)
    assert decision(person(region=QINGZHOU, statuses=DIBAO), "living_allowance", D(2025, 6, 1)).placeholder


def test_shaanxi_2016_living_allowance_by_age_band(person):
    child = person(region=BEILIN, birth=D(2010, 1, 1), statuses=DIBAO)
    adult = person(region=BEILIN, birth=D(1980, 1, 1), statuses=DIBAO)
    assert decision(child, "living_allowance", D(2025, 6, 1)).amount == Decimal(100)
    assert decision(adult, "living_allowance", D(2025, 6, 1)).amount == Decimal(60)
    assert decision(child, "living_allowance", D(2028, 1, 1)).amount == Decimal(60)  # 18 by then


def test_tekun_support_excludes_both_subsidies(person):
    p = person(region=XINING, level="一级", statuses=(*DIBAO, ("tekun", D(2025, 2, 1), None)))
    assert decision(p, "living_allowance", D(2025, 1, 31)).eligible
    for key in ("living_allowance", "care_allowance"):
        found = decision(p, key, D(2025, 2, 1))
        assert not found.eligible
        assert "家庭为特困供养家庭（2025-02 起），不能同时享受" in found.reasons


def test_work_injury_care_fee_excludes_both(person):
    p = person(region=XINING, level="一级", statuses=DIBAO,
               facts=(("work_injury_care_fee", D(2024, 1, 1), None, 900),))
    assert not decision(p, "living_allowance", D(2025, 6, 1)).eligible
    assert not decision(p, "care_allowance", D(2025, 6, 1)).eligible


def test_orphan_support_excludes_the_living_allowance_only(person):
    p = person(region=XINING, level="一级", birth=D(2012, 1, 1), statuses=DIBAO,
               facts=(("orphan_support", D(2020, 1, 1), None, 1200),))
    living = decision(p, "living_allowance", D(2025, 6, 1))
    assert not living.eligible
    assert "享受孤儿基本生活保障（2020-01 起），不能同时享受" in living.reasons
    assert decision(p, "care_allowance", D(2025, 6, 1)).eligible


def test_elderly_care_allowance_the_higher_one(person):
    higher = person(region=XINING, level="一级", facts=(("elderly_care_allowance", D(2024, 1, 1), None, 150),))
    lower = person(region=XINING, level="一级", facts=(("elderly_care_allowance", D(2024, 1, 1), None, 80),))
    refused = decision(higher, "care_allowance", D(2025, 6, 1))
    assert not refused.eligible
    assert "享受老年人护理补贴每月150元（2024-01 起），不低于本补贴，择高享受" in refused.reasons
    assert decision(lower, "care_allowance", D(2025, 6, 1)).amount == Decimal(100)


def test_death_ends_eligibility_on_the_day(person):
    p = person(region=XINING, level="一级", died=D(2025, 5, 10))
    assert decision(p, "care_allowance", D(2025, 5, 9)).eligible
    found = decision(p, "care_allowance", D(2025, 5, 10))
    assert not found.eligible and "已于2025-05-10死亡" in found.reasons


def test_an_expired_certificate_ends_eligibility(person):
    p = person(region=XINING, level="一级", issued=D(2014, 1, 1))
    assert decision(p, "care_allowance", D(2023, 12, 31)).eligible
    assert not decision(p, "care_allowance", D(2024, 1, 2)).eligible


def test_a_frozen_certificate_pays_nothing_until_restored_and_a_cancelled_one_ends_after_its_day(person):
    """The registry's rule says held (a freeze or cancellation takes effect after its
    day; frozen is still held there); benefits add: not frozen."""
    p = person(region=XINING, level="一级")
    registry.freeze_certificate(p.certificates.get(), reason=StatusReason.MOVED_AWAY, day=D(2025, 3, 10),
                                actor=ACTOR)
    assert decision(p, "care_allowance", D(2025, 3, 10)).eligible
    frozen = decision(p, "care_allowance", D(2025, 3, 11))
    assert not frozen.eligible and "2025-03-11没有有效的残疾人证" in frozen.reasons
    assert type(p).objects.filter(certified_q(D(2025, 3, 11)), pk=p.pk).exists()  # the registry: certified
    registry.restore_certificate(p.certificates.get(), day=D(2025, 5, 1), actor=ACTOR)
    assert not decision(p, "care_allowance", D(2025, 5, 1)).eligible
    assert decision(p, "care_allowance", D(2025, 5, 2)).eligible
    registry.cancel_certificate(p.certificates.get(), reason=StatusReason.NO_LONGER_ELIGIBLE, day=D(2025, 8, 1),
                                actor=ACTOR)
    assert decision(p, "care_allowance", D(2025, 8, 1)).eligible
    assert not decision(p, "care_allowance", D(2025, 8, 2)).eligible
    screened = {d.person_id for d in rules.screen(type(p).objects.all(), "care_allowance", D(2025, 3, 11),
                                                  eligible=True)}
    assert p.pk not in screened


def test_child_rehabilitation_0_to_17_in_qinghai_0_to_6_elsewhere(person):
    qinghai = person(region=XINING, category="智力", birth=D(2015, 1, 1), statuses=DIBAO)
    shandong = person(region=QINGZHOU, category="智力", birth=D(2015, 1, 1), statuses=DIBAO)
    assert decision(qinghai, "child_rehabilitation", D(2025, 6, 1)).eligible
    refused = decision(shandong, "child_rehabilitation", D(2025, 6, 1))
    assert not refused.eligible and "10周岁（2015-01-01出生），不在0至6周岁范围内" in refused.reasons


def test_free_transport_only_where_adopted(person):
    linxia = person(region=LINXIA, level="一级")
    assert decision(linxia, "free_transport", D(2025, 6, 1)).eligible
    assert decision(linxia, "free_transport", D(2025, 6, 1)).unit == "none"
    elsewhere = decision(person(region=XINING, level="一级"), "free_transport", D(2025, 6, 1))
    assert not elsewhere.eligible and "未实行该项目" in elsewhere.reasons[0]


def test_wheelchair_fuel_needs_a_recorded_vehicle_and_physical_disability(person):
    p = person(region=XINING, category="肢体", facts=(("motorized_wheelchair", D(2022, 4, 1), None, None),))
    assert decision(p, "wheelchair_fuel", D(2025, 6, 1)).amount == Decimal(260)
    assert not decision(person(region=XINING, category="肢体"), "wheelchair_fuel", D(2025, 6, 1)).eligible


def test_check_command_prints_every_programme_as_one_object(person):
    p = person(region=XINING, level="二级", statuses=DIBAO)
    out = StringIO()
    call_command("benefits", "check", "--person", str(p.pk), "--on", "2025-06-01", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["person_id"] == p.pk and data["on"] == "2025-06-01"
    care = next(x for x in data["programmes"] if x["programme"] == "care_allowance")
    assert (care["name"], care["eligible"], care["amount"]) == ("重度残疾人护理补贴", True, 100)
    assert [x["programme"] for x in data["programmes"]][:2] == ["living_allowance", "care_allowance"]
    assert AuditEvent.objects.filter(object_type="benefit_decision", person_id=p.pk).exists()


def test_the_latest_annual_survey_answers_pension_enrolment(person):
    p = person(region=XINING, level="一级", birth=D(1985, 1, 1), issued=D(2022, 1, 1),
               survey={"year": 2025, "reached": True, "pension_insurance": "paying"})
    before = decision(p, "pension_premium", D(2024, 6, 1))
    assert not before.eligible and "没有登记：参加城乡居民基本养老保险" in before.reasons
    found = decision(p, "pension_premium", D(2025, 6, 1))
    assert (found.eligible, found.placeholder) == (True, True)
    assert "参加城乡居民基本养老保险（2025-01 起）" in found.reasons


def test_check_finds_the_person_by_id_number_and_screen_lists_the_eligible(person):
    from yangguang.core.crypto import decrypt_id

    p = person(region=XINING, level="一级", statuses=DIBAO)
    person(region=XINING, level="四级")  # no dibao: not eligible for the living allowance
    out = StringIO()
    call_command("benefits", "check", "--person", decrypt_id(p.id_number_encrypted), "--on", "2025-06-01",
                 "--json", stdout=out)
    assert json.loads(out.getvalue())["person_id"] == p.pk
    out = StringIO()
    call_command("benefits", "screen", "--programme", "living_allowance", "--region", "630000",
                 "--on", "2025-06-01", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["programme"], data["on"]) == ("living_allowance", "2025-06-01")
    assert [x["person_id"] for x in data["eligible_not_receiving"]] == [p.pk]
    assert data["receiving_not_eligible"] == []
    assert "家庭为低保户（2024-03 起）" in data["eligible_not_receiving"][0]["reasons"]


def test_shanxi_care_extension_counts_a_multiple_disability_by_its_intellectual_or_mental_component(person):
    """「含三、四级智力、精神在内的多重残疾人」: a 多重 certificate whose components include
    intellectual or mental level 3–4 gets Shanxi's half rate; one without, or a rule
    that does not count components (Qinghai's levels 1–2), does not."""
    on = D(2026, 3, 1)
    with_intellectual = person(region=WUTAI, category="多重", level="三级", components="智力三级；肢体四级")
    found = decision(with_intellectual, "care_allowance", on)
    assert (found.eligible, found.amount) == (True, Decimal(61))
    assert "三级多重残疾（含三级智力残疾）" in found.reasons
    assert "三级多重残疾，每月61元" in found.reasons
    with_mental = person(region=WUTAI, category="多重", level="四级", components="精神四级；听力四级")
    assert decision(with_mental, "care_allowance", on).amount == Decimal(61)
    without = person(region=WUTAI, category="多重", level="三级", components="视力三级；肢体三级")
    refused = decision(without, "care_allowance", on)
    assert not refused.eligible
    wanted = "一级、二级残疾；三级、四级智力残疾、精神残疾（含以此为一类的多重残疾）"
    assert f"三级多重残疾，不在范围内（须为：{wanted}）" in refused.reasons
    severe = person(region=WUTAI, category="多重", level="二级", components="肢体二级；智力三级")
    assert decision(severe, "care_allowance", on).amount == Decimal(122)  # by its level: the full rate
    assert not decision(with_intellectual, "care_allowance", D(2025, 12, 31)).eligible  # before the extension
    qinghai = person(region=XINING, category="多重", level="三级", components="智力三级；肢体四级")
    assert not decision(qinghai, "care_allowance", on).eligible
    screened = {d.person_id: d for d in rules.screen(type(qinghai).objects.all(), "care_allowance", on)}
    assert [screened[p.pk].amount for p in (with_intellectual, with_mental, without, severe, qinghai)] == [
        Decimal(61), Decimal(61), None, Decimal(122), None]
    assert screened[with_intellectual.pk].reasons == found.reasons


def test_a_certificate_counts_on_its_issue_day(person):
    """Its status change of issue is dated that day and takes effect after it: no status
    before the day is not a freeze (both evaluations; found by the agreement test)."""
    p = person(region=XINING, level="一级", issued=D(2025, 8, 11))
    on_the_day = decision(p, "care_allowance", D(2025, 8, 11))
    assert on_the_day.eligible and "持有效残疾人证（2025-08-11发证，有效期至2035-08-11）" in on_the_day.reasons
    screened = {d.person_id for d in rules.screen(type(p).objects.all(), "care_allowance", D(2025, 8, 11),
                                                  eligible=True)}
    assert p.pk in screened
