"""The staff's core flows in Chromium, against the live server.

Each test signs in through the login page and works as a registrar of 五台县 would:
search, open a person, edit (with a mistake first), import a file with bad rows,
reveal an ID number with a reason; and the same search with the keyboard alone.
"""

from __future__ import annotations

import re

import openpyxl
import pytest

from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.demo.generator import write_rows
from yangguang.registry.models import Person
from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, sign_in
from yangguang.tests_e2e.world import row_in, with_wrong_check_digit

pytestmark = pytest.mark.django_db(**LIVE_DB)


def test_signing_in_leads_to_the_workspace_and_a_wrong_password_is_refused(live, page):
    registrar = live.a.users["registrar"]

    sign_in(page, live, registrar.username, password="not-the-password")
    assert page.get_by_role("alert").is_visible()
    assert "用户名或密码不正确" in page.get_by_role("alert").inner_text()
    assert page.title().startswith("错误：")

    sign_in(page, live, registrar.username)
    assert "/accounts/login/" not in page.url
    assert page.get_by_role("button", name="退出登录").is_visible()


def test_search_finds_a_person_in_scope_and_opens_the_person_page(live, page):
    registrar = live.a.users["registrar"]
    person = live.a.person
    sign_in(page, live, registrar.username)

    page.goto(f"{live.url}/registry/persons/")
    page.get_by_label("姓名").fill(person.name)
    page.get_by_role("button", name="查询").click()

    results = page.get_by_role("table", name="查询结果")
    results.wait_for()
    assert results.get_by_role("link", name=person.name).count() == 1
    assert person.id_number_masked in results.inner_text()
    results.get_by_role("link", name=person.name).click()
    page.wait_for_url(re.compile(rf"/registry/persons/{person.pk}/$"))
    assert page.get_by_role("heading", level=1).inner_text() == person.name
    assert live.a.id_numbers[person.pk] not in page.content()  # shown masked only


def test_search_does_not_find_a_person_of_another_county(live, page):
    sign_in(page, live, live.a.users["registrar"].username)
    other = live.b.person

    page.goto(f"{live.url}/registry/persons/")
    page.get_by_label("姓名").fill(other.name)
    page.get_by_role("button", name="查询").click()

    page.get_by_text("没有找到符合条件的人员").wait_for()
    assert other.name not in page.locator("#results").inner_text()


def test_editing_with_a_mistake_shows_the_error_then_saves_the_fix(live, page):
    person = live.a.person
    sign_in(page, live, live.a.users["registrar"].username)
    page.goto(f"{live.url}/registry/persons/{person.pk}/")

    page.get_by_role("link", name="修改信息").click()
    page.get_by_label("联系电话").fill("12ab")
    page.get_by_role("button", name="保存修改").click()

    summary = page.get_by_role("alert")
    assert summary.is_visible()
    assert page.title().startswith("错误：")
    assert "联系电话" in summary.inner_text()
    summary.get_by_role("link").first.click()  # the summary links to the field
    assert page.evaluate("document.activeElement.name") == "phone"
    field = page.get_by_label("联系电话")
    assert field.get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []  # the error state is accessible too

    field.fill("13912345678")
    page.get_by_role("button", name="保存修改").click()
    # The fragment the error link added stays across the redirect, as browsers do.
    page.wait_for_url(re.compile(rf"/registry/persons/{person.pk}/(#.*)?$"))
    assert "已保存修改" in page.get_by_role("status").first.inner_text()
    assert "13912345678" in page.locator("main").inner_text()
    person.refresh_from_db()
    assert person.phone == "13912345678"
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="person",
                                     person_id=person.pk).exists()


