"""Finding regions by name: the region picker's list and the lookup page."""

from __future__ import annotations

import pytest
from django.test import Client

from yangguang.accounts import services as accounts
from yangguang.audit.services import Actor
from yangguang.regions.selectors import LOOKUP_LIMIT, find_regions

pytestmark = pytest.mark.django_db


def test_a_name_finds_the_region_with_its_path() -> None:
    matches = find_regions("五台")

    wutai = next(m for m in matches if m.code == "140922000000")
    assert wutai.path_label == "山西省 · 忻州市 · 五台县"
    assert wutai.input_code == "140922"
    # The exact name and a higher level come before mere parts of names.
    assert matches.index(wutai) < next(i for i, m in enumerate(matches) if m.level == 4)


def test_two_regions_of_one_name_are_told_apart_by_their_paths() -> None:
    paths = {m.input_code: m.path_label for m in find_regions("东冶镇")}

    assert paths["140922105000"] == "山西省 · 忻州市 · 五台县 · 东冶镇"
    assert paths["140522109000"].startswith("山西省 · 晋城市 · ")
    assert paths["140522109000"].endswith(" · 东冶镇")


def test_a_name_is_found_by_any_part_and_abolished_regions_are_left_out() -> None:
    codes = {m.code for m in find_regions("台子")}

    assert {"210181119000", "210803005000"} <= codes  # 金五台子镇, 五台子街道
    # 五台县 of the former 忻州地区 (142223) was abolished in 2000.
    assert "142223000000" not in {m.code for m in find_regions("五台县")}


def test_digits_find_codes_starting_with_them_and_the_list_is_bounded() -> None:
    matches = find_regions("140922")

    assert matches[0].code == "140922000000"
    assert all(m.code.startswith("140922") for m in matches)
    assert len(find_regions("镇")) == LOOKUP_LIMIT
    assert find_regions("  ") == []


@pytest.fixture
def signed_in() -> Client:
    user = accounts.create_user("lookup", "Yg-lookup-Tests-2025!", [("registrar", "140922")],
                                actor=Actor("test"))
    client = Client()
    client.force_login(user)
    return client


def test_the_picker_gets_buttons_that_carry_the_code(signed_in: Client) -> None:
    response = signed_in.get("/regions/lookup/", {"field": "hukou_region", "hukou_region": "东冶镇"},
                             headers={"HX-Request": "true"})

    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert 'data-region-code="140922105000"' in text
    assert "山西省 · 忻州市 · 五台县 · 东冶镇" in text
    assert "找到2个地区" in text


def test_without_javascript_the_lookup_is_a_page_listing_codes(signed_in: Client) -> None:
    response = signed_in.get("/regions/lookup/", {"q": "东冶镇"})

    text = response.content.decode()
    assert "<h1>查找行政区划代码</h1>" in text
    assert "<code>140922105000</code>" in text
    assert "没有找到" in signed_in.get("/regions/lookup/", {"q": "没有这个地方"}).content.decode()


def test_the_lookup_asks_visitors_to_sign_in() -> None:
    response = Client().get("/regions/lookup/", {"q": "五台"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
