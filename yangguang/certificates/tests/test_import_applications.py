"""The certificate-applications import: paper applications in bulk through the shared
import framework, each opened by the same service and rules as the form."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.certificates.importing import APPLICATIONS
from yangguang.certificates.models import CertificateCase
from yangguang.certificates.tests.cases_fixtures import certified, uncertified
from yangguang.core.crypto import decrypt_id
from yangguang.imports import spec
from yangguang.imports.running import import_file
from yangguang.registry.tests.conftest import COUNTY_A, COUNTY_B, VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.django_db
HEADERS = [c.header for c in APPLICATIONS.columns]
TODAY = dt.date.today()


def id_of(person) -> str:
    return decrypt_id(person.id_number_encrypted)


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, HEADERS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def people(actor):
    return {"new": uncertified(actor, VILLAGE_A, 姓名="周新办"),
            "renew": certified(actor, VILLAGE_A, 姓名="吴换领", 发证日期=TODAY - dt.timedelta(days=3500)),
            "moved": certified(actor, VILLAGE_A, 姓名="郑迁移")}


def rows(people) -> list[dict[str, str]]:
    return [
        {"公民身份号码": id_of(people["new"]), "姓名": "周新办", "业务类型": "新办",
         "申请方式": "上门办证", "申请日期": (TODAY - dt.timedelta(days=2)).isoformat(),
         "说明": "纸质档案补录"},
        {"公民身份号码": id_of(people["renew"]), "姓名": "吴换领", "业务类型": "renewal"},
        {"公民身份号码": id_of(people["moved"]), "姓名": "郑迁移", "业务类型": "迁移",
         "迁入地区划代码": VILLAGE_B},
    ]


def test_the_kind_is_registered_with_its_template_columns():
    assert spec.get("certificate-applications") is APPLICATIONS
    assert HEADERS[:3] == ["公民身份号码", "姓名", "业务类型"]
    assert "居住证号码" in HEADERS


def test_rows_open_cases_through_the_service_audited_and_a_reimport_changes_nothing(
        tmp_path, people):
    path = write_csv(tmp_path / "a.csv", rows(people))
    dry = import_file(APPLICATIONS, path, actor="test", dry_run=True)
    assert (dry.rows, dry.created, dry.rejected) == (3, 3, 0)
    assert not CertificateCase.objects.exists()

    result = import_file(APPLICATIONS, path, actor="test")
    assert (result.rows, result.created, result.rejected) == (3, 3, 0)
    new = CertificateCase.objects.get(person=people["new"])
    assert (new.kind, new.applicant, new.applied_on, new.state) == (
        "new", "home_visit", TODAY - dt.timedelta(days=2), "applied")
    assert new.steps.get().note == "纸质档案补录"
    assert CertificateCase.objects.get(person=people["moved"]).target_region_id == VILLAGE_B
    assert AuditEvent.objects.filter(object_type="certificate_case",
                                     action=AuditAction.CREATE).count() == 3
    assert AuditEvent.objects.get(action=AuditAction.IMPORT).data["created"] == 3

    again = import_file(APPLICATIONS, path, actor="test")
    assert (again.created, again.unchanged, again.rejected) == (0, 3, 0)
    assert CertificateCase.objects.count() == 3


def test_bad_rows_are_named_by_row_and_column_and_nothing_of_them_is_written(tmp_path,
                                                                             people):
    bad = rows(people)
    bad[0]["姓名"] = "周新"  # not the registered name
    bad[1]["业务类型"] = "补办"
    bad[2]["迁入地区划代码"] = ""  # a transfer needs its destination
    bad.append(dict(bad[1], 业务类型="换领"))  # good
    bad.append(dict(bad[1], 业务类型="挂失补办"))  # the same person again
    result = import_file(APPLICATIONS, write_csv(tmp_path / "b.csv", bad), actor="test")
    assert (result.created, result.rejected) == (1, 4)
    found = {(e.row, e.column, e.code) for e in result.errors}
    assert found == {(2, "公民身份号码", "applicant_not_found"),
                     (3, "业务类型", "choice_invalid"),
                     (4, "迁入地区划代码", "required"),
                     (6, "公民身份号码", "application_duplicate_in_file")}
    assert all(e.message for e in result.errors)
    assert [c.kind for c in CertificateCase.objects.all()] == ["renewal"]


def test_an_import_lodges_only_where_the_importer_may(tmp_path, people):
    at_residence = rows(people)[1:2] + [
        dict(rows(people)[2], 常住地区划代码=VILLAGE_B, 居住证号码="610103-9")]
    result = import_file(APPLICATIONS, write_csv(tmp_path / "c.csv", at_residence),
                         actor="test", scope=(COUNTY_B,))
    assert (result.created, result.rejected) == (1, 1)
    assert [(e.row, e.code) for e in result.errors] == [(2, "case_out_of_scope")]
    lodged = CertificateCase.objects.get()
    assert (lodged.person_id, lodged.holder_region_id) == (people["moved"].pk,
                                                           COUNTY_B + "000000")
    own = import_file(APPLICATIONS, write_csv(tmp_path / "d.csv", rows(people)[:2]),
                      actor="test", scope=(COUNTY_A,))
    assert (own.created, own.rejected) == (2, 0)
