"""The registry pages, through the test client against the real database.

Scope (a person outside the user's regions is a 404 everywhere, and no search finds
them), forms that show every problem and write nothing until they are fixed, the
audit of views, reveals and exports, the import page, display settings, English.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from yangguang.accounts.models import Role
from yangguang.audit.models import AuditEvent
from yangguang.audit.services import verify_chain
from yangguang.core.crypto import decrypt_id
from yangguang.demo.generator import create_person, person_row, write_rows
from yangguang.jobs import services as jobs
from yangguang.jobs import workers
from yangguang.jobs.models import Job, JobState
from yangguang.registry.models import (
    CertificateStatus,
    Household,
    HouseholdStatus,
    ImportJob,
    ImportJobStatus,
    Person,
)
from yangguang.registry.selectors import PAGE_SIZE, search_persons
from yangguang.registry.services import import_jobs
from yangguang.registry.tests.conftest import COUNTY_A, COUNTY_B, VILLAGE_A, VILLAGE_B

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def html(response) -> str:
    return response.content.decode()


def id_of(person: Person) -> str:
    return decrypt_id(person.id_number_encrypted)


def events(action: str, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


@pytest.fixture
def person_a() -> Person:
    # Issued a year ago: a random issue date may be past the ten years' validity, and
    # the certificate's status comes from its dates.
    return create_person(户籍地区划代码=VILLAGE_A, 姓名="张阳光",
                         发证日期=(TODAY - dt.timedelta(days=365)).isoformat())


@pytest.fixture
def person_b() -> Person:
    return create_person(户籍地区划代码=VILLAGE_B, 姓名="张碑林")


# ---------------------------------------------------------------------------
# Access and scope


def test_anonymous_visitors_are_sent_to_the_login_page(client, person_a):
    for url in (f"/registry/persons/{person_a.pk}/", "/registry/persons/", "/registry/imports/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_a_person_outside_the_users_county_does_not_exist_for_them(staff, person_a, person_b):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    reviewer = staff(Role.REVIEWER, COUNTY_A)
    certificate_b = person_b.certificates.get()

    assert registrar.get(f"/registry/persons/{person_a.pk}/").status_code == 200
    for url in (f"/registry/persons/{person_b.pk}/", f"/registry/persons/{person_b.pk}/edit/",
                f"/registry/persons/{person_b.pk}/reveal/",
                f"/registry/persons/{2_000_000_000}/"):
        assert registrar.get(url).status_code == 404, url
    assert reviewer.get(f"/registry/certificates/{certificate_b.pk}/freeze/").status_code == 404
    assert reviewer.post(f"/registry/persons/{person_b.pk}/death/",
                         {"day": TODAY.isoformat()}).status_code == 404
    assert registrar.post(f"/registry/persons/{person_b.pk}/reveal/",
                          {"reason": "核对"}).status_code == 404
    person_b.refresh_from_db()
    assert person_b.deceased_date is None
    assert not events("reveal") and not events("view", person_id=person_b.pk)


def test_roles_without_the_capability_get_404(staff, person_a):
    analyst = staff(Role.ANALYST, COUNTY_A)
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    certificate = person_a.certificates.get()

    assert analyst.get(f"/registry/persons/{person_a.pk}/").status_code == 404
    assert analyst.get("/registry/persons/").status_code == 404
    # Changing a certificate's status is the reviewer's job.
    assert registrar.get(f"/registry/certificates/{certificate.pk}/cancel/").status_code == 404


def test_search_never_returns_persons_outside_the_users_scope(staff, person_a, person_b):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    number_b = person_b.certificates.get().number()

    for query in ({"name": "张"}, {"id_number": id_of(person_b)},
                  {"certificate_number": number_b}, {"region": COUNTY_B}, {}):
        page = html(registrar.post("/registry/persons/", query, follow=True))
        assert "找到" in page or "没有找到" in page, query
        assert "张碑林" not in page, query
        assert person_b.id_number_masked not in page, query
    assert "张阳光" in html(registrar.get("/registry/persons/", {"name": "张"}))
    # The selector itself, which the API and exports share.
    assert list(search_persons(registrar.user, name="张")) == [person_a]


def test_search_finds_by_id_and_certificate_number_and_filters_by_certificate(staff, person_a):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    other = create_person(户籍地区划代码=VILLAGE_A, 姓名="李四")
    certificate = person_a.certificates.get()
    spaced = " ".join(re.findall(".{1,6}", id_of(person_a)))

    assert "张阳光" in html(registrar.post("/registry/persons/", {"id_number": spaced}, follow=True))
    found = html(registrar.post("/registry/persons/", {"certificate_number": certificate.number()},
                                follow=True))
    assert "张阳光" in found and "李四" not in found
    by_kind = html(registrar.get("/registry/persons/", {
        "category": certificate.category, "level": certificate.level, "status": "valid"}))
    assert "张阳光" in by_kind
    other_certificate = other.certificates.get()
    if (other_certificate.category, other_certificate.level) != (certificate.category,
                                                                 certificate.level):
        assert "李四" not in by_kind
    assert "张阳光" not in html(registrar.get("/registry/persons/", {"status": "deceased"}))


def test_search_finds_a_name_by_any_part_and_shows_the_hukou_path(staff, person_a):
    province = staff(Role.REGISTRAR, "140000")  # 山西省: many villages share a name
    zhang = create_person(户籍地区划代码=VILLAGE_A, 姓名="张萍英")
    other = create_person(户籍地区划代码=VILLAGE_A, 姓名="萍张英")  # the characters, not the part
    create_person(户籍地区划代码=VILLAGE_B, 姓名="王萍英")  # another province

    for part in ("萍英", "张萍", "张萍英"):
        assert list(search_persons(province.user, name=part)) == [zhang], part
    assert list(search_persons(province.user, name="英")) == [zhang, other]
    assert list(search_persons(province.user, name="阳")) == [person_a]

    page = html(province.get("/registry/persons/", {"name": "萍英"}))
    assert "<td>五台县 · 台城镇 · 西米市社区居民委员会</td>" in page
    assert "王萍英" not in page
    person_page = html(province.get(f"/registry/persons/{zhang.pk}/"))
    assert "五台县 · 台城镇 · 西米市社区居民委员会（140922100001）" in person_page


def test_search_reports_a_malformed_id_number_with_the_registry_message(staff):
    registrar = staff(Role.REGISTRAR, COUNTY_A)

    page = html(registrar.post("/registry/persons/", {"id_number": "14092219900101123"},
                               follow=True))

    assert 'class="error-summary"' in page
    assert 'href="#id_id_number"' in page
    assert "公民身份号码格式不正确" in page


@pytest.mark.parametrize("scope", [COUNTY_A, "140000"])  # the two id orderings
def test_search_pages_by_id_with_next_and_previous_links(staff, scope):
    registrar = staff(Role.REGISTRAR, scope)
    people = [create_person(户籍地区划代码=VILLAGE_A, 姓名=f"王{'甲乙丙丁戊己庚辛壬癸'[i % 10]}")
              for i in range(2 * PAGE_SIZE + 2)]
    create_person(户籍地区划代码=VILLAGE_B, 姓名="王碑林")  # another province: never shown

    def shown(page: str) -> list[int]:
        return [int(pk) for pk in re.findall(r'href="/registry/persons/(\d+)/"', page)]

    def follow(page: str, rel: str) -> str:
        link = re.search(rf'href="\?([^"]*)" rel="{rel}"', page).group(1)
        return html(registrar.get("/registry/persons/?" + link.replace("&amp;", "&")))

    for query in ({"name": "王"}, {}):
        first = html(registrar.get("/registry/persons/", query))
        assert f"找到{2 * PAGE_SIZE + 2}人" in first
        assert shown(first) == [p.pk for p in people[:PAGE_SIZE]]
        assert 'rel="prev"' not in first
        second = follow(first, "next")
        assert shown(second) == [p.pk for p in people[PAGE_SIZE:2 * PAGE_SIZE]]
        third = follow(second, "next")
        assert shown(third) == [p.pk for p in people[2 * PAGE_SIZE:]]
        assert 'rel="prev"' in third and 'rel="next"' not in third
        assert shown(follow(third, "prev")) == shown(second)
        assert shown(follow(follow(third, "prev"), "prev")) == shown(first)


def test_search_answers_htmx_with_the_results_only(staff, person_a):
    registrar = staff(Role.REGISTRAR, COUNTY_A)

    response = registrar.get("/registry/persons/", {"name": "张"}, headers={"HX-Request": "true"})

    page = html(response)
    assert "<html" not in page
    assert 'hx-swap-oob="innerHTML"' in page and "找到1人" in page
    assert "张阳光" in page
    invalid = registrar.get("/registry/persons/", {"name": "张", "level": "9"},
                            headers={"HX-Request": "true"})
    assert invalid["HX-Redirect"] == "/registry/persons/?name=%E5%BC%A0&level=9"


# ---------------------------------------------------------------------------
# The person page


def test_person_page_masks_the_id_and_records_the_view(staff, person_a):
    registrar = staff(Role.REGISTRAR, COUNTY_A)

    response = registrar.get(f"/registry/persons/{person_a.pk}/")

    page = html(response)
    assert person_a.id_number_masked in page
    assert id_of(person_a) not in page
    assert "no-store" in response["Cache-Control"]
    assert "首次发证" in page  # the certificate's status history
    assert "登记人员；发放残疾人证（" in page  # the timeline, from the audit log
    [view] = events("view", person_id=person_a.pk)
    assert view.actor_id == registrar.user.pk
    assert verify_chain() is None


def test_person_page_lists_household_members_in_scope(staff):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    head = create_person(户籍地区划代码=VILLAGE_A, 姓名="赵大", 家庭编号="WT-0001", 与户主关系="户主")
    create_person(户籍地区划代码=VILLAGE_A, 姓名="赵二", 家庭编号="WT-0001", 与户主关系="子女")

    page = html(registrar.get(f"/registry/persons/{head.pk}/"))

    assert "WT-0001" in page and "赵二" in page


# ---------------------------------------------------------------------------
# Registering and editing


def form_data(row: dict) -> dict:
    keys = {"姓名": "name", "公民身份号码": "id_number", "残疾人证号": "certificate_number",
            "残疾类别": "category", "残疾等级": "level", "户籍地区划代码": "hukou_region",
            "发证日期": "issue_date", "多重残疾明细": "components"}
    data = {key: row.get(header, "") for header, key in keys.items()}
    data["issue_date"] = str(data["issue_date"])
    for key in ("category", "level"):
        data[key] = {"视力": 1, "听力": 2, "言语": 3, "肢体": 4, "智力": 5, "精神": 6,
                     "多重": 7, "一级": 1, "二级": 2, "三级": 3, "四级": 4}.get(
            str(data[key]).removesuffix("残疾"), data[key])
    return data


def test_create_form_shows_every_problem_writes_nothing_then_registers(staff):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    # A single disability and an 18-digit ID, so the form's fields cover the whole row.
    row = person_row(户籍地区划代码=VILLAGE_A, 残疾类别="肢体", 残疾等级="二级", 多重残疾明细="",
                     legacy_id=False)
    data = form_data(row)
    wrong = {**data, "name": "", "id_number": data["id_number"][:17] + "0"
             if not data["id_number"].endswith("0") else data["id_number"][:17] + "1",
             "phone": "12345"}
    persons, audit = Person.objects.count(), AuditEvent.objects.count()

    response = registrar.post("/registry/persons/new/", wrong)

    page = html(response)
    assert response.status_code == 200
    assert "<title>错误：" in page
    for anchor in ("#id_name", "#id_id_number", "#id_phone"):
        assert f'href="{anchor}"' in page
    assert "姓名不能为空" in page and "公民身份号码校验码错误" in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="id_phone_helptext id_phone_error"' in page
    assert (Person.objects.count(), AuditEvent.objects.count()) == (persons, audit)

    response = registrar.post("/registry/persons/new/", data)

    person = Person.objects.get(name=row["姓名"], hukou_region_id=VILLAGE_A)
    assert response.status_code == 302 and response["Location"] == f"/registry/persons/{person.pk}/"
    assert person.certificates.get().number() == row["残疾人证号"]
    assert [(e.action, e.object_type) for e in AuditEvent.objects.filter(person_id=person.pk)
            ] == [("create", "person")]


def test_create_form_refuses_a_hukou_outside_the_users_regions(staff):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    data = form_data(person_row(户籍地区划代码=VILLAGE_B, 残疾类别="肢体", 残疾等级="二级",
                                多重残疾明细="", legacy_id=False))

    page = html(registrar.post("/registry/persons/new/", data))

    assert "不在您负责的地区内" in page
    assert not Person.objects.exists()


def test_create_form_reports_an_id_already_registered(staff, person_a):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    certificate = person_a.certificates.get()
    data = form_data(person_row(公民身份号码=id_of(person_a), 户籍地区划代码=VILLAGE_A,
                                残疾类别=certificate.category, 残疾等级=certificate.level,
                                多重残疾明细=""))
    data["components"] = ", ".join(f"{c['category']}-{c['level']}" for c in certificate.components)

    page = html(registrar.post("/registry/persons/new/", data))

    assert "该公民身份号码已登记" in page
    assert Person.objects.count() == 1
    # A link to the person already registered (in the registrar's scope), and the
    # lookup is audited like a search by that ID number.
    assert f'<a href="/registry/persons/{person_a.pk}/">张阳光</a>' in page
    lookup = events("view", person_id=None)[-1]
    assert lookup.data["ids"] == [person_a.pk] and "id_number_hash" in lookup.data["query"]
    assert id_of(person_a) not in lookup.data_text


def test_create_form_links_to_nobody_for_an_id_registered_outside_the_scope(staff, person_b):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    certificate = person_b.certificates.get()
    data = form_data(person_row(公民身份号码=id_of(person_b), 户籍地区划代码=VILLAGE_A,
                                残疾类别=certificate.category, 残疾等级=certificate.level,
                                多重残疾明细=""))
    data["components"] = ", ".join(f"{c['category']}-{c['level']}" for c in certificate.components)

    page = html(registrar.post("/registry/persons/new/", data))

    assert Person.objects.count() == 1
    assert "张碑林" not in page and f"/registry/persons/{person_b.pk}/" not in page


def test_edit_form_keeps_the_id_and_saves_changes_after_an_error(staff, person_a):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    url = f"/registry/persons/{person_a.pk}/edit/"
    page = html(registrar.get(url))
    assert id_of(person_a) not in page and 'name="id_number"' not in page
    assert len(events("view", person_id=person_a.pk)) == 1  # the form shows the record
    initial = {name: value for name, value in re.findall(
        r'<input type="text" name="(\w+)" value="([^"]*)"', page)}
    selected = dict(re.findall(r'<select name="(\w+)"[^>]*>.*?<option value="([^"]*)" selected',
                               page, flags=re.S))
    data = {**initial, **selected}

    bad = registrar.post(url, {**data, "phone": "0000"})
    assert "联系电话“0000”格式不正确" in html(bad)
    person_a.refresh_from_db()
    assert person_a.phone != "0000"

    response = registrar.post(url, {**data, "phone": "13912345678"})

    assert response.status_code == 302
    person_a.refresh_from_db()
    assert person_a.phone == "13912345678"
    change = events("update", person_id=person_a.pk)[-1]
    assert change.data["changes"]["phone"][1] == "13912345678"
    assert "联系电话由" in html(registrar.get(f"/registry/persons/{person_a.pk}/"))


# ---------------------------------------------------------------------------
# Reveal, certificate actions, death


def test_reveal_needs_a_reason_is_audited_and_not_cached(staff, person_a):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    url = f"/registry/persons/{person_a.pk}/reveal/"

    page = html(registrar.post(url, {"reason": "  "}))
    assert "查看理由不能为空" in page and id_of(person_a) not in page
    assert not events("reveal")

    response = registrar.post(url, {"reason": "办理护理补贴核对户籍"})

    assert id_of(person_a) in html(response)
    assert "no-store" in response["Cache-Control"]
    [reveal] = events("reveal", person_id=person_a.pk)
    assert reveal.data == {"reason": "办理护理补贴核对户籍"}
    assert reveal.actor_id == registrar.user.pk
    assert "查看了完整的公民身份号码，理由：办理护理补贴核对户籍" in html(
        registrar.get(f"/registry/persons/{person_a.pk}/"))


def test_reveal_is_a_post_a_get_only_asks_for_the_reason(staff, person_a):
    registrar = staff(Role.REGISTRAR, COUNTY_A)

    page = html(registrar.get(f"/registry/persons/{person_a.pk}/reveal/"))

    assert id_of(person_a) not in page and 'name="reason"' in page
    assert not events("reveal")


def test_reviewer_freezes_restores_and_cancels_a_certificate(staff, person_a):
    reviewer = staff(Role.REVIEWER, COUNTY_A)
    certificate = person_a.certificates.get()
    base = f"/registry/certificates/{certificate.pk}"
    day = TODAY.isoformat()

    missing = html(reviewer.post(f"{base}/freeze/", {"day": day}))
    assert "原因不能为空" in missing
    assert reviewer.post(f"{base}/freeze/", {"reason": "moved_away", "day": day}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.FROZEN
    assert reviewer.post(f"{base}/restore/", {"day": day, "note": "已迁回"}).status_code == 302
    assert reviewer.post(f"{base}/cancel/", {"reason": "voluntary", "day": day}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.CANCELLED
    again = html(reviewer.post(f"{base}/freeze/", {"reason": "other", "day": day}))
    assert "残疾人证当前状态为注销，不能冻结" in again
    page = html(reviewer.get(f"/registry/persons/{person_a.pk}/"))
    assert "由“有效”变为“冻结”，原因：户籍迁出" in page and "已迁回" in page


def test_reviewer_records_a_death_which_cancels_the_certificate(staff, person_a):
    reviewer = staff(Role.REVIEWER, COUNTY_A)
    url = f"/registry/persons/{person_a.pk}/death/"

    future = html(reviewer.post(url, {"day": (TODAY + dt.timedelta(days=3)).isoformat()}))
    assert "晚于今天" in future

    assert reviewer.post(url, {"day": TODAY.isoformat()}).status_code == 302

    person_a.refresh_from_db()
    assert person_a.deceased_date == TODAY
    assert person_a.certificates.get().status == CertificateStatus.CANCELLED


# ---------------------------------------------------------------------------
# Import


def upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


def test_import_dry_run_then_confirm_with_bad_rows_and_error_report(staff, tmp_var, tmp_path):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    good = [person_row(户籍地区划代码=VILLAGE_A) for _ in range(3)]
    bad = person_row(户籍地区划代码=VILLAGE_A, 公民身份号码="140922199001011230")
    path = tmp_path / "五台.xlsx"
    write_rows([*good, bad], path)

    response = registrar.post("/registry/imports/", {"file": upload(path), "dry_run": "on"})

    job = ImportJob.objects.get()
    assert response["Location"] == f"/registry/imports/{job.pk}/"
    assert not Person.objects.exists()
    page = html(registrar.get(response["Location"]))
    assert "这是试导入" in page
    assert job.result["created"] == 3 and job.result["rejected"] == 1
    assert "确认导入" in page and f'action="/registry/imports/{job.pk}/confirm/"' in page
    # Nobody else confirms it, and a GET does not.
    other = staff(Role.REGISTRAR, COUNTY_A)
    assert other.post(f"/registry/imports/{job.pk}/confirm/").status_code == 404
    assert registrar.get(f"/registry/imports/{job.pk}/confirm/").status_code == 405

    # 「确认导入」 imports the same upload: no second upload.
    response = registrar.post(f"/registry/imports/{job.pk}/confirm/")

    dry_run, job = job, ImportJob.objects.exclude(dry_run=True).get()
    assert response["Location"] == f"/registry/imports/{job.pk}/"
    assert (job.kind, job.file_name) == ("persons", "五台.xlsx")
    assert job.status == ImportJobStatus.DONE
    assert not list((tmp_var / "media" / "imports").glob(f"{job.pk.hex}.*"))  # upload deleted
    # A dry run is confirmed once: the second time its file is gone.
    again = registrar.post(f"/registry/imports/{dry_run.pk}/confirm/", follow=True)
    assert "已经导入过" in html(again) and ImportJob.objects.count() == 2
    assert "确认导入" not in html(registrar.get(f"/registry/imports/{dry_run.pk}/"))
    assert Person.objects.count() == 3
    page = html(registrar.get(f"/registry/imports/{job.pk}/"))
    assert "第5行" not in page  # rows are listed in a table, by number
    assert re.search(r'<td class="numeric">5</td><td>公民身份号码</td>', page)
    report = registrar.get(f"/registry/imports/{job.pk}/errors.xlsx")
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == 5 and "校验码" in rows[1][-1]
    # Another user's job does not exist for them.
    assert other.get(f"/registry/imports/{job.pk}/").status_code == 404
    assert other.get(f"/registry/imports/{job.pk}/errors.xlsx").status_code == 404
    assert "五台.xlsx" in html(registrar.get("/"))  # recent imports on the home page


def test_import_rejects_rows_outside_the_users_regions(staff, tmp_var, tmp_path, person_b):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    moved = person_row(公民身份号码=id_of(person_b), 户籍地区划代码=VILLAGE_A)
    path = tmp_path / "rows.csv"
    write_rows([person_row(户籍地区划代码=VILLAGE_A), person_row(户籍地区划代码=VILLAGE_B), moved],
               path)

    registrar.post("/registry/imports/", {"file": upload(path)})

    job = ImportJob.objects.get()
    assert (job.result["created"], job.result["rejected"]) == (1, 2)
    codes = {e["row"]: e["message"] for e in job.result["errors"]}
    assert "不在您负责的地区内" in codes[3]
    assert "您负责地区以外" in codes[4]
    person_b.refresh_from_db()
    assert person_b.hukou_region_id == VILLAGE_B


def test_import_page_explains_an_unreadable_file_and_a_wrong_type(staff, tmp_var):
    registrar = staff(Role.REGISTRAR, COUNTY_A)

    wrong = html(registrar.post("/registry/imports/", {
        "file": SimpleUploadedFile("照片.png", b"\x89PNG....")}))
    assert "不是 XLSX、XLS 或 CSV 文件" in wrong and 'href="#id_file"' in wrong
    missing = html(registrar.post("/registry/imports/", {}))
    assert "请选择要导入的文件" in missing

    response = registrar.post("/registry/imports/", {
        "file": SimpleUploadedFile("空表.csv", "姓名,备注\n张三,\n".encode())})

    page = html(registrar.get(response["Location"]))
    assert "文件无法导入" in page and "缺少必填列" in page
    assert "yangguang template" not in page  # no command-line tool on a web page

    response = registrar.post("/registry/imports/", {
        "file": SimpleUploadedFile("改名.xlsx", "姓名,备注\n张三,\n".encode())})
    page = html(registrar.get(response["Location"]))
    assert "文件无法读取：不是有效的 XLSX/XLS/CSV 文件" in page and ".csv" in page


def test_every_import_kind_has_its_template_and_imports_on_the_page(staff, tmp_var, tmp_path):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    page = html(registrar.get("/registry/imports/"))
    for kind in ("persons", "household-statuses"):
        assert f'href="/registry/imports/templates/{kind}.xlsx"' in page
    template = registrar.get("/registry/imports/templates/household-statuses.xlsx")
    book = load_workbook(io.BytesIO(b"".join(template.streaming_content)))
    assert book.sheetnames == ["家庭经济状况", "填写说明"]
    assert registrar.get("/registry/imports/templates/nothing.xlsx").status_code == 404
    Household.objects.create(number="H-A", region_id=VILLAGE_A)
    Household.objects.create(number="H-B", region_id=VILLAGE_B)
    path = tmp_path / "低保.csv"
    path.write_text("家庭编号,经济状况,开始日期\nH-A,低保,2021-01-01\nH-B,低保,2021-01-01\n",
                    encoding="utf-8")

    response = registrar.post("/registry/imports/", {"kind": "household-statuses",
                                                     "file": upload(path)})

    job = ImportJob.objects.get()
    assert job.kind == "household-statuses"
    assert (job.result["created"], job.result["rejected"]) == (1, 1)  # H-B: another county
    assert "家庭经济状况" in html(registrar.get(response["Location"]))
    assert HouseholdStatus.objects.get().household.number == "H-A"


def test_a_large_import_runs_after_the_upload_with_a_progress_page(staff, tmp_var, tmp_path,
                                                                  settings):
    settings.YANGGUANG_IMPORT_INLINE_BYTES = 0  # every file counts as large
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    path = tmp_path / "big.csv"
    write_rows([person_row(户籍地区划代码=VILLAGE_A) for _ in range(2)], path)

    response = registrar.post("/registry/imports/", {"file": upload(path)})

    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.QUEUED
    assert (job.job.kind, job.job.state, job.job.owner) == ("import", JobState.QUEUED, job.user)
    assert DBTaskResult.objects.get().args_kwargs["args"] == [str(job.job.pk)]  # queued
    page = html(registrar.get(response["Location"]))
    assert '<noscript><meta http-equiv="refresh"' in page
    assert 'hx-trigger="every 2s"' in page and "<progress" in page
    poll = registrar.get(response["Location"], headers={"HX-Request": "true"})
    assert "<html" not in html(poll) and "import-progress" in html(poll)

    # Progress as the worker reports it while the import runs.
    Job.objects.filter(pk=job.job.pk).update(state=JobState.RUNNING,
                                             worker=workers.this_process())
    context = jobs.Context(Job.objects.get(pk=job.job.pk))
    context.progress(2, 2)  # every row read: the import is finishing (indexes, the commit)
    poll = html(registrar.get(response["Location"], headers={"HX-Request": "true"}))
    assert "已检查全部2行，正在写入数据库并完成导入" in poll and 'value="2"' in poll
    context.progress(1, 2)
    poll = html(registrar.get(response["Location"], headers={"HX-Request": "true"}))
    assert "已检查1行，共2行" in poll and "正在写入数据库" not in poll
    Job.objects.filter(pk=job.job.pk).update(state=JobState.QUEUED)

    # What the worker runs.
    jobs.run(job.job.pk)

    assert Person.objects.count() == 2
    job.refresh_from_db()
    assert job.job.state == JobState.DONE and job.job.result["created"] == 2
    poll = registrar.get(response["Location"], headers={"HX-Request": "true"})
    assert poll["HX-Refresh"] == "true"
    page = html(registrar.get(response["Location"]))
    assert "导入结果" in page and "<progress" not in page and "http-equiv" not in page


def test_an_import_whose_worker_died_ends_as_failed_and_can_be_retried(
        staff, tmp_var, tmp_path, settings):
    """A worker killed mid-import (kill -9, a crash) leaves its job "running": once the
    worker is known to be gone, the pages that show the import mark it failed, keep
    its upload, and a retry imports it. (A real kill: jobs/tests/test_worker_kill.py.)"""
    settings.YANGGUANG_IMPORT_INLINE_BYTES = 0
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    path = tmp_path / "big.csv"
    write_rows([person_row(户籍地区划代码=VILLAGE_A) for _ in range(2)], path)
    registrar.post("/registry/imports/", {"file": upload(path)})
    registrar.post("/registry/imports/", {"file": upload(path)})
    dead, alive = ImportJob.objects.order_by("created_at")
    # A process id that no longer exists on this machine, and this process.
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    gone = f"{socket.gethostname()[:60]}:{finished.stdout.strip()}:x"
    Job.objects.filter(pk=dead.job_id).update(state=JobState.RUNNING, worker=gone)
    Job.objects.filter(pk=alive.job_id).update(state=JobState.RUNNING,
                                               worker=workers.this_process())

    page = html(registrar.get(f"/registry/imports/{dead.pk}/"))
    listing = html(registrar.get("/registry/imports/"))

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == ImportJobStatus.FAILED and dead.finished_at is not None
    assert dead.job.state == JobState.FAILED and "进程停止了" in dead.job.error
    assert "进程停止了" in page and "<progress" not in page
    assert import_jobs.upload_path(dead).exists()  # kept for the retry
    assert alive.status == ImportJobStatus.RUNNING and alive.job.state == JobState.RUNNING
    assert html(registrar.get(f"/registry/imports/{alive.pk}/")).count("<progress") == 1
    assert listing.count("无法导入") == 1 and listing.count("正在导入") == 1
    assert Person.objects.count() == 0

    jobs.retry(dead.job, actor=registrar.user)
    dead.refresh_from_db()
    assert dead.job.state == JobState.QUEUED
    html(registrar.get(f"/registry/imports/{dead.pk}/"))
    dead.refresh_from_db()
    assert dead.status == ImportJobStatus.QUEUED
    jobs.run(dead.job_id)

    dead.refresh_from_db()
    assert dead.status == ImportJobStatus.DONE and dead.job.attempts == 1
    assert Person.objects.count() == 2
    assert not import_jobs.upload_path(dead).exists()


def test_import_template_download(staff):
    registrar = staff(Role.REGISTRAR, COUNTY_A)

    response = registrar.get("/registry/imports/templates/persons.xlsx")

    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in next(workbook.active.iter_rows(max_row=1))][:2] == ["姓名", "公民身份号码"]


# ---------------------------------------------------------------------------
# Export


def test_export_of_a_search_is_audited_with_its_row_count(staff, person_a, person_b):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    create_person(户籍地区划代码=VILLAGE_A, 姓名="李四")
    page = html(registrar.get("/registry/persons/", {"name": "张"}))
    assert 'action="/registry/persons/export/"' in page

    response = registrar.post("/registry/persons/export/", {"name": "张"})

    assert response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))[1:]
    assert [(r[0], r[1]) for r in rows] == [("张阳光", id_of(person_a))]
    [export] = events("export")
    assert export.data["rows"] == 1 and export.data["criteria"]["name"] == "张"
    assert export.actor_id == registrar.user.pk and export.region_code == COUNTY_A + "000000"
    # The name the user received, not the temporary file's.
    assert response["Content-Disposition"].endswith(quote(export.data["file"]))
    assert export.data["file"].startswith("残疾人信息_")


def test_export_needs_the_capability_and_a_region_in_scope(staff, person_a):
    analyst = staff(Role.ANALYST, COUNTY_A)
    registrar = staff(Role.REGISTRAR, COUNTY_A)

    assert analyst.post("/registry/persons/export/", {}).status_code == 404
    response = registrar.post("/registry/persons/export/", {"region": COUNTY_B})

    assert response.status_code == 302
    assert not events("export")


# ---------------------------------------------------------------------------
# Home page, layout, display settings, language


def test_home_page_shows_each_role_its_work(staff, person_a, client):
    registrar = html(staff(Role.REGISTRAR, COUNTY_A).get("/"))
    assert 'action="/registry/persons/"' in registrar
    assert "最近的导入" in registrar and "五台县" in registrar
    analyst = html(staff(Role.ANALYST, COUNTY_A).get("/"))
    assert 'href="/statistics/' in analyst and 'action="/registry/persons/"' not in analyst
    auditor = html(staff(Role.AUDITOR, COUNTY_A).get("/"))
    assert 'href="/audit/"' in auditor and "五台县" not in auditor
    anonymous = html(client.get("/"))
    assert 'href="/accounts/login/"' in anonymous and "张阳光" not in anonymous


def test_every_page_has_landmarks_one_h1_and_labelled_inputs(staff, person_a):
    reviewer = staff(Role.REVIEWER, COUNTY_A, (Role.REGISTRAR, COUNTY_A))
    certificate = person_a.certificates.get()
    for url in ("/", "/registry/persons/", f"/registry/persons/{person_a.pk}/",
                "/registry/persons/new/", f"/registry/persons/{person_a.pk}/edit/",
                f"/registry/persons/{person_a.pk}/reveal/", f"/registry/persons/{person_a.pk}/death/",
                f"/registry/certificates/{certificate.pk}/cancel/", "/registry/imports/"):
        page = html(reviewer.get(url))
        assert page.count("<h1") == 1, url
        for landmark in ('<header', '<nav class="site-nav"', '<main id="main"', "<footer"):
            assert landmark in page, (url, landmark)
        assert 'class="skip-link" href="#main"' in page
        assert " style=" not in page and "<style" not in page and "<script>" not in page, url
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert len(ids) == len(set(ids)), (url, sorted(i for i in ids if ids.count(i) > 1))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
            if 'type="hidden"' in tag:
                continue
            field_id = re.search(r'id="([^"]+)"', tag).group(1)
            assert f'for="{field_id}"' in page, (url, tag)
        for table in re.findall(r"<table.*?</table>", page, flags=re.S):
            assert "<caption" in table and 'scope="col"' in table, url


def test_large_text_and_high_contrast_persist_in_a_cookie(client):
    response = client.post("/display/", {"contrast": "on", "large": "on", "next": "/registry/x"})

    assert response.status_code == 302 and response["Location"] == "/registry/x"
    assert response.cookies["yg_display"].value == "contrast.large"
    page = html(client.get("/"))
    assert 'class="text-large contrast-high"' in page
    assert 'id="display-contrast" name="contrast" type="checkbox" checked' in page

    client.post("/display/", {"next": "https://elsewhere.example/"})
    assert 'class="' not in html(client.get("/")).split("<head>")[0]


def test_display_settings_refuse_a_redirect_to_another_site(client):
    response = client.post("/display/", {"large": "on", "next": "https://elsewhere.example/"})

    assert response["Location"] == "/"


def test_pages_render_in_english(staff, person_a):
    reviewer = staff(Role.REVIEWER, COUNTY_A)
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    for client in (reviewer, registrar):
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    for client, url in ((reviewer, "/"), (reviewer, "/registry/persons/?name=张"),
                        (reviewer, f"/registry/persons/{person_a.pk}/"),
                        (reviewer, f"/registry/persons/{person_a.pk}/reveal/"),
                        (registrar, f"/registry/persons/{person_a.pk}/edit/"),
                        (registrar, "/registry/imports/")):
        response = client.get(url)
        assert response.status_code == 200, url
        page = html(response)
        assert '<html lang="en"' in page, url
        assert "Skip to main content" in page, url
        # Labels, headings, table headers and choices start with a capital letter.
        for tag in ("label", "legend", "dt", "th", "h1", "h2", "caption", "option"):
            for inner in re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", page, flags=re.S):
                text = re.sub(r"<[^>]+>", "", inner).strip()
                assert not text[:1].islower(), (url, tag, text)


def test_error_reports_are_deleted_after_a_week(staff, tmp_var, tmp_path):
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    path = tmp_path / "rows.csv"
    write_rows([person_row(户籍地区划代码=VILLAGE_A, 公民身份号码="140922199001011230")], path)
    registrar.post("/registry/imports/", {"file": upload(path), "dry_run": "on"})
    job = ImportJob.objects.get()
    report = import_jobs.report_path(job)
    assert report.exists()
    week_ago = time.time() - 8 * 24 * 60 * 60
    os.utime(report, (week_ago, week_ago))

    assert import_jobs.purge_old_files() == 1

    assert not report.exists()
    assert registrar.get(f"/registry/imports/{job.pk}/errors.xlsx").status_code == 404
    assert "errors.xlsx" not in html(registrar.get(f"/registry/imports/{job.pk}/"))


def test_a_page_request_limits_its_connections_lock_wait(staff, settings):
    """Each request's connection waits for a lock at most YANGGUANG_REQUEST_LOCK_TIMEOUT_MS
    (PostgreSQL's lock_timeout, SQLite's busy_timeout; the page a wait that runs out
    gets on SQLite: core/tests/test_busy_sqlite.py)."""
    from django.db import connection

    settings.YANGGUANG_REQUEST_LOCK_TIMEOUT_MS = 1234
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    assert registrar.get("/registry/persons/").status_code == 200
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 1234
        else:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "1234ms"


def test_a_page_waits_briefly_for_a_locked_registry_then_says_to_try_again(
        staff, settings, locked_elsewhere):
    """While a first load holds the registry's tables (PostgreSQL), a page waits at most
    YANGGUANG_REQUEST_LOCK_TIMEOUT_MS, then answers 503 asking to try again later."""
    from django.db import connection

    settings.YANGGUANG_REQUEST_LOCK_TIMEOUT_MS = 200
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    with locked_elsewhere(Person._meta.db_table):
        started = time.monotonic()
        response = registrar.get("/registry/persons/", {"name": "张"})
        waited = time.monotonic() - started
    if connection.vendor != "postgresql":  # nothing locked
        assert response.status_code == 200
        return
    assert response.status_code == 503 and response["Retry-After"] == "30"
    page = html(response)
    assert "数据正在导入，请稍后再试" in page and "没有数据丢失" in page
    assert 0.2 <= waited < 5  # the request's own limit, not the lock holder's 5 s


def test_a_person_page_shows_no_household_data_of_another_county(staff, actor):
    # A person of county A named in a household of county B (as the API allowed before
    # the services refused it: issue 16, fault 1): the page shows the number, which is
    # the person's own data, but none of the household's economic status.
    from yangguang.registry import services
    from yangguang.registry.models import EconomicStatus, Household

    create_person(户籍地区划代码=VILLAGE_B, 家庭编号=VILLAGE_B + "0001", 与户主关系="户主")
    foreign = Household.objects.get(number=VILLAGE_B + "0001")
    services.set_household_status(foreign, EconomicStatus.DIBAO, dt.date(2020, 1, 1), actor=actor)
    own = create_person(户籍地区划代码=VILLAGE_A, 家庭编号=VILLAGE_A + "0001", 与户主关系="户主")
    services.set_household_status(own.household, EconomicStatus.TEKUN, dt.date(2021, 1, 1),
                                  actor=actor)
    registrar = staff(Role.REGISTRAR, COUNTY_A)
    assert "特困" in html(registrar.get(f"/registry/persons/{own.pk}/"))
    Person.objects.filter(pk=own.pk).update(household=foreign)

    page = html(registrar.get(f"/registry/persons/{own.pk}/"))

    assert foreign.number in page
    assert "低保" not in page and "2020-01-01" not in page
