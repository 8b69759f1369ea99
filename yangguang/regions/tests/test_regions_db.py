"""The region table after ``migrate``: loaded, queryable by subtree, reloadable."""

from __future__ import annotations

import bisect
import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command

from yangguang.regions import catalog, loader, services
from yangguang.regions.models import Region, RegionLevel, code_prefix
from yangguang.regions.selectors import UnknownRegion, ancestors, resolve_region, subtree

pytestmark = pytest.mark.django_db


def test_migrate_loads_the_whole_catalog() -> None:
    assert Region.objects.count() == sum(1 for _ in catalog.rows())
    county = Region.objects.get(code="630102000000")
    assert county.name == "城东区"
    assert county.level == RegionLevel.COUNTY
    assert county.parent_id == "630100000000"
    assert county.path == "63/6301/630102/"


def test_seed_townships_and_villages_are_loaded() -> None:
    for seed in ("630000", "622900", "140922", "610103", "370781"):
        region = resolve_region(seed)
        levels = set(subtree(region).values_list("level", flat=True).distinct())
        assert {RegionLevel.TOWNSHIP, RegionLevel.VILLAGE} <= levels, seed


def test_subtree_counts_match_the_catalog() -> None:
    wutai = resolve_region("140922")
    assert subtree(wutai).count() == 1 + 14 + 261
    assert subtree(wutai).filter(level=RegionLevel.VILLAGE).count() == 261
    assert subtree(wutai, include_self=False).count() == 14 + 261
    qinghai = resolve_region("630000")
    expected = sum(1 for e in catalog.rows() if e.path.startswith("63/"))
    assert subtree(qinghai).count() == expected


def test_a_subtree_is_exactly_the_regions_whose_code_starts_with_its_prefix() -> None:
    """The scope filter relies on it: persons under a region are a prefix match on
    their region code, with no join. Checked for every region shipped, both ways."""
    rows = sorted(Region.objects.values_list("code", "path", "level"))
    codes = [code for code, _path, _level in rows]
    for code, path, level in rows:
        prefix = code_prefix(path)
        assert prefix == Region(code=code, level=level).short_code, (code, path)
        # under every region on its path ⇒ starts with that region's prefix
        assert all(code.startswith(part) for part in path.rstrip("/").split("/")), (code, path)
        start = bisect.bisect_left(codes, prefix)
        end = bisect.bisect_left(codes, prefix + "\uffff")
        # starts with the prefix ⇒ under the region
        assert all(p.startswith(path) for _c, p, _l in rows[start:end]), path
    assert resolve_region("441900").short_code == "4419"  # 东莞, towns straight below


def test_subtree_current_only_drops_abolished_units() -> None:
    qinghai = resolve_region("630000")
    current = subtree(qinghai, current_only=True)
    assert not current.filter(code="632121000000").exists()
    assert subtree(qinghai).filter(code="632121000000").exists()
    assert current.filter(code="630200000000").exists()  # 海东市


def test_historical_code_resolves() -> None:
    pingan = resolve_region("632121")
    assert pingan.name == "平安县"
    assert pingan.valid_until == dt.date(2013, 12, 31)
    assert not pingan.is_current
    assert pingan in subtree(resolve_region("632100"))


@pytest.mark.parametrize(("code", "expected"), [
    ("630102", "630102000000"),
    ("630102000000", "630102000000"),
    ("630102001001", "630102001001"),
    ("630000", "630000000000"),
    (" 630100 ", "630100000000"),
])
def test_resolve_accepts_6_and_12_digit_codes(code: str, expected: str) -> None:
    assert resolve_region(code).code == expected


@pytest.mark.parametrize("code", ["639999", "63", "630102001", "abcdef", ""])
def test_resolve_rejects_unknown_codes(code: str) -> None:
    with pytest.raises(UnknownRegion) as excinfo:
        resolve_region(code)
    assert isinstance(excinfo.value, Region.DoesNotExist)
    assert code in str(excinfo.value)


def test_ancestors_run_from_the_province_down() -> None:
    village = resolve_region("630102001001")
    assert [r.code for r in ancestors(village)] == [
        "630000000000", "630100000000", "630102000000", "630102001000",
    ]


def test_reloading_is_a_no_op() -> None:
    result = services.load_regions()
    assert (result.created, result.updated) == (0, 0)
    assert result.unchanged == Region.objects.count()


def test_reloading_repairs_changed_and_missing_rows() -> None:
    Region.objects.filter(code="630102000000").update(name="旧名", path="x/")
    Region.objects.filter(code="630102001001").delete()
    result = loader.load_regions(batch_size=500)
    assert (result.created, result.updated) == (1, 1)
    county = Region.objects.get(code="630102000000")
    assert (county.name, county.path) == ("城东区", "63/6301/630102/")
    assert Region.objects.filter(code="630102001001").exists()


def test_import_villages_adds_rows_under_their_township(tmp_path: Path) -> None:
    villages = tmp_path / "villages.csv"
    villages.write_text(
        "code,name,streetCode,provinceCode,cityCode,areaCode\n"
        '110101001001,"多福巷社区居委会",110101001,11,1101,110101\n'
        '110101001002,"银闸社区居委会",110101001,11,1101,110101\n'
        '120101001001,"天津某社区居委会",120101001,12,1201,120101\n'
        '110101999001,"无此街道",110101999,11,1101,110101\n'
        '350527000000,"金门县",350527000,35,3505,350527\n',
        encoding="utf-8",
    )
    imported = services.import_villages(villages, under=["110000"])
    assert imported.result.created == 2
    assert imported.skipped == 3
    village = Region.objects.get(code="110101001001")
    assert (village.level, village.parent_id, village.path) == (
        RegionLevel.VILLAGE, "110101001000", "11/1101/110101/110101001/110101001001/",
    )
    again = services.import_villages(villages, under=["110000"])
    assert (again.result.created, again.result.unchanged) == (0, 2)
    # A general reload keeps the extra villages.
    services.load_regions()
    assert Region.objects.filter(code="110101001002").exists()


def test_regions_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("regions", "load", skip_checks=True)
    call_command("regions", "show", "632121", skip_checks=True)
    out = capsys.readouterr().out
    assert "632121000000 青海省海东地区平安县" in out
    assert "valid_until=2013-12-31" in out


def test_unload_deletes_everything() -> None:
    assert loader.unload_regions() > 50_000
    assert not Region.objects.exists()