def test_a_dry_run_then_confirm_imports_the_same_file_and_offers_the_report(live, page,
                                                                        tmp_path):
    spec = live.a.spec
    rows = [row_in(spec) for _ in range(2)]
    bad_id = with_wrong_check_digit(row_in(spec, 姓名="韩雪梅"))
    bad_region = {**row_in(spec, 姓名="曹立新"), "户籍地区划代码": "999999"}
    upload = tmp_path / "导入.csv"
    write_rows([rows[0], bad_id, rows[1], bad_region], upload)
    before = Person.objects.count()
    sign_in(page, live, live.a.users["registrar"].username)

    page.goto(f"{live.url}/registry/imports/")
    assert axe_violations(page) == []
    page.get_by_label("导入类型").select_option(label="残疾人信息")
    page.get_by_label("导入文件").set_input_files(str(upload))
    assert page.get_by_label("仅检查，不写入（试导入）").is_checked()  # a dry run first
    page.get_by_role("button", name="上传并导入").click()

    # The dry run: what the import would do, nothing written, and 「确认导入」.
    page.get_by_role("heading", name="导入结果").wait_for()
    assert "这是试导入" in page.locator("main").inner_text()
    summary = page.get_by_role("table", name="导入汇总").inner_text()
    assert re.search(r"新登记\s+2", summary) and re.search(r"有问题未导入\s+2", summary)
    assert Person.objects.count() == before
    assert axe_violations(page) == []
    page.get_by_role("button", name="确认导入").click()

    # The same file imported for real, without a second upload.
    page.get_by_role("heading", name="导入结果").wait_for()
    assert "这是试导入" not in page.locator("main").inner_text()
    assert page.get_by_role("button", name="确认导入").count() == 0
    summary = page.get_by_role("table", name="导入汇总").inner_text()
    assert re.search(r"新登记\s+2", summary) and re.search(r"有问题未导入\s+2", summary)
    errors = page.get_by_role("table", name="每行的问题")
    lines = errors.locator("tbody tr").all_inner_texts()
    assert [line.split("\t")[0] for line in lines] == ["3", "5"]  # file rows, header is row 1
    assert "公民身份号码" in lines[0] and "户籍地区划代码" in lines[1]
    assert Person.objects.count() == before + 2
    assert axe_violations(page) == []

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("下载错误报告")).click()
    report = tmp_path / download.value.suggested_filename
    download.value.save_as(report)
    sheet = openpyxl.load_workbook(report, read_only=True).worksheets[0]
    cells = [" ".join(str(v) for v in row if v is not None) for row in sheet.iter_rows(values_only=True)]
    assert any("韩雪梅" in line for line in cells) and any("曹立新" in line for line in cells)
    assert not any(rows[0]["姓名"] in line for line in cells)


def test_revealing_an_id_number_needs_a_reason_and_is_audited(live, page):
    person = live.a.person
    full = live.a.id_numbers[person.pk]
    sign_in(page, live, live.a.users["registrar"].username)
    page.goto(f"{live.url}/registry/persons/{person.pk}/")
    assert full not in page.content()

    page.get_by_role("link", name="查看完整身份号码").click()
    page.get_by_role("button", name="查看号码").click()
    assert page.get_by_role("alert").is_visible()  # no reason given
    assert full not in page.content()

    page.get_by_label("查看理由").fill("核对户籍信息")
    page.get_by_role("button", name="查看号码").click()

    assert page.locator(".revealed").inner_text().strip() == full
    event = AuditEvent.objects.filter(action=AuditAction.REVEAL, person_id=person.pk).get()
    assert event.data["reason"] == "核对户籍信息"
    assert event.actor_name == live.a.users["registrar"].username


def test_a_page_behind_a_first_load_asks_to_try_again_and_is_accessible(
        live, page, settings, locked_elsewhere):
    """While a first load holds the registry (PostgreSQL), the search waits briefly and
    then shows the "try again later" page, which passes the axe audit; on SQLite
    nothing holds the registry and the search answers."""
    from django.db import connection

    settings.YANGGUANG_REQUEST_LOCK_TIMEOUT_MS = 300
    sign_in(page, live, live.a.users["registrar"].username)
    with locked_elsewhere(Person._meta.db_table):
        response = page.goto(f"{live.url}/registry/persons/?name={live.a.person.name}")
        if connection.vendor != "postgresql":
            assert response.status == 200
            return
        assert response.status == 503 and response.headers["retry-after"] == "30"
        assert page.get_by_role("heading", level=1).inner_text() == "数据正在导入，请稍后再试"
        assert axe_violations(page) == []
    page.get_by_role("link", name="刷新").click()
    page.get_by_role("table", name="查询结果").wait_for()


def test_a_reviewer_reassesses_from_the_person_page_on_an_assessment(live, page):
    person = live.a.person
    old = person.certificates.get()
    new_level = 4 if old.level != 4 else 3
    sign_in(page, live, live.a.users["reviewer"].username)
    page.goto(f"{live.url}/registry/persons/{person.pk}/")

    page.get_by_role("link", name="重新评定（变更类别或等级）").click()
    page.get_by_label("残疾类别").select_option(str(old.category))
    page.get_by_label("残疾等级").select_option(str(new_level))
    page.get_by_role("button", name="确认变更").click()

    summary = page.get_by_role("alert")
    assert summary.is_visible() and "评定机构" in summary.inner_text()
    assert page.title().startswith("错误：")
    assert axe_violations(page) == []
    assert person.certificates.count() == 1

    page.get_by_label("评定机构").fill("五台县人民医院")
    page.get_by_label("评定日期").fill(old.issue_date.isoformat())
    if old.category == 7:  # a multiple disability names its components
        page.get_by_label("多重残疾明细").fill(f"视力{'一二三四'[new_level - 1]}级；肢体四级")
    page.get_by_role("button", name="确认变更").click()

    page.wait_for_url(re.compile(rf"/registry/persons/{person.pk}/$"))
    assert "已按重新评定结果发放残疾人证" in page.get_by_role("status").first.inner_text()
    old.refresh_from_db()
    assert old.status == "cancelled"
    assert person.certificates.exclude(status="cancelled").get().level == new_level
