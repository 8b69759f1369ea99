"""/payrolls: make, read (totals, lines: audited), approve (frozen after), the bank
file (export; audited), scope — the same services as the pages and the command."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from yangguang.api.tests.conftest import assert_error
from yangguang.audit.models import AuditEvent
from yangguang.benefits.tests.conftest import make_person
from yangguang.benefits.tests.test_payroll import DIBAO, DONGGUAN, granted
from yangguang.core.crypto import decrypt_id

pytestmark = pytest.mark.django_db
D = dt.date


def test_a_payroll_through_the_api(registrar_a, reviewer_a, registrar_b, analyst_a):
    p = make_person(region=DONGGUAN, level="二级", statuses=DIBAO)
    granted(p, applied=D(2025, 1, 10), decided=D(2025, 1, 20))
    assert_error(registrar_a.post("/payrolls", {"month": "2025-13", "region": "630102"}), 422,
                 "validation_failed")
    assert_error(registrar_a.post("/payrolls", {"month": "2025-01", "region": "999999"}), 422,
                 "validation_failed")
    made = registrar_a.post("/payrolls", {"month": "2025-01", "region": "630102"})
    assert made.status_code == 201, made.content
    doc = made.json()
    assert (doc["month"], doc["region"], doc["state"]) == ("2025-01", "630102000000", "draft")
    assert doc["totals"] == {"persons": 1, "paid": 120.0, "recover": 0.0, "withheld": 0}
    assert doc["regions"][0]["name"] == "东关大街街道"
    assert doc["actions"] == ["run", "bank_file"]
    lines = registrar_a.get(f"/payrolls/{doc['id']}/lines").json()
    assert [(line["person_id"], line["kind"], line["amount"]) for line in lines["results"]] == [
        (p.pk, "regular", 120.0)]
    seen = AuditEvent.objects.filter(object_type="payroll", action="view").latest("pk")
    assert seen.data["ids"] == [p.pk]
    assert [x["id"] for x in registrar_a.get("/payrolls").json()["results"]] == [doc["id"]]

    assert registrar_b.get("/payrolls").json()["results"] == []
    assert_error(registrar_b.get(f"/payrolls/{doc['id']}"), 404, "not_found")
    assert_error(registrar_b.get(f"/payrolls/{doc['id']}/bank-file"), 404, "not_found")
    refused = assert_error(registrar_b.post("/payrolls", {"month": "2025-01", "region": "630102"}),
                           422, "validation_failed")
    assert refused["errors"][0]["code"] == "region_out_of_scope"
    assert_error(analyst_a.get("/payrolls"), 403, "forbidden")
    assert_error(registrar_a.post(f"/payrolls/{doc['id']}/approve", {}), 403, "forbidden")

    approved = reviewer_a.post(f"/payrolls/{doc['id']}/approve", {})
    assert approved.status_code == 200, approved.content
    assert (approved.json()["state"], approved.json()["actions"]) == ("approved", ["bank_file"])
    assert_error(reviewer_a.post(f"/payrolls/{doc['id']}/approve", {}), 422, "validation_failed")
    frozen = registrar_a.post("/payrolls", {"month": "2025-01", "region": "630102"})
    assert frozen.status_code == 422 and "不能重新生成" in frozen.content.decode()

    file = registrar_a.get(f"/payrolls/{doc['id']}/bank-file", {"format": "csv"})
    assert file.status_code == 200 and file["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert rows[1][4] == decrypt_id(p.id_number_encrypted)
    book = registrar_a.get(f"/payrolls/{doc['id']}/bank-file")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content))["发放明细"]
    assert list(sheet.values)[2][4] == decrypt_id(p.id_number_encrypted)
    exports = AuditEvent.objects.filter(object_type="payroll", action="export").order_by("pk")
    assert [(e.actor_name, e.data["format"]) for e in exports] == [("registrar_a", "csv"),
                                                                  ("registrar_a", "xlsx")]
