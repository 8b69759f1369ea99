"""The dashboard: the stored results of a region in the user's scope, a page per region
down to township with the regions at risk first, the filters, the trend by year as a
chart beside its table, the XLSX export; another county's monitor sees none of 五台's
townships, a township's monitor only its township."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from yangguang.accounts import services as accounts
from yangguang.accounts.models import Role
from yangguang.analytics.models import IndicatorResult
from yangguang.audit.models import AuditAction, AuditEvent

PASSWORD = "Yg-analytics-Tests-2025!"
WUTAI = "/analytics/plans/wutai/"


def signed_in(actor, username: str, region: str) -> Client:
    client = Client()
    client.force_login(accounts.create_user(username, PASSWORD, [(Role.MONITOR, region)], actor=actor))
    return client


def compute(as_of: str) -> None:
    call_command("indicators", "compute", "--plan", "wutai", "--as-of", as_of, stdout=io.StringIO())


def _row(page: str, wording: str) -> str:
    """The table row (<tr>…</tr>) of the results table holding ``wording``."""
    return next(tr for tr in re.findall(r"<tr>.*?</tr>", page, re.S) if wording in tr)


@pytest.mark.django_db
def test_dashboard_table_scope_and_export(world, actor):
    compute("2024-06-30")
    client = signed_in(actor, "monitor_wutai", "140922")
    page = client.get(WUTAI).content.decode()  # the plan's region: 五台县
    assert "五台县" in page and "140922" in page
    pension = _row(page, "残疾人城乡居民基本养老保险参保率")
    assert "66.67" in pension and "有风险" in pension and ("约束性" in pension or "预期性" in pension)
    assert f'href="{WUTAI}regions/140922102000/"' in page  # a township to drill down to
    assert client.get(f"{WUTAI}regions/140922/").content.decode().count("66.67") >= 1

    township = signed_in(actor, "monitor_taicheng", "140922100000")
    assert township.get(f"{WUTAI}regions/140922/").status_code == 404
    assert township.get(f"{WUTAI}regions/140922102000/").status_code == 404  # the next township
    page = township.get(f"{WUTAI}regions/140922100000/").content.decode()
    assert ">50<" in _row(page, "残疾人城乡居民基本养老保险参保率")  # 1 of 2
    start = township.get(WUTAI).content.decode()  # starts at the township
    assert "台城镇" in start and ">50<" in _row(start, "残疾人城乡居民基本养老保险参保率")

    response = client.get(f"{WUTAI}regions/140922/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    pension = next(r for r in sheet.iter_rows(values_only=True) if r[0] == 6)
    assert pension[4] == 66.67 and pension[5:7] == (2, 3)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="plan_dashboard")
    assert (event.actor_name, event.data["region"]) == ("monitor_wutai", "140922")
    assert event.data["rows"] == sheet.max_row - 1
    assert township.get(f"{WUTAI}regions/140922/export.xlsx").status_code == 404
    assert AuditEvent.objects.filter(object_type="plan_dashboard").count() == 1


@pytest.mark.django_db
def test_another_countys_monitor_sees_nothing_of_wutai(world, actor):
    compute("2024-06-30")
    other = signed_in(actor, "monitor_qingzhou", "370781")
    assert other.get(WUTAI).status_code == 404
    assert other.get(f"{WUTAI}regions/140922100000/").status_code == 404


@pytest.mark.django_db
def test_region_urls_name_a_region_of_the_plan_by_its_code(world, actor):
    compute("2024-06-30")
    client = signed_in(actor, "monitor_wutai", "140922")
    for bad in ("140922000000", "1409221", "140922100", "370781", "abc", "14092210000x"):
        assert client.get(f"{WUTAI}regions/{bad}/").status_code == 404, bad


@pytest.mark.django_db
def test_townships_at_risk_come_first(world, actor):
    compute("2024-06-30")
    page = signed_in(actor, "monitor_wutai", "140922").get(WUTAI).content.decode()
    below = page[page.index('id="below-caption"') :]
    listed = re.findall(r"regions/(140922[0-9]{6})/", below)
    risk = {
        code: IndicatorResult.objects.filter(region_code=code, status__in=["at_risk", "not_achieved"]).count()
        for code in listed
    }
    assert len(listed) > 2 and max(risk.values()) > 0
    assert [risk[c] for c in listed] == sorted(risk.values(), reverse=True)


@pytest.mark.django_db
def test_filters_status_kind_and_level(world, actor):
    compute("2024-06-30")
    client = signed_in(actor, "monitor_wutai", "140922")
    page = client.get(WUTAI + "?status=at_risk").content.decode()
    table = page[page.index('id="results-caption"') : page.index('id="below-heading"')]
    assert "有风险" in table and "已实现</td>" not in table and "无数据</td>" not in table
    assert 'value="at_risk" selected' in page

    binding = client.get(WUTAI + "?kind=binding").content.decode()
    table = binding[binding.index('id="results-caption"') : binding.index('id="below-heading"')]
    assert "预期性" not in table and "约束性" in table

    nothing = client.get(WUTAI + "?status=achieved&kind=binding&as_of=1999-01-01&level=9").content.decode()
    assert nothing.count("2024-06-30") >= 1  # an unknown date falls back to the latest

    province = signed_in(actor, "monitor_shanxi", "140000")
    assert province.get(WUTAI).status_code == 200  # the province's monitor follows the county's plan


@pytest.mark.django_db
def test_the_trend_shows_each_year_stored_as_a_chart_and_a_table(world, actor):
    compute("2022-12-31")
    compute("2024-06-30")
    compute("2024-03-31")  # an earlier date of 2024: the year shows its latest
    assert IndicatorResult.objects.filter(region_code="140922").values("as_of").distinct().count() == 3
    page = signed_in(actor, "monitor_wutai", "140922").get(WUTAI).content.decode()
    trend = page[page.index('id="trend-heading"') :]
    assert trend.count('role="img"') == trend.count('<svg class="chart"') >= 1
    pension = trend[trend.index('id="trend-heading-6"') : trend.index('id="trend-heading-7"')]
    assert 'aria-labelledby="trend-6-title trend-6-desc"' in pension
    assert "2022-12-31" in pension and "2024-06-30" in pension and "2024-03-31" not in pension
    assert "未计算" in pension  # 2021, 2023, 2025: nothing stored
    assert pension.count("<polyline") == 0  # 2022 and 2024 are not consecutive: markers only
    assert "66.67" in pension


@pytest.mark.django_db
def test_the_dashboard_before_any_computation(world, actor):
    page = signed_in(actor, "monitor_wutai", "140922").get(WUTAI).content.decode()
    assert "尚未计算指标" in page and '<svg class="chart"' not in page
