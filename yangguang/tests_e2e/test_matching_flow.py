"""Data comparison in Chromium: a registrar uploads a dibao roll through the page and
sees the run, its discrepancies and what changed since the roll before; a reviewer
confirms a candidate from the queue; the region report is reached from the menu and
downloaded; a hashed list goes up with its key file. Every page is audited with axe."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from yangguang.matching import exchange
from yangguang.matching.models import Candidate, Decision, MatchRun
from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, describe_violations, sign_in

pytestmark = pytest.mark.django_db(**LIVE_DB)
DIBAO = ["姓名", "公民身份号码", "性别", "出生日期", "户籍地区划代码", "开始日期"]


def _roll(county, path: Path) -> Path:
    """Against the world's roll: the first person again with another start (exact,
    changed), the third new (exact), the second again without an ID number or a region
    (for review), and a stranger (unmatched)."""
    first, second, third = county.persons
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([
            DIBAO,
            [first.name, county.id_numbers[first.pk], "", "", "", "2024-03-01"],
            [third.name, county.id_numbers[third.pk], "", "", "", "2024-06-01"],
            [second.name, "", "男" if second.sex == 1 else "女", second.birth_date.isoformat(), "",
             "2024-01-01"],
            ["欧阳明远", "", "男", "1958-02-14", county.spec.code, "2024-06-01"]])
    return path


def _audited(page, problems: list[str]) -> None:
    problems += describe_violations(page.url, axe_violations(page))


def _upload(page, live, path: Path, *, key: Path | None = None, kind: str = "低保名单") -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="部门名单").click()
    page.wait_for_url(re.compile(r"/matching/$"))
    page.get_by_label("名单类型").select_option(label=kind)
    page.get_by_label("提供部门").fill("五台县民政局")
    page.get_by_label("名单日期").fill(timezone.localdate().isoformat())  # the world's roll's date
    page.get_by_label("名单文件").set_input_files(str(path))
    if key is not None:
        page.get_by_label("交换密钥文件").set_input_files(str(key))
    with page.expect_navigation():
        page.get_by_role("button", name="上传并比对").click()


def test_upload_review_and_reports(live, page, tmp_path):
    county = live.a
    problems: list[str] = []
    sign_in(page, live, county.users["registrar"].username)
    _upload(page, live, _roll(county, tmp_path / "低保名单.csv"))
    _audited(page, problems)

    run = MatchRun.objects.order_by("-pk").first()
    page.wait_for_url(re.compile(rf"/matching/runs/{run.pk}/$"))
    assert "名单已导入并比对" in page.get_by_role("status").inner_text()
    counts = page.get_by_role("table", name="比对结果（整份名单）").inner_text()
    assert re.search(r"4\s+2\s+0\s+1\s+1", counts), counts
    assert page.get_by_role("heading", name="部门名单中有、登记中没有").is_visible()
    assert "欧阳明远" in page.content()

    page.get_by_role("link", name=re.compile("与上一次同类名单的比对对照")).click()
    page.wait_for_url(re.compile(rf"/matching/runs/{run.pk}/changes/"))
    changes = page.get_by_role("table", name="新增、不再列入和有变化的人员").inner_text()
    assert re.search(rf"新增\s+{county.persons[2].name}", changes), changes
    assert re.search(rf"有变化\s+{county.persons[0].name}", changes), changes
    assert not re.search(r"^不再列入", changes, flags=re.M)  # the second is listed again
    _audited(page, problems)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="比对差异报告").click()
    page.wait_for_url(re.compile(r"/matching/reports/$"))
    assert page.get_by_role("table", name="各地区的差异（件）").is_visible()
    assert "欧阳明远" in page.content()
    _audited(page, problems)
    with page.expect_download() as download:
        page.get_by_role("button", name="下载差异报告（XLSX）").click()
    with open(download.value.path(), "rb") as f:
        book = openpyxl.load_workbook(io.BytesIO(f.read()))
    assert "欧阳明远" in [row[2] for row in book["部门名单中有、登记中没有"].iter_rows(values_only=True)]

    page.context.clear_cookies()
    sign_in(page, live, county.users["reviewer"].username)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="比对复核").click()
    page.wait_for_url(re.compile(r"/matching/review/$"))
    second = county.persons[1]
    section = page.get_by_role("region", name=f"低保名单第4行：{second.name}")
    assert section.get_by_role("table").is_visible()
    _audited(page, problems)
    with page.expect_navigation():
        section.get_by_role("button", name="确认是同一人").click()
    assert f"已确认第4行与{second.name}匹配" in page.get_by_role("status").inner_text()
    _audited(page, problems)
    candidate = Candidate.objects.get(run=run, list_row__row=4)
    assert candidate.decision == Decision.CONFIRMED and candidate.person_id == second.pk

    assert not problems, f"{len(problems)} axe violation(s):\n" + "\n".join(problems)


def test_a_hashed_list_goes_up_with_its_key_file(live, page, tmp_path):
    county = live.a
    key = tmp_path / "exchange.key"
    key.write_text(exchange.new_key() + "\n")
    plain = _roll(county, tmp_path / "plain.csv")
    hashed = tmp_path / "低保名单（摘要）.csv"
    exchange.hash_list(plain, exchange.read_key(key), hashed)
    sign_in(page, live, county.users["registrar"].username)

    _upload(page, live, hashed)
    assert "请把同一文件与交换密钥文件一起再上传一次" in page.get_by_role("status").inner_text()
    _upload(page, live, hashed, key=key)

    run = MatchRun.objects.order_by("-pk").first()
    page.wait_for_url(re.compile(rf"/matching/runs/{run.pk}/$"))
    assert run.department_list.hashed and run.matched_exact == 2
    assert axe_violations(page) == []
