"""The dashboard: the stored results of a region in the user's scope, the regions at
risk first, the XLSX export; another county's monitor sees none of 五台's townships."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from yangguang.accounts import services as accounts
from yangguang.accounts.models import Role

PASSWORD = "Yg-analytics-Tests-2025!"


def signed_in(actor, username: str, region: str) -> Client:
    client = Client()
    client.force_login(accounts.create_user(username, PASSWORD, [(Role.MONITOR, region)], actor=actor))
    return client


@pytest.mark.django_db
def test_dashboard_table_scope_and_export(world, actor):
    call_command("indicators", "compute", "--plan", "wutai", "--as-of", "2024-06-30", stdout=io.StringIO())
    client = signed_in(actor, "monitor_wutai", "140922")
    page = client.get("/analytics/plans/wutai/?region=140922").content.decode()
    assert "残疾人城乡居民基本养老保险参保率" in page and "66.67" in page and "有风险" in page
    assert "140922102000" in page  # a township to drill down to
    township = signed_in(actor, "monitor_taicheng", "140922100000")
    assert township.get("/analytics/plans/wutai/?region=140922").status_code == 404
    assert "50.00" in township.get("/analytics/plans/wutai/?region=140922100000").content.decode()
    response = client.get("/analytics/plans/wutai/export.xlsx?region=140922")
    sheet = load_workbook(io.BytesIO(response.content)).active
    pension = next(r for r in sheet.iter_rows(values_only=True) if r[0] == 6)
    assert pension[4] == 66.67 and pension[5:7] == (2, 3)
