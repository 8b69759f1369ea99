"""The auditors' pages: who may see them, what each auditor sees, filters, pages, export."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import unquote

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from yangguang.accounts.tests.conftest import sign_in
from yangguang.audit.models import AuditEvent
from yangguang.audit.services import Actor, Event, record_many

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(8 * 60)


def _ids(response) -> list[int]:
    html = response.content.decode()
    body = html[html.find("<tbody>"):html.find("</tbody>")]
    return [int(n) for n in re.findall(r'<tr id="event-(\d+)">', body)]


def _record(actor: str, *events: Event, when: dt.datetime | None = None) -> list[int]:
    record_many(Actor(actor), list(events), now=when)
    return list(AuditEvent.objects.order_by("-id").values_list("id", flat=True)[:len(events)])[::-1]


@pytest.fixture
def log(staff) -> dict[str, list[int]]:
    """Events in Xining's Chengdong district, in Xining itself, in Linxia, and without a region."""
    staff("qh_auditor", ("auditor", "630000"))
    staff("cd_auditor", ("auditor", "630102"))
    staff("clerk", ("registrar", "630102"))
    AuditEvent.objects.all().delete()  # start from the events below only (the test database is ours)
    return {
        "chengdong": _record("clerk", Event("view", "person", "1", person_id=1,
                                            region_code="630102001001"),
                             Event("update", "person", "2", person_id=2, region_code="630102000000"),
                             when=dt.datetime(2025, 3, 1, 9, tzinfo=TZ)),
        "xining": _record("xining_clerk", Event("export", "person", region_code="630100000000"),
                          when=dt.datetime(2025, 3, 2, 23, 30, tzinfo=TZ)),
        "linxia": _record("linxia", Event("view", "person", "3", person_id=3,
                                          region_code="622901000000"),
                          when=dt.datetime(2025, 3, 3, 9, tzinfo=TZ)),
        "none": _record("=HYPERLINK(\"http://evil.example\")",
                        Event("login_failed", "user", data={"username": "=cmd", "reason": "unknown_user"}),
                        when=dt.datetime(2025, 3, 4, 9, tzinfo=TZ)),
    }


def _as(client, username: str):
    assert sign_in(client, username).status_code == 302
    return client


def test_anonymous_goes_to_login(client):
    assert client.get("/audit/")["Location"] == "/accounts/login/?next=/audit/"
    assert client.post("/audit/export/")["Location"].startswith("/accounts/login/")


def test_staff_without_the_capability_get_not_found(client, log):
    _as(client, "clerk")
    assert client.get("/audit/").status_code == 404
    assert client.post("/audit/export/").status_code == 404


def test_county_auditor_sees_only_the_county(client, log):
    response = _as(client, "cd_auditor").get("/audit/")
    assert response.status_code == 200
    # The clerk's login and the auditor's own login carry Chengdong as their home region.
    own = list(AuditEvent.objects.filter(action="login", region_code="630102000000")
               .values_list("id", flat=True))
    assert sorted(_ids(response)) == sorted(log["chengdong"] + own)


def test_province_auditor_sees_the_province_and_events_without_a_region(client, log):
    response = _as(client, "qh_auditor").get("/audit/")
    ids = _ids(response)
    assert set(log["chengdong"] + log["xining"] + log["none"]) <= set(ids)
    assert not set(log["linxia"]) & set(ids)
    assert ids == sorted(ids, reverse=True)  # newest first


def test_filters(client, log):
    _as(client, "qh_auditor")

    def ids(**params) -> list[int]:
        return sorted(_ids(client.get("/audit/", params)))

    assert ids(username="clerk") == log["chengdong"]
    assert ids(person_id="2") == log["chengdong"][1:]
    assert ids(action="export") == log["xining"]
    # Dates are local (Beijing) days: 23:30 on 2 March is 2 March, whatever UTC says.
    assert ids(date_from="2025-03-02", date_to="2025-03-02") == log["xining"]
    assert ids(date_from="2025-03-01", date_to="2025-03-04") == log["chengdong"] + log["xining"] + log["none"]
    assert ids(username="clerk", action="view") == log["chengdong"][:1]


