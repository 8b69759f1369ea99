"""Monitoring and evaluation reports: the DOCX and XLSX read back hold the stored
results of their as-of date (indicators, regions at risk, tasks with their units and
latest progress, what has no data, the values entered by hand with their source);
bad inputs are refused in Chinese; the page is scoped like the plan's page, its job
writes the files, and each download is audited as an export."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from docx import Document
from openpyxl import load_workbook

from yangguang.accounts import services as accounts
from yangguang.accounts.models import Role
from yangguang.analytics import evaluation
from yangguang.analytics.jobs import report_path
from yangguang.analytics.models import HandValue, IndicatorResult
from yangguang.audit.models import AuditEvent
from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
from yangguang.jobs import services as jobs
from yangguang.jobs.models import Job, JobState
from yangguang.plans import services as plan_services
from yangguang.plans.models import PlanIndicator, PlanTask
from yangguang.plans.progress import ProgressData

PASSWORD = "Yg-reports-Tests-2025!"
AS_OF = dt.date(2024, 12, 31)  # the annual report of 2024
NAMES = ("张三丰", "李四光", "王小明", "赵六", "钱七")


def _user(actor, username: str, role: str, region: str):
    return accounts.create_user(username, PASSWORD, [(role, region)], actor=actor)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _docx_text(path_or_bytes) -> str:
    document = Document(io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _sheets(path_or_bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


@pytest.fixture
def reported(world, actor):
    """The comparison value of row 1 (GDP growth) entered for 五台 for 2024, and a
    progress report on the plan's first task that names its units."""
    income = PlanIndicator.objects.get(plan=world, row=1)
    HandValue.objects.create(indicator=income, region_code="140922", year=2024, value=Decimal("5.5"),
                             compared_with=True, source="县统计局统计公报", reported_on=dt.date(2025, 3, 1),
                             unit="县统计局")
    task = PlanTask.objects.filter(plan=world, units__role="lead").order_by("position").first()
    reporter = _user(actor, "reporter_wutai", Role.MONITOR, "140922")
    lead = task.units.filter(role="lead").order_by("position").first().name
    plan_services.report_progress(reporter, task, ProgressData(
        region="140922", year=2024, unit=lead, status="on_schedule", summary="完成年度目标的一半。"),
        actor=Actor.of(reporter))
    return world, task, lead


@pytest.mark.django_db
def test_the_annual_report_holds_the_stored_results(reported, tmp_path):
    plan, task, lead = reported
    docx, xlsx = tmp_path / "年度监测.docx", tmp_path / "年度监测.xlsx"

    call_command("indicators", "report", "--plan", "wutai", "--kind", "annual", "--year", "2024", "--out", str(docx),
                 stdout=io.StringIO())
    call_command("indicators", "report", "--plan", "wutai", "--kind", "annual", "--year", "2024", "--out", str(xlsx),
                 stdout=io.StringIO())

    stored = {(r.indicator.row, r.region_code): r for r in
              IndicatorResult.objects.filter(indicator__plan=plan, as_of=AS_OF).select_related("indicator")}
    assert len(stored) == 11 * IndicatorResult.objects.filter(as_of=AS_OF).values("region_code").distinct().count()
    sheets = _sheets(xlsx)
    assert list(sheets) == ["概况", "主要指标", "各地区", "重点任务", "缺少数据"]
    overview = dict(row[:2] for row in sheets["概况"][1:])
    assert overview["报告类型"] == "年度监测" and overview["截至日期"] == "2024-12-31"
    assert overview["规划"] == "五台县“十四五”残疾人保障和发展规划" and overview["报告范围"] == "五台县"
    header, *rows = sheets["主要指标"]
    assert [r[0] for r in rows] == list(range(1, 12)) and {r[9] for r in rows} == {"140922"}
    column = {name: i for i, name in enumerate(header)}
    for row in rows:  # every row as stored, for the plan's region
        result = stored[(row[0], "140922")]
        assert row[column["状态"]] == result.get_status_display()
        for name, value in (("指标值", result.value), ("分子", result.numerator), ("分母", result.denominator)):
            assert row[column[name]] == (None if value is None else pytest.approx(float(value), abs=1e-4))
    pension = rows[5]
    assert pension[2] == "残疾人城乡居民基本养老保险参保率（%）" and pension[column["目标（原文）"]] == ">90"
    assert (pension[column["分子"]], pension[column["分母"]]) == (2, 3)
    income = rows[0]
    assert income[column["比较值"]] == 5.5 and income[column["数据来源"]] == "县统计局统计公报"
    assert income[column["人工填报值"]] == 5.5 and income[column["数据日期"]] == "2025-03-01"
    # Regions: every region with results, those with rows at risk first.
    regions = sheets["各地区"][1:]
    assert {r[1] for r in regions} == {code for _row, code in stored}
    risks = [r[2] for r in regions]
    assert risks == sorted(risks, reverse=True) and risks[0] > 0
    # Tasks: the tree with its units and the latest progress.
    tasks = {r[2]: r for r in sheets["重点任务"][1:]}
    assert lead in tasks[task.title][3] and tasks[task.title][6] == "完成年度目标的一半。"
    assert "按进度推进" in tasks[task.title][5]
    missing = [r[0] for r in sheets["缺少数据"][1:]]
    assert any("没有进展报告" in m for m in missing)
    # The DOCX says the same, and neither file names a person or a user.
    text = _docx_text(docx)
    assert "五台县“十四五”残疾人保障和发展规划2024年度监测报告" in text
    assert "残疾人城乡居民基本养老保险参保率（%）" in text and "2/3" in text and "县统计局统计公报" in text
    assert "二、各地区情况（有风险的地区在前）" in text and lead in text and "四、缺少数据的情况" in text
    everything = text + repr(sheets)
    assert not any(name in everything for name in NAMES) and "reporter_wutai" not in everything
    exports = AuditEvent.objects.filter(action="export", object_type="plan_report")
    assert sorted(e.data["format"] for e in exports) == ["docx", "xlsx"]


