"""scripts/build_region_data.py on a miniature copy of its two sources."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "build_region_data.py"

DIST = {
    "provinces.csv": 'code,name\n63,"青海省"\n44,"广东省"\n',
    "cities.csv": 'code,name,provinceCode\n6301,"西宁市",63\n6302,"海东市",63\n'
                  '4419,"东莞市",44\n',
    "areas.csv": 'code,name,cityCode,provinceCode\n630102,"城东区",6301,63\n'
                 '630121,"大通回族土族自治县",6301,63\n630203,"平安区",6302,63\n'
                 '441900,"东莞市",4419,44\n',
    "streets.csv": 'code,name,areaCode,provinceCode,cityCode\n'
                   '630102001,"东关大街街道",630102,63,6301\n'
                   '441900003,"东城街道",441900,44,4419\n',
    "villages.csv": 'code,name,streetCode,provinceCode,cityCode,areaCode\n'
                    '630102001001,"北关社区居民委员会",630102001,63,6301,630102\n'
                    '441900003001,"某社区居委会",441900003,44,4419,441900\n',
}
LOC_DAT = """\
# test copy
63 province="青海省"
  0000 county="青海省"
  0100 county="西宁市"
  0102 county="[1983-]城东区"
  0121 county="[-1984]大通县,[1985-]大通回族土族自治县"
  0200 county="[2013-]海东市"
  0203 county="[2015-]平安区"
  2100 county="[-2013]海东地区"
  2121 county="[-2013]平安县"
  2921 county="[-1990]某县"
44 province="广东省"
  1900 county="[1988-]东莞市"
81 province="香港特別行政區"
  0000 county="[1997-]香港特别行政区"
"""


@pytest.fixture(scope="module")
def build() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("build_region_data", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.fixture
def built(build: ModuleType, tmp_path: Path) -> dict[str, dict[str, str]]:
    dist = tmp_path / "package" / "dist"
    dist.mkdir(parents=True)
    for name, text in DIST.items():
        (dist / name).write_text(text, encoding="utf-8")
    loc = tmp_path / "loc.dat"
    loc.write_text(LOC_DAT, encoding="utf-8")
    out = tmp_path / "regions.csv.gz"
    assert build.main([str(tmp_path / "package"), "--out", str(out), "--loc-dat", str(loc),
                       "--villages", "63"]) == 0
    with gzip.open(out, "rb") as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8"))
        assert tuple(reader.fieldnames or ()) == build.COLUMNS
        return {row["code"]: row for row in reader}


def test_output_is_sorted_and_complete(built: dict[str, dict[str, str]]) -> None:
    assert list(built) == sorted(built)
    assert built["630102000000"]["parent"] == "630100000000"
    assert built["630102001001"]["level"] == "5"


def test_villages_only_under_the_chosen_prefixes(built: dict[str, dict[str, str]]) -> None:
    assert "630102001001" in built
    assert "441900003001" not in built
    assert "441900003000" in built  # townships ship everywhere


def test_city_without_counties_is_not_duplicated(built: dict[str, dict[str, str]]) -> None:
    assert built["441900000000"]["level"] == "2"
    assert built["441900003000"]["parent"] == "441900000000"


def test_loc_dat_adds_history(built: dict[str, dict[str, str]]) -> None:
    pingan = built["632121000000"]
    assert (pingan["name"], pingan["parent"], pingan["valid_from"], pingan["valid_until"]) == (
        "平安县", "632100000000", "", "2013-12-31",
    )
    assert built["630121000000"]["former_names"] == "大通县"
    assert built["630121000000"]["valid_until"] == ""
    assert built["630203000000"]["valid_from"] == "2015-01-01"


def test_orphan_county_hangs_on_the_province(built: dict[str, dict[str, str]]) -> None:
    assert built["632921000000"]["parent"] == "630000000000"


def test_hong_kong_is_added_with_simplified_name(built: dict[str, dict[str, str]]) -> None:
    hk = built["810000000000"]
    assert (hk["name"], hk["level"], hk["parent"], hk["valid_from"]) == (
        "香港特别行政区", "1", "", "1997-01-01",
    )


def test_shipped_file_is_small() -> None:
    shipped = SCRIPT.parents[1] / "yangguang" / "regions" / "data" / "regions.csv.gz"
    assert shipped.stat().st_size < 1_000_000
