"""The in-memory catalog: lookups and birthplace rules, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from yangguang.regions import catalog
from yangguang.regions.models import RegionLevel

SEEDS = ("630000", "622900", "140922", "610103", "370781")


def test_county_resolves_by_6_and_12_digit_code() -> None:
    entry = catalog.lookup("630102")
    assert entry is not None
    assert entry == catalog.lookup("630102000000")
    assert (entry.code, entry.name, entry.level) == ("630102000000", "城东区", RegionLevel.COUNTY)
    assert entry.parent == "630100000000"
    assert entry.path == "63/6301/630102/"
    assert entry.is_current


@pytest.mark.parametrize(("code", "name", "level", "path"), [
    ("630000", "青海省", RegionLevel.PROVINCE, "63/"),
    ("630100", "西宁市", RegionLevel.PREFECTURE, "63/6301/"),
    ("622900", "临夏回族自治州", RegionLevel.PREFECTURE, "62/6229/"),
])
def test_province_and_prefecture_resolve_by_6_digit_code(
    code: str, name: str, level: int, path: str,
) -> None:
    entry = catalog.lookup(code)
    assert entry is not None
    assert (entry.name, entry.level, entry.path) == (name, level, path)


@pytest.mark.parametrize("code", ["", "63010", "6301020", "63010X", "6301020000001", "999999"])
def test_malformed_or_unknown_codes_resolve_to_none(code: str) -> None:
    assert catalog.lookup(code) is None


def test_historical_county_keeps_its_dates_and_parent() -> None:
    entry = catalog.lookup("632121")
    assert entry is not None
    assert entry.name == "平安县"
    assert entry.valid_until == dt.date(2013, 12, 31)
    assert not entry.is_current
    # Its prefecture, 海东地区, was itself replaced by 海东市 (630200) in 2013.
    assert entry.parent == "632100000000"
    assert catalog.full_name("632121") == "青海省海东地区平安县"


def test_renamed_county_keeps_former_name_and_stays_current() -> None:
    entry = catalog.lookup("630121")
    assert entry is not None
    assert entry.name == "大通回族土族自治县"
    assert entry.former_names == ("大通县",)
    assert entry.valid_until is None


def test_new_county_has_a_start_date() -> None:
    entry = catalog.lookup("630106")
    assert entry is not None
    assert (entry.name, entry.valid_from, entry.valid_until) == (
        "湟中区", dt.date(2019, 1, 1), None,
    )


def test_full_name_skips_grouping_units() -> None:
    assert catalog.full_name("630102") == "青海省西宁市城东区"
    assert catalog.full_name("110101") == "北京市东城区"  # not 北京市市辖区东城区
    assert catalog.full_name("630101") == "青海省西宁市市辖区"  # named alone, kept
    assert catalog.full_name("999999") == ""


def test_hong_kong_macao_taiwan_are_province_level() -> None:
    for code, name in [("710000", "台湾省"), ("810000", "香港特别行政区"),
                       ("820000", "澳门特别行政区")]:
        entry = catalog.lookup(code)
        assert entry is not None
        assert (entry.name, entry.level, entry.parent) == (name, RegionLevel.PROVINCE, None)


def test_city_without_counties_holds_its_townships() -> None:
    town = catalog.lookup("441900003")  # 东莞市东城街道
    assert town is not None
    assert town.level == RegionLevel.TOWNSHIP
    assert town.parent == "441900000000"
    assert town.path == "44/4419/441900003/"


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_jurisdictions_have_townships_and_villages(seed: str) -> None:
    root = catalog.lookup(seed)
    assert root is not None
    levels = {e.level for e in catalog.rows() if e.path.startswith(root.path)}
    assert {RegionLevel.TOWNSHIP, RegionLevel.VILLAGE} <= levels


def test_seed_village_chain() -> None:
    village = catalog.lookup("630102001001")
    assert village is not None
    assert village.level == RegionLevel.VILLAGE
    assert village.path == "63/6301/630102/630102001/630102001001/"
    assert [e.level for e in catalog.ancestors("630102001001")] == [1, 2, 3, 4, 5]


def test_rows_put_parents_before_children() -> None:
    seen: set[str] = set()
    counts = dict.fromkeys(RegionLevel.values, 0)
    for entry in catalog.rows():
        assert entry.parent is None or entry.parent in seen
        seen.add(entry.code)
        counts[entry.level] += 1
    assert counts[RegionLevel.PROVINCE] == 34  # 31 + HK, Macao, Taiwan
    assert counts[RegionLevel.COUNTY] > 2800
    assert counts[RegionLevel.TOWNSHIP] > 40_000


class TestBirthplace:
    def test_current_code_is_valid_for_any_birth_year(self) -> None:
        assert catalog.birthplace_valid("630102", 1930)
        assert catalog.birthplace_valid("630102", 2020)

    def test_code_abolished_after_birth_is_valid(self) -> None:
        assert catalog.birthplace_valid("632121", 1980)  # 平安县, until 2013

    def test_code_abolished_in_the_birth_year_is_valid(self) -> None:
        assert catalog.birthplace_valid("632121", 2013)

    def test_code_abolished_before_birth_is_invalid(self) -> None:
        assert not catalog.birthplace_valid("632121", 2014)
        assert not catalog.birthplace_valid("632100", 2015)  # 海东地区

    def test_code_created_after_birth_is_valid(self) -> None:
        # The ID may have been issued, or re-registered, after 湟中区 existed.
        assert catalog.birthplace_valid("630106", 1980)

    def test_province_and_prefecture_codes_are_valid(self) -> None:
        assert catalog.birthplace_valid("630000", 1970)
        assert catalog.birthplace_valid("630100", 1970)
        assert catalog.birthplace_valid("810000", 1960)

    def test_unknown_or_non_county_codes_are_invalid(self) -> None:
        assert not catalog.birthplace_valid("639999", 1980)
        assert not catalog.birthplace_valid("630102001", 1980)
        assert not catalog.birthplace_valid("630102000000", 1980)
