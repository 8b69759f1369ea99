"""The policy page and the decisions on the person page, for signed-in staff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from yangguang.accounts import services as accounts
from yangguang.benefits.tests.conftest import ACTOR, WUTAI, XINING

pytestmark = pytest.mark.django_db


def signed_in(role: str, region: str) -> Client:
    user = accounts.create_user(f"{role}-{region}", "Yg-benefits-Tests-2025!", [(role, region)], actor=ACTOR)
    client = Client()
    client.force_login(user)
    return client


def test_policy_page_shows_what_is_in_force_since_when_and_flags_placeholders():
    client = signed_in("registrar", "630000")
    page = client.get(reverse("benefits:programmes"), {"region": XINING, "on": "2025-06-01"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "困难残疾人生活补贴" in text and "每月120元" in text and "2025-01-01" in text
    assert "占位：金额未知" in text  # the pension premium's tier is not known
    shanxi = client.get(reverse("benefits:programmes"), {"region": WUTAI, "on": "2025-06-01"}).content.decode()
    assert "2026年前山西省标准未取得" in shanxi


def test_policy_page_names_a_bad_region_in_the_error_summary():
    client = signed_in("registrar", "630000")
    page = client.get(reverse("benefits:programmes"), {"region": "999999", "on": "2025-06-01"})
    assert "没有这个区划代码" in page.content.decode() and "error-summary" in page.content.decode()


def test_person_page_shows_each_programme_with_its_reasons(person):
    p = person(region=XINING, level="一级", issued=dt.date.today() - dt.timedelta(days=365),
               statuses=(("dibao", dt.date(2024, 3, 1), None),))
    client = signed_in("registrar", "630000")
    text = client.get(reverse("registry:person", args=[p.pk])).content.decode()
    assert "补贴资格" in text and "家庭为低保户（2024-03 起）" in text and "重度残疾人护理补贴" in text


def test_screening_lists_the_eligible_persons_of_the_scope_with_reasons_and_is_audited(person):
    from yangguang.audit.models import AuditEvent

    dibao = (("dibao", dt.date(2024, 3, 1), None),)
    inside = person(region=XINING, statuses=dibao)
    person(region=XINING)  # no dibao: not eligible
    outside = person(region=WUTAI, statuses=dibao)
    client = signed_in("registrar", "630102")
    page = client.get(reverse("benefits:screening"),
                      {"programme": "living_allowance", "region": "630000", "on": "2025-06-01"})
    text = page.content.decode()
    assert page.status_code == 200
    assert inside.name in text and "家庭为低保户（2024-03 起）" in text and outside.name not in text
    event = AuditEvent.objects.filter(data__via="benefits_screening").get()
    assert event.data["ids"] == [inside.pk]
