"""Policy files are checked at start: a clear error naming the file and the field."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.utils import translation

from yangguang.benefits import policy


def copy(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(policy.POLICY_DIR, root)
    return root


def test_the_shipped_policies_load():
    loaded = policy.load()
    assert {"living_allowance", "care_allowance", "child_rehabilitation"} <= set(loaded.programmes)


@pytest.mark.parametrize(("edit", "file", "field"), [
    (lambda t: t.replace("amount = 120", "amount = -1"), "living_allowance/630000.toml",
     "versions[1].amounts[0].amount"),
    (lambda t: t.replace('test = "household_status"', 'test = "wealth"'), "living_allowance/000000.toml",
     "versions[0].conditions.hardship.test"),
    (lambda t: t.replace("from = 2025-01-01", 'from = "soon"'), "living_allowance/630000.toml", "versions[1].from"),
    (lambda t: t.replace('statuses = ["dibao"]', 'statuses = ["rich"]'), "living_allowance/000000.toml",
     "versions[0].conditions.hardship.statuses[0]"),
    (lambda t: t.replace('jurisdiction = "630000"', 'jurisdiction = "630100"'), "care_allowance/630000.toml",
     "jurisdiction"),
    (lambda t: t.replace('name_en = "Care allowance for severely disabled persons"\n', ""),
     "programmes.toml", "programmes[1].name_en"),
    (lambda t: t.replace("backpay_months = 12", "backpay_months = 0"), "programmes.toml",
     "payroll.backpay_months"),
    (lambda t: t.replace("backpay_months = 12", "backpay_months = 12\nlimit = 3"), "programmes.toml",
     "payroll.limit"),
    (lambda t: t.replace("pay_month = 1", "pay_month = 13"), "programmes.toml",
     "programmes[3].pay_month"),
    # A programme paid yearly must say in which month: the fuel subsidy without one.
    (lambda t: t.replace('paid yearly"\npay_month = 1\n', 'paid yearly"\n'), "programmes.toml",
     None),
    # counting a 多重 certificate by its components needs the categories looked for
    (lambda t: t.replace("{ levels = [3, 4], categories = [5, 6], components = true }",
                         "{ levels = [3, 4], components = true }"), "care_allowance/140000.toml",
     "versions[1].conditions.severity.any_of[1].components"),
])
def test_a_broken_file_names_the_file_and_the_field(tmp_path, edit, file, field):
    root = copy(tmp_path)
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert edit(text) != text
    path.write_text(edit(text), encoding="utf-8")
    if field is None:
        file, field = "wheelchair_fuel/000000.toml", "versions[0].unit"
    with pytest.raises(policy.PolicyError) as caught:
        policy.load(root)
    assert (caught.value.file, caught.value.field) == (file, field)
    assert f"policies/{file}: {field}:" in str(caught.value)


def test_programme_names_and_descriptions_follow_the_language():
    care = policy.load().programmes["care_allowance"]
    with translation.override("zh-hans"):
        assert (care.name, care.description[:5]) == ("重度残疾人护理补贴", "因残疾产生")
    with translation.override("en"):
        assert care.name == "Care allowance for severely disabled persons"
        assert care.description.startswith("Extra long-term care costs")
    assert all(p.name_en and p.description_en for p in policy.load().programmes.values())


def test_a_county_inherits_and_overrides_by_condition_name():
    loaded = policy.load()
    datong = policy.resolve(loaded, "living_allowance", "140212", dt.date(2026, 3, 1))
    assert datong.jurisdiction == "140200"
    assert datong.conditions["hardship"]["statuses"] == ["dibao", "near_dibao"]  # Datong's own
    assert datong.amounts == ({"amount": 122},)  # Shanxi's
    assert [v.jurisdiction for v in datong.versions] == ["000000", "140000", "140200"]


def test_a_programme_without_a_file_above_the_region_is_not_in_force():
    assert policy.resolve(policy.load(), "free_transport", "630102", dt.date(2025, 1, 1)) is None


def test_the_back_pay_window_and_the_yearly_pay_months_are_data():
    """Not constants in the payroll's code: programmes.toml says how far back a payroll
    looks (a platform decision, docs/benefits.md) and when yearly programmes pay."""
    loaded = policy.load()
    assert loaded.backpay_months == 12
    assert {k: p.pay_month for k, p in loaded.programmes.items() if p.pay_month} == {
        "pension_premium": 1, "child_rehabilitation": 1, "wheelchair_fuel": 1}
