"""The catalogue's household, benefit, service and township entries on the hand-built
world (conftest.py ``more``), each expected value worked out by hand below; the
snapshot's new tables carry no names, ID numbers or household numbers."""

from __future__ import annotations

from decimal import Decimal as D

import pyarrow.parquet as pq
import pytest

from yangguang.analytics import catalogue, engine, snapshot
from yangguang.analytics.tests.conftest import AS_OF
from yangguang.regions.models import RegionLevel
from yangguang.registry.models import Household, Person

COUNTY, TAICHENG, GENGZHEN = "140922", "140922100000", "140922102000"


@pytest.fixture
def rows(more, tmp_path):
    snapshot.write(AS_OF, tmp_path)
    return {(r.indicator.catalogue_key, r.region_code): r for r in engine.compute(more, AS_OF, tmp_path)}


def _triple(row):
    return row.value, row.numerator, row.denominator


@pytest.mark.django_db
def test_income_growth(rows):
    # 2024 households: H1 max(12,000, 10,000) = 12,000 (台城), P3 alone 6,000 (台城), H2 12,000 (耿镇)
    # → mean 30,000 / 3 = 10,000; 2023: H1 10,000, H2 8,000 → 9,000; growth 1,000 / 9,000 = 11.11 %
    assert _triple(rows["income_growth", COUNTY]) == (D("11.11"), D("10000.00"), D("9000.00"))
    # 台城: (12,000 + 6,000) / 2 = 9,000 against 10,000 → −10 %; 耿镇: 12,000 against 8,000 → +50 %
    assert _triple(rows["income_growth", TAICHENG]) == (D("-10.00"), D("9000.00"), D("10000.00"))
    assert _triple(rows["income_growth", GENGZHEN]) == (D("50.00"), D("12000.00"), D("8000.00"))
    # a relative target with no GDP growth entered for the region: no data to compare with
    assert rows["income_growth", COUNTY].status == "no_data"


@pytest.mark.django_db
def test_dibao_coverage(rows):
    # den: P1, P2 (H1 低保 on the day) and P4 (level 2 in a 低保边缘 household: meets the
    # 单人户施保 conditions); num: P1, P2 → 2/3
    assert _triple(rows["dibao_coverage", COUNTY]) == (D("66.67"), 2, 3)
    assert _triple(rows["dibao_coverage", TAICHENG]) == (D("100.00"), 2, 2)
    assert _triple(rows["dibao_coverage", GENGZHEN]) == (D("0.00"), 0, 1)
    assert rows["dibao_coverage", GENGZHEN].status == "at_risk"  # target 100, binding? during the period


@pytest.mark.django_db
def test_living_and_care_allowance_coverage(rows):
    # living allowance: eligible P1, P2 (低保 household); receiving P1 (P2 stopped in March,
    # P3 receives without being eligible: not counted) → 1/2
    assert _triple(rows["living_allowance_coverage", COUNTY]) == (D("50.00"), 1, 2)
    assert _triple(rows["living_allowance_coverage", TAICHENG]) == (D("50.00"), 1, 2)
    assert rows["living_allowance_coverage", GENGZHEN].status == "no_data"  # nobody eligible
    # care allowance: eligible P1 (level 1), P4 (level 2); receiving P1 (P4 from July) → 1/2
    assert _triple(rows["care_allowance_coverage", COUNTY]) == (D("50.00"), 1, 2)
    assert _triple(rows["care_allowance_coverage", TAICHENG]) == (D("100.00"), 1, 1)
    assert _triple(rows["care_allowance_coverage", GENGZHEN]) == (D("0.00"), 0, 1)


@pytest.mark.django_db
def test_home_modification_households(rows):
    # H1 (P1 level 1, done 2023-05, 低保): counted once although P2 was done too (level 3);
    # H2: P4's was before 2021 and the other is ongoing; P3: level 4, no household → 1
    assert _triple(rows["home_modification_households", COUNTY]) == (1, 1, None)
    assert _triple(rows["home_modification_households", TAICHENG]) == (1, 1, None)
    assert _triple(rows["home_modification_households", GENGZHEN]) == (0, 0, None)
    # cumulative 120 over 2021–2025: behind
    assert rows["home_modification_households", COUNTY].status == "at_risk"


@pytest.mark.django_db
def test_township_service_coverage(more, tmp_path):
    snapshot.write(AS_OF, tmp_path)
    con = engine.connect("duckdb", tmp_path)
    found = engine.sums(con, catalogue.CATALOGUE["township_service_coverage"], as_of=AS_OF, start_year=2021,
                        options={}, levels=[RegionLevel.COUNTY, RegionLevel.TOWNSHIP])
    result = catalogue.CATALOGUE["township_service_coverage"].result
    # 五台县 has 14 townships; only 台城 has an active, designated 残疾人之家 (耿镇's is closed,
    # its other provider is a rehabilitation station) → 1/14
    assert result(found[COUNTY]) == (D("7.14"), 1, 14)
    assert result(found["140922100"]) == (D("100.00"), 1, 1)
    assert result(found["140922102"]) == (D("0.00"), 0, 1)
    # counting rehabilitation stations too (a plan's option) covers 耿镇 as well → 2/14
    wider = engine.sums(con, catalogue.CATALOGUE["township_service_coverage"], as_of=AS_OF, start_year=2021,
                        options={"provider_kinds": ["community_centre", "rehabilitation"]},
                        levels=[RegionLevel.COUNTY])
    assert result(wider[COUNTY]) == (D("14.29"), 2, 14)


@pytest.mark.django_db
def test_new_tables_have_no_names_numbers_or_ids(more, tmp_path):
    snapshot.write(AS_OF, tmp_path)
    secrets = {str(pk) for pk in Person.objects.values_list("pk", flat=True)}
    secrets |= set(Person.objects.values_list("name", flat=True))
    secrets |= set(Household.objects.values_list("number", flat=True))
    for name in snapshot.TABLES:
        table = pq.read_table(tmp_path / f"{name}.parquet")
        assert not {"name", "id_number", "number", "person_id", "household_id", "id"} & set(table.column_names)
        for column in table.columns:
            if column.type == "string":  # (small database ids would match levels and ages)
                assert not {str(v) for v in column.to_pylist()} & secrets, (name, column._name)
    persons = pq.read_table(tmp_path / "persons.parquet")
    households = pq.read_table(tmp_path / "households.parquet")
    # households are keyed like persons: a pseudonym the persons table points to
    assert set(households["household_key"].to_pylist()) <= set(persons["household_key"].to_pylist())
    assert households.num_rows == 2
