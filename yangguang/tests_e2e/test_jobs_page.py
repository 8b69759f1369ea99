"""The jobs page in Chromium: reached from the menu, audited with axe, the retry and
cancel buttons used with the keyboard — and the same page without JavaScript."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yangguang.demo.generator import write_rows
from yangguang.jobs import services as jobs
from yangguang.jobs.models import Job, JobState
from yangguang.registry.services import import_jobs
from yangguang.tests_e2e.browser import LIVE_DB, axe_violations, session_cookie, sign_in
from yangguang.tests_e2e.world import row_in

pytestmark = pytest.mark.django_db(**LIVE_DB)


def _jobs(live, tmp_path, settings) -> tuple[Job, Job]:
    """The registrar's import waiting for a worker, and one that failed."""
    settings.YANGGUANG_IMPORT_INLINE_BYTES = 0  # both go to the (absent) worker
    registrar = live.a.users["registrar"]
    path = tmp_path / "五台.csv"
    write_rows([row_in(live.a.spec)], path)
    queued = import_jobs.start_import(registrar, SimpleUploadedFile(path.name, path.read_bytes()),
                                      dry_run=False)
    damaged = import_jobs.start_import(registrar, SimpleUploadedFile("坏.xlsx", b"not a workbook"),
                                       dry_run=False)
    jobs.run(damaged.job_id)
    failed = Job.objects.get(pk=damaged.job_id)
    assert failed.state == JobState.FAILED, failed.error
    return Job.objects.get(pk=queued.job_id), failed


def test_the_jobs_page_from_the_menu_retry_and_cancel_by_keyboard(live, page, tmp_path,
                                                                   settings):
    queued, failed = _jobs(live, tmp_path, settings)
    sign_in(page, live, live.a.users["registrar"].username)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="后台任务").click()
    page.wait_for_url(re.compile(r"/jobs/$"))
    table = page.get_by_role("table", name=re.compile("任务列表"))
    assert table.get_by_role("row").count() == 4  # the header, these two, the world's dry run
    assert "失败" in table.inner_text() and "等待运行" in table.inner_text()
    assert axe_violations(page) == []

    retry = page.get_by_role("button", name=re.compile("^重试"))
    retry.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "任务已重新排队" in page.get_by_role("status").inner_text()
    failed.refresh_from_db()
    assert failed.state == JobState.QUEUED

    cancel = page.get_by_role("button", name=re.compile("^取消")).first
    cancel.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "任务已取消" in page.get_by_role("status").inner_text()
    assert axe_violations(page) == []

    table.get_by_role("link", name="批量导入").first.click()  # the newest job's page
    page.wait_for_url(re.compile(rf"/jobs/{failed.pk}/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "批量导入"
    assert page.get_by_role("heading", name="日志").is_visible()
    assert "重新排队运行" in page.content()
    assert axe_violations(page) == []


def test_the_jobs_page_works_without_javascript(live, browser, tmp_path, settings):
    queued, failed = _jobs(live, tmp_path, settings)
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    context.add_cookies([session_cookie(live, live.a.users["registrar"])])
    page = context.new_page()
    try:
        page.goto(f"{live.url}/jobs/")
        assert page.locator('noscript meta[http-equiv="refresh"]').count() == 1
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("^取消")).first.click()
        assert "任务已取消" in page.get_by_role("status").inner_text()
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("^重试")).first.click()
        assert "任务已重新排队" in page.get_by_role("status").inner_text()
    finally:
        context.close()
    assert {job.state for job in Job.objects.filter(pk__in=[queued.pk, failed.pk])} == {
        JobState.CANCELLED, JobState.QUEUED}