@pytest.mark.django_db
def test_the_mid_term_and_final_evaluations_look_at_2023_and_2025(world):
    assert evaluation.as_of_date(world, "midterm", None, today=dt.date(2026, 1, 5)) == (2023, dt.date(2023, 12, 31))
    assert evaluation.as_of_date(world, "final", None, today=dt.date(2026, 1, 5)) == (2025, dt.date(2025, 12, 31))
    assert evaluation.as_of_date(world, "annual", 2025, today=dt.date(2025, 6, 30)) == (2025, dt.date(2025, 6, 30))
    report = evaluation.build(world, "midterm", None, actor=Actor("test"), today=dt.date(2026, 1, 5))
    assert report.title == "五台县“十四五”残疾人保障和发展规划中期评估报告" and report.as_of == dt.date(2023, 12, 31)
    assert IndicatorResult.objects.filter(indicator__plan=world, as_of=dt.date(2023, 12, 31)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "year", "today", "message"), [
    ("annual", 2030, dt.date(2026, 1, 5), "2030年不在规划期（2021—2025年）内"),
    ("annual", 2019, dt.date(2026, 1, 5), "2019年不在规划期（2021—2025年）内"),
    ("annual", None, dt.date(2026, 1, 5), "年度监测报告请选择年度"),
    ("annual", 2025, dt.date(2024, 5, 1), "2025年还没有开始，不能做这一年的报告"),
    ("final", None, dt.date(2025, 6, 1), "规划期到2025年底结束，之后才能做总结评估"),
    ("midterm", 2024, dt.date(2026, 1, 5), "中期评估截至2023年底，不另选年度"),
    ("yearly", 2024, dt.date(2026, 1, 5), "报告类型应为 annual（年度监测）、midterm（中期评估）或 final（总结评估）"),
])
def test_bad_report_requests_are_refused_in_chinese(world, kind, year, today, message):
    with pytest.raises(ValidationFailed) as raised:
        evaluation.as_of_date(world, kind, year, today=today)

    assert raised.value.problems[0].message == message


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), [
    (["--plan", "nothing", "--kind", "annual", "--year", "2024"], "没有代码为 nothing 的规划"),
    (["--plan", "wutai", "--kind", "annual", "--year", "2030"], "2030年不在规划期（2021—2025年）内"),
    (["--plan", "wutai", "--kind", "annual", "--year", "二〇二四"], "年度应为四位数字"),
])
def test_the_command_refuses_bad_input_and_writes_nothing(world, tmp_path, args, message):
    out = tmp_path / "report.docx"
    with pytest.raises(CommandError, match=message):
        call_command("indicators", "report", *args, "--out", str(out), stdout=io.StringIO())
    with pytest.raises(CommandError, match="输出文件应以 .docx 或 .xlsx 结尾"):
        call_command("indicators", "report", "--plan", "wutai", "--kind", "final", "--out", str(tmp_path / "r.pdf"))
    assert not out.exists() and not IndicatorResult.objects.exists()
    assert not AuditEvent.objects.filter(object_type="plan_report").exists()


