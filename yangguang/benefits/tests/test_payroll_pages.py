"""The payroll pages: make a month's payroll, its totals and lines (the read audited),
approve it (decide_case; audited; frozen after), download the bank file (export;
audited), scope."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from yangguang.audit.models import AuditEvent
from yangguang.benefits.models import Payroll, PayrollState
from yangguang.benefits.tests.test_pages import signed_in
from yangguang.benefits.tests.test_payroll import DIBAO, DONGGUAN, granted
from yangguang.core.crypto import decrypt_id

pytestmark = pytest.mark.django_db
D = dt.date


def test_make_read_approve_and_download_a_payroll(person):
    p = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    registrar = signed_in("registrar", "630102")
    listing = registrar.get(reverse("benefits:payrolls"))
    assert listing.status_code == 200 and "生成发放表" in listing.content.decode()
    bad = registrar.post(reverse("benefits:payroll_run"), {"month": "2025/01", "region": "999999"})
    text = bad.content.decode()
    assert bad.status_code == 400 and "error-summary" in text
    assert "月份格式应为 YYYY-MM" in text and "没有这个区划代码" in text
    made = registrar.post(reverse("benefits:payroll_run"), {"month": "2025-01", "region": "630102"})
    payroll = Payroll.objects.get()
    assert made.status_code == 302 and made.url == reverse("benefits:payroll", args=[payroll.pk])
    page = registrar.get(made.url).content.decode()
    assert p.name in page and "东关大街街道" in page and "120.00" in page and "草稿" in page
    assert "审核通过" not in page  # a registrar prepares; the reviewer approves
    view = AuditEvent.objects.filter(object_type="payroll", action="view").latest("pk")
    assert view.data["ids"] == [p.pk]
    assert registrar.post(reverse("benefits:payroll_approve", args=[payroll.pk])).status_code == 404

    reviewer = signed_in("reviewer", "630102")
    assert "审核通过" in reviewer.get(made.url).content.decode()
    approved = reviewer.post(reverse("benefits:payroll_approve", args=[payroll.pk]))
    assert approved.status_code == 302
    payroll.refresh_from_db()
    assert payroll.state == PayrollState.APPROVED and payroll.approved_by == "reviewer-630102"
    assert AuditEvent.objects.filter(object_type="payroll", data__action="approve").exists()
    again = reviewer.post(reverse("benefits:payroll_approve", args=[payroll.pk]))
    assert again.status_code == 400 and "该发放表已审核" in again.content.decode()
    rerun = registrar.post(reverse("benefits:payroll_run"), {"month": "2025-01", "region": "630102"})
    assert rerun.status_code == 400 and "不能重新生成" in rerun.content.decode()

    download = registrar.get(reverse("benefits:payroll_download", args=[payroll.pk, "csv"]))
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[1][4] == decrypt_id(p.id_number_encrypted) and rows[1][7] == "120.00"
    assert AuditEvent.objects.filter(object_type="payroll", action="export",
                                     data__format="csv").exists()
    xlsx = registrar.get(reverse("benefits:payroll_download", args=[payroll.pk, "xlsx"]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")
    assert registrar.get(reverse("benefits:payroll_download", args=[payroll.pk, "pdf"])).status_code == 404


def test_another_county_sees_no_payroll_and_an_analyst_none_at_all(person):
    p = person(region=DONGGUAN, level="二级", statuses=DIBAO)
    granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    signed_in("registrar", "630102").post(reverse("benefits:payroll_run"),
                                          {"month": "2025-01", "region": "630102"})
    payroll = Payroll.objects.get()
    other = signed_in("registrar", "630103")
    assert other.get(reverse("benefits:payroll", args=[payroll.pk])).status_code == 404
    assert "发放表：0份" in other.get(reverse("benefits:payrolls")).content.decode()
    assert other.get(reverse("benefits:payroll_download", args=[payroll.pk, "csv"])).status_code == 404
    refused = other.post(reverse("benefits:payroll_run"), {"month": "2025-01", "region": "630102"})
    assert refused.status_code == 400
    assert other.post(reverse("benefits:payroll_approve", args=[payroll.pk])).status_code == 404
    assert signed_in("reviewer", "630103").post(
        reverse("benefits:payroll_approve", args=[payroll.pk])).status_code == 404
    assert signed_in("analyst", "630102").get(reverse("benefits:payrolls")).status_code == 404
