"""Region statistics pages (the registry's): counts of living persons with a valid certificate, by child
region, category and level, within the user's statistics scope."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from yangguang.accounts import services as accounts
from yangguang.accounts.models import Role
from yangguang.audit.services import Actor
from yangguang.demo.generator import create_person
from yangguang.regions.models import Region
from yangguang.registry import services
from yangguang.registry.models import StatusReason

pytestmark = pytest.mark.django_db
ACTOR = Actor("test")
COUNTY = "140922000000"  # 五台县
TOWNSHIP = "140922100000"  # 台城镇
VILLAGE = "140922100001"


def signed_in(role: str, region: str) -> Client:
    user = accounts.create_user(f"{role}-{region}", "Yg-regions-Tests-2025!", [(role, region)],
                                actor=ACTOR)
    client = Client()
    client.force_login(user)
    return client


def row(page: str, label: str) -> list[int]:
    """The numbers in the table row headed ``label`` (a link or plain text)."""
    match = re.search(r'<th scope="row">(?:<a href="[^"]*">)?' + re.escape(label)
                      + r"(?:</a>)?[^<]*</th>(.*?)</tr>", page, flags=re.S)
    assert match, label
    return [int(n) for n in re.findall(r'<td class="numeric">(\d+)</td>', match.group(1))]


@pytest.fixture
def wutai() -> dict[str, str]:
    """Persons in 五台县: three counted, two not (dead, cancelled), one elsewhere."""
    other_township = (Region.objects.filter(parent_id=COUNTY, valid_until__isnull=True)
                      .exclude(code=TOWNSHIP).order_by("code").first())
    other_village = (Region.objects.filter(parent=other_township, valid_until__isnull=True)
                     .order_by("code").first())
    # Issued a year ago: valid today (a random issue date may be past its validity).
    issued = dt.date.today() - dt.timedelta(days=365)

    def person(**row: str):
        return create_person(发证日期=issued, **row)

    person(户籍地区划代码=VILLAGE, 残疾类别="肢体", 残疾等级="二级")
    person(户籍地区划代码=VILLAGE, 残疾类别="视力", 残疾等级="一级")
    person(户籍地区划代码=other_village.code, 残疾类别="肢体", 残疾等级="四级")
    person(户籍地区划代码="140922", 残疾类别="智力", 残疾等级="三级")  # the county itself
    dead = person(户籍地区划代码=VILLAGE, 残疾类别="肢体", 残疾等级="二级")
    services.record_death(dead, dt.date.today(), actor=ACTOR)
    cancelled = person(户籍地区划代码=VILLAGE, 残疾类别="听力", 残疾等级="二级")
    services.cancel_certificate(cancelled.certificates.get(), reason=StatusReason.VOLUNTARY,
                                day=dt.date.today(), actor=ACTOR)
    person(户籍地区划代码="610103001002", 残疾类别="肢体", 残疾等级="二级")
    return {"other_township": other_township.name, "other_village": other_village.name}


def test_a_county_analyst_goes_straight_to_the_county_counts_by_township(wutai):
    analyst = signed_in(Role.ANALYST, "140922")

    response = analyst.get("/statistics/")
    assert response["Location"] == f"/statistics/{COUNTY}/"
    page = analyst.get(response["Location"]).content.decode()

    # 合计, then 视力 听力 言语 肢体 智力 精神 多重
    assert row(page, "台城镇") == [2, 1, 0, 0, 1, 0, 0, 0]
    assert row(page, wutai["other_township"]) == [1, 0, 0, 0, 1, 0, 0, 0]
    assert row(page, "本级（未细分到下级地区）") == [1, 0, 0, 0, 0, 1, 0, 0]
    assert row(page, "合计")[:1] == [4]
    # Category × level: 肢体 has one 二级 and one 四级.
    assert row(page, "肢体残疾") == [0, 1, 0, 1, 2]
    assert f'href="/statistics/{TOWNSHIP}/"' in page
    assert "在世且持有效残疾人证的共4人" in page


def test_the_township_page_lists_villages_without_drilling_further(wutai):
    analyst = signed_in(Role.ANALYST, "140922")

    page = analyst.get(f"/statistics/{TOWNSHIP}/").content.decode()

    assert row(page, "西米市社区居民委员会") == [2, 1, 0, 0, 1, 0, 0, 0]
    assert 'href="/statistics/140922100001/"' not in page
    # Breadcrumbs lead back up, within the analyst's scope only.
    assert f'<a href="/statistics/{COUNTY}/">五台县</a>' in page
    assert 'href="/statistics/140900000000/"' not in page


def test_regions_outside_the_scope_do_not_exist_for_the_user(wutai):
    analyst = signed_in(Role.ANALYST, "140922")

    for code in ("610103000000", "140900000000", "140000000000", "999999000000", "abc"):
        assert analyst.get(f"/statistics/{code}/").status_code == 404, code


def test_a_prefecture_analyst_drills_down_from_the_prefecture(wutai):
    analyst = signed_in(Role.ANALYST, "140900")

    page = analyst.get("/statistics/140900000000/").content.decode()

    assert row(page, "五台县")[:1] == [4]
    assert f'href="/statistics/{COUNTY}/"' in page


def test_statistics_pages_need_the_capability_and_have_accessible_tables(wutai):
    auditor = signed_in(Role.AUDITOR, "140922")
    registrar = signed_in(Role.REGISTRAR, "140922")

    assert auditor.get(f"/statistics/{COUNTY}/").status_code == 404
    page = registrar.get(f"/statistics/{COUNTY}/").content.decode()
    assert page.count("<h1") == 1
    tables = re.findall(r"<table.*?</table>", page, flags=re.S)
    assert len(tables) == 2
    for table in tables:
        assert "<caption" in table and 'scope="col"' in table and 'scope="row"' in table
    # A registrar may also open the list of persons behind the counts.
    assert f'href="/registry/persons/?region={COUNTY}&amp;status=valid"' in page


def test_a_user_with_several_regions_chooses_one(wutai):
    user = accounts.create_user("analyst-two", "Yg-regions-Tests-2025!",
                                [(Role.ANALYST, "140922"), (Role.ANALYST, "610103")], actor=ACTOR)
    client = Client()
    client.force_login(user)

    page = client.get("/statistics/").content.decode()

    assert row(page, "五台县") == [4]
    assert row(page, "碑林区") == [1]


def test_the_old_addresses_under_regions_lead_to_the_same_pages(wutai):
    analyst = signed_in(Role.ANALYST, "140922")
    auditor = signed_in(Role.AUDITOR, "140922")

    assert analyst.get("/regions/")["Location"] == "/statistics/"
    moved = analyst.get("/regions/140922/")
    assert moved.status_code == 301 and moved["Location"] == f"/statistics/{COUNTY}/"
    # Like the pages themselves: nothing outside the scope, nothing without the role.
    assert analyst.get("/regions/610103/").status_code == 404
    assert auditor.get("/regions/").status_code == 404
    assert Client().get("/regions/140922/")["Location"].startswith("/accounts/login/")