@pytest.mark.django_db
def test_the_reports_page_runs_a_job_whose_files_only_its_owner_downloads(reported, actor):
    monitor = _user(actor, "monitor_wutai", Role.MONITOR, "140922")
    client = _client(monitor)
    assert client.get("/plans/wutai/").content.decode().count("/analytics/plans/wutai/reports/") == 1

    refused = client.post("/analytics/plans/wutai/reports/", {"kind": "annual", "year": ""})
    assert refused.status_code == 200 and "年度监测报告请选择年度" in refused.content.decode()
    assert not Job.objects.filter(kind="plan_report").exists()
    response = client.post("/analytics/plans/wutai/reports/", {"kind": "annual", "year": "2024"})
    assert response.status_code == 302
    job = Job.objects.get(kind="plan_report")
    assert job.state == JobState.QUEUED and job.params == {"plan": "wutai", "kind": "annual", "year": 2024,
                                                            "language": "zh-hans"}
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.result["as_of"] == "2024-12-31" and job.result["indicators"] == 11
    assert (job.progress_done, job.progress_total) == (4, 4) and "年度监测" in job.log_lines[-1]
    page = client.get("/analytics/plans/wutai/reports/").content.decode()
    assert f"/analytics/plans/wutai/reports/{job.pk}.docx" in page

    docx = client.get(f"/analytics/plans/wutai/reports/{job.pk}.docx")
    assert docx.status_code == 200 and docx["Content-Disposition"].startswith("attachment")
    assert "残疾人城乡居民基本养老保险参保率（%）" in _docx_text(b"".join(docx.streaming_content))
    xlsx = client.get(f"/analytics/plans/wutai/reports/{job.pk}.xlsx")
    assert "主要指标" in _sheets(b"".join(xlsx.streaming_content))
    event = AuditEvent.objects.filter(action="export", object_type="plan_report").order_by("pk").last()
    assert event.data == {"plan": "wutai", "kind": "annual", "year": 2024, "as_of": "2024-12-31", "format": "xlsx"}

    # Another user of the same county does not get the owner's files; another county's
    # monitor does not find the plan; a role without view_plans finds no page.
    other = _client(_user(actor, "analyst_wutai", Role.ANALYST, "140922"))
    assert other.get(f"/analytics/plans/wutai/reports/{job.pk}.docx").status_code == 404
    assert f"{job.pk}" not in other.get("/analytics/plans/wutai/reports/").content.decode()
    qingzhou = _client(_user(actor, "monitor_qingzhou", Role.MONITOR, "370781"))
    assert qingzhou.get("/analytics/plans/wutai/reports/").status_code == 404
    assert qingzhou.post("/analytics/plans/wutai/reports/", {"kind": "final"}).status_code == 404
    registrar = _client(_user(actor, "registrar_wutai", Role.REGISTRAR, "140922"))
    assert registrar.get("/analytics/plans/wutai/reports/").status_code in (403, 404)
    assert client.get(f"/analytics/plans/wutai/reports/{job.pk}.pdf").status_code == 404


@pytest.mark.django_db
def test_a_townships_report_covers_its_township_only_and_reads_in_english(world, actor):
    township = _user(actor, "monitor_taicheng", Role.MONITOR, "140922100000")
    client = _client(township)

    client.post("/analytics/plans/wutai/reports/", {"kind": "annual", "year": "2024"},
                headers={"accept-language": "en"})
    job = Job.objects.get(kind="plan_report")
    assert job.params["language"] == "en"
    jobs.run(job.pk)

    sheets = _sheets(report_path(job, ".xlsx").read_bytes())
    assert list(sheets) == ["Overview", "Main indicators", "Regions", "Main tasks", "Missing data"]
    assert {r[1] for r in sheets["Regions"][1:]} == {"140922100000"}
    assert {r[9] for r in sheets["Main indicators"][1:]} == {"140922100000"}
    text = _docx_text(report_path(job, ".docx").read_bytes())
    assert "Wutai County 14th Five-Year Plan" in text and "annual monitoring report" in text.lower()
    page = client.get(f"/jobs/{job.pk}/", headers={"accept-language": "en"}).content.decode()
    assert "Annual monitoring" in page and "年度监测" not in page