def test_invalid_filters_are_explained(client, log):
    html = _as(client, "qh_auditor").get(
        "/audit/", {"date_from": "2025-03-05", "date_to": "2025-03-01"}
    ).content.decode()

    assert '<a href="#id_date_to">结束日期不能早于开始日期</a>' in html
    assert "<tbody>" not in html


def test_pages_follow_by_event_id(client, staff):
    staff("qh_auditor", ("auditor", "630000"))
    record_many(Actor("clerk"), [Event("view", "person", str(n), person_id=n,
                                       region_code="630102000000") for n in range(1, 121)])
    _as(client, "qh_auditor")
    query = {"username": "clerk"}

    first = client.get("/audit/", query)
    html = first.content.decode()
    assert len(_ids(first)) == 50 and "较新的记录" not in html
    older = re.search(r'href="\?username=clerk&amp;before=(\d+)"', html).group(1)
    second = client.get("/audit/", {**query, "before": older})
    third_cursor = re.search(r'href="\?username=clerk&amp;before=(\d+)"', second.content.decode()).group(1)
    third = client.get("/audit/", {**query, "before": third_cursor})
    assert len(_ids(second)) == 50 and len(_ids(third)) == 20
    assert "较早的记录" not in third.content.decode()
    all_ids = _ids(first) + _ids(second) + _ids(third)
    assert all_ids == sorted(set(all_ids), reverse=True) and len(all_ids) == 120

    newer = re.search(r'href="\?username=clerk&amp;after=(\d+)"', third.content.decode()).group(1)
    assert _ids(client.get("/audit/", {**query, "after": newer})) == _ids(second)


def test_export_writes_the_filtered_events_and_is_audited(client, log):
    _as(client, "qh_auditor")

    response = client.post("/audit/export/", {"date_from": "2025-03-01", "date_to": "2025-03-04"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "时间", "操作人", "操作")
    assert [r[0] for r in rows[1:]] == log["chengdong"] + log["xining"] + log["none"]
    assert rows[3][1] == dt.datetime(2025, 3, 2, 23, 30)  # local time
    assert rows[3][3] == "导出"
    evil = book.active.cell(row=5, column=3)
    assert evil.value.startswith("=HYPERLINK") and evil.data_type == "s"  # text, not a formula
    export = AuditEvent.objects.filter(action="export", object_type="audit_event").get()
    assert export.actor_name == "qh_auditor"
    name = unquote(response["Content-Disposition"].split("filename*=utf-8''", 1)[1])
    assert name.startswith("审计日志-") and name.endswith(".xlsx")
    # The name the auditor received, not a temporary file's.
    assert export.data == {"rows": 4, "filters": {"date_from": "2025-03-01", "date_to": "2025-03-04"},
                           "file": name}
    assert export.region_code == "630000000000"


def test_export_refuses_too_many_rows(client, log, settings):
    settings.YANGGUANG_AUDIT_EXPORT_MAX_ROWS = 2
    _as(client, "qh_auditor")

    response = client.post("/audit/export/", {"date_from": "2025-03-01"})

    assert response.status_code == 400
    assert "超过一次最多导出的2条" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export", object_type="audit_event").exists()


def test_export_needs_post(client, log):
    assert _as(client, "qh_auditor").get("/audit/export/").status_code == 405


def test_export_survives_a_sign_in_attempt_with_a_control_character(client, log):
    # Anyone, without an account, could break every export over the attempt's period.
    # (The sign-in form refuses such names now; events recorded before stay.)
    record_many(Actor("ctl\x0bchar"), [Event("login_failed", "user")])
    record_many(Actor("tab\x1fuser"), [Event("login_failed", "user")])
    _as(client, "qh_auditor")

    response = client.post("/audit/export/", {})

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    text = "\n".join(str(value) for row in book.active.iter_rows(values_only=True) for value in row)
    assert "ctl\\x0bchar" in text and "tab\\x1fuser" in text  # visible, not dropped
