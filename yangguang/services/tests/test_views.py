"""The loop through the pages: a registrar records a need, refers it, records the
service and re-opens it; the person page's history tells it; other counties' needs are
not found; exports are audited; the forms show each problem in the error summary."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from yangguang.audit.models import AuditEvent
from yangguang.services.models import Need, Referral, ServiceKind
from yangguang.services.states import NeedState
from yangguang.services.tests.conftest import COUNTY_A, COUNTY_B, TOWNSHIP_A, VILLAGE_B

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def test_the_loop_through_the_pages_and_the_person_history(person, provider, staff):
    client = staff("registrar", COUNTY_A)
    someone = person()
    centre = provider([ServiceKind.BASIC_REHABILITATION], region=TOWNSHIP_A)
    page = client.get(f"/services/persons/{someone.pk}/needs/new/")
    assert page.status_code == 200 and "托养服务（阳光家园计划）" in page.content.decode()
    response = client.post(f"/services/persons/{someone.pk}/needs/new/", {
        "kind": "basic_rehabilitation", "opened_on": (TODAY - dt.timedelta(days=10)).isoformat(),
        "note": "行走困难"})
    need = Need.objects.get(person=someone)
    assert response.status_code == 302 and response["Location"] == f"/services/needs/{need.pk}/"
    text = client.get(f"/services/needs/{need.pk}/").content.decode()
    assert centre.name in text and "转介到服务机构" in text
    client.post(f"/services/needs/{need.pk}/refer/", {
        "provider": centre.pk, "referred_on": (TODAY - dt.timedelta(days=9)).isoformat()})
    referral = Referral.objects.get(need=need)
    response = client.post(f"/services/referrals/{referral.pk}/service/", {
        "started_on": (TODAY - dt.timedelta(days=8)).isoformat(), "ended_on": TODAY.isoformat(),
        "staff": "王医生", "cost": "300", "payer": "federation", "outcome": "met"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.state == NeedState.MET
    client.post(f"/services/needs/{need.pk}/reopen/", {"reopen-reason": "功能退化",
                                                       "reopen-day": TODAY.isoformat()})
    need.refresh_from_db()
    assert need.state == NeedState.OPEN
    history = client.get(f"/registry/persons/{someone.pk}/").content.decode()
    assert "登记服务需求：基本康复服务" in history
    assert f"服务需求“基本康复服务”转介至{centre.name}" in history
    assert f"{centre.name}提供服务：基本康复服务" in history
    assert "原因：功能退化" in history
    assert f'href="/services/persons/{someone.pk}/"' in history


def test_refused_steps_show_the_error_summary_and_write_nothing(person, provider, staff):
    client = staff("registrar", COUNTY_A)
    someone = person(age=30, category="视力", level="一级")
    response = client.post(f"/services/persons/{someone.pk}/needs/new/", {
        "kind": "care_day", "opened_on": TODAY.isoformat()})
    text = response.content.decode()
    assert response.status_code == 400 and 'class="error-summary"' in text
    assert "不符合" in text and not Need.objects.exists()
    response = client.post(f"/services/persons/{someone.pk}/needs/new/", {"kind": "",
                                                                          "opened_on": ""})
    assert "服务类型不能为空" in response.content.decode()
    need = Need.objects.create(person=someone, kind="home_visit", opened_on=TODAY,
                               state_since=TODAY, state=NeedState.MET)
    response = client.post(f"/services/needs/{need.pk}/withdraw/", {
        "withdraw-reason": "不再需要", "withdraw-day": TODAY.isoformat()})
    assert response.status_code == 400 and "不能撤销" in response.content.decode()


def test_other_counties_and_roles_get_404(person, staff, provider):
    theirs = person(region=VILLAGE_B)
    client = staff("registrar", COUNTY_A)
    need = Need.objects.create(person=theirs, kind="home_visit", opened_on=TODAY,
                               state_since=TODAY)
    elsewhere = provider(region=COUNTY_B)
    for url in (f"/services/needs/{need.pk}/", f"/services/persons/{theirs.pk}/",
                f"/services/providers/{elsewhere.pk}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/services/needs/{need.pk}/withdraw/", {
        "withdraw-reason": "x", "withdraw-day": TODAY.isoformat()}).status_code == 404
    reviewer = staff("reviewer", COUNTY_B)
    assert reviewer.get(f"/services/needs/{need.pk}/").status_code == 200
    assert reviewer.post(f"/services/needs/{need.pk}/withdraw/", {
        "withdraw-reason": "x", "withdraw-day": TODAY.isoformat()}).status_code == 404
    assert staff("analyst", COUNTY_B).get("/services/needs/").status_code == 404
    assert Need.objects.get(pk=need.pk).state == NeedState.OPEN


def test_exports_are_audited_and_overdue_list(person, staff, settings):
    settings.YANGGUANG_NEED_OVERDUE_DAYS = 30
    client = staff("registrar", COUNTY_A)
    old = Need.objects.create(person=person(), kind="legal_aid", state_since=TODAY,
                              opened_on=TODAY - dt.timedelta(days=40))
    Need.objects.create(person=person(), kind="legal_aid", opened_on=TODAY, state_since=TODAY)
    text = client.get("/services/needs/overdue/").content.decode()
    assert old.person.name in text and "共1条" in text
    response = client.post("/services/needs/export/", {"overdue": "1", "kind": "legal_aid"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.values)
    assert len(rows) == 2 and rows[1][0] == old.person.name and rows[1][9] == 40
    event = AuditEvent.objects.filter(action="export", object_type="need").get()
    assert event.data["rows"] == 1 and event.data["criteria"] == {"kind": "legal_aid",
                                                                  "overdue_days": 30}


def test_coverage_shows_gaps_per_township(person, provider, staff):
    someone = person()
    Need.objects.create(person=someone, kind="care_day", opened_on=TODAY, state_since=TODAY)
    Need.objects.create(person=someone, kind="legal_aid", opened_on=TODAY, state_since=TODAY)
    provider([ServiceKind.LEGAL_AID], region=COUNTY_A, capacity=5)
    text = staff("analyst", COUNTY_A).get("/services/coverage/").content.decode()
    assert "台城镇" in text and "1项缺口" in text
    assert someone.name not in text
