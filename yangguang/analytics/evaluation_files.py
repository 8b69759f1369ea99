"""A monitoring or evaluation report (``evaluation.Report``) written as DOCX (python-docx,
for reading and printing: the indicator table condensed, the page in landscape) and as
XLSX (openpyxl, every column, values as numbers), in the active language. The columns
and labels of both come from here. Text typed by users (progress reports, the source of
a value entered by hand) goes through ``core.xlsx`` in the spreadsheet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook

from yangguang.analytics.evaluation import IndicatorLine, Report, TaskLine, number, text
from yangguang.analytics.models import Status
from yangguang.core import xlsx
from yangguang.plans.models import TaskLevel


def _hand(line: IndicatorLine) -> str:
    hand = line.hand
    if hand is None:
        return "—"
    return _("{value}（{source}，{date}，{unit}）").format(
        value=text(hand.value), source=hand.source, date=hand.reported_on.isoformat(), unit=hand.unit)


def _progress(task: TaskLine) -> str:
    report = task.progress
    if report is None:
        return _("暂无报告") if task.level != TaskLevel.SECTION else ""
    return _("{status}（{year}年，{region}，{unit}）").format(
        status=report.get_status_display(), year=report.year, region=report.region.name, unit=report.unit)


def _units(task: TaskLine) -> tuple[str, str]:
    if task.responsible:
        return _("责任单位：") + "、".join(task.responsible), ""
    return "、".join(task.lead), "、".join(task.participating)


def overview(report: Report) -> list[tuple[str, str]]:
    """The report's facts, label and value, as both files open with them."""
    plan = report.plan
    return [
        (_("规划"), plan.title),
        (_("辖区"), f"{plan.jurisdiction}（{plan.region.short_code}）"),
        (_("规划期"), plan.period),
        (_("发布机关"), plan.issuer),
        (_("报告类型"), report.kind_label),
        (_("报告年度"), str(report.year)),
        (_("截至日期"), report.as_of.isoformat()),
        (_("报告范围"), "、".join(report.scope) or "—"),
        (_("计算时间"), timezone.localtime(report.computed_at).strftime("%Y-%m-%d %H:%M")
         if report.computed_at else "—"),
        (_("计算引擎"), report.engine or "—"),
        (_("指标定义版本"), "；".join(report.versions) or "—"),
        (_("生成时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
    ]


def summary(report: Report) -> str:
    counts = report.status_counts
    return _("共{n}项指标：已实现{achieved}项，进度正常{on_track}项，有风险{at_risk}项，未实现{not_achieved}项，"
             "无数据{no_data}项。有风险或未实现指标的地区{regions}个（共{total}个）。重点任务{tasks}项，"
             "截至{year}年有进展报告的{reported}项。").format(
        n=len(report.indicators), achieved=counts[Status.ACHIEVED], on_track=counts[Status.ON_TRACK],
        at_risk=counts[Status.AT_RISK], not_achieved=counts[Status.NOT_ACHIEVED], no_data=counts[Status.NO_DATA],
        regions=sum(1 for r in report.regions if r.at_risk), total=len(report.regions), tasks=report.task_count,
        year=report.year, reported=report.tasks_reported)


def region_header() -> list[str]:
    return [_("地区"), _("区划代码"), _("有风险或未实现"), _("无数据"), _("已实现"), _("进度正常"),
            _("有风险或未实现的指标（序号）")]


def indicator_header() -> list[str]:
    return [_("序号"), _("类别"), _("指标（原文）"), _("单位"), _("基期（原文）"), _("目标（原文）"), _("属性"),
            _("累计方式"), _("地区"), _("区划代码"), _("指标值"), _("分子"), _("分母"), _("比较值"), _("状态"),
            _("人工填报值"), _("数据来源"), _("数据日期"), _("填报单位")]


def task_header() -> list[str]:
    return [_("编号"), _("任务"), _("牵头单位"), _("参与单位"), _("最新进展"), _("进展情况"), _("存在问题")]


# ---- DOCX


def _table(document: Any, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, header, strict=True):
        cell.text = label
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


def write_docx(report: Report, path: str | Path) -> None:
    document = Document()
    style = document.styles["Normal"]
    style.font.size = Pt(10.5)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2))
    document.add_heading(report.title, level=0)
    facts = document.add_table(rows=0, cols=2)
    facts.style = "Table Grid"
    for label, value in overview(report):
        cells = facts.add_row().cells
        cells[0].text, cells[1].text = label, value
    document.add_paragraph(summary(report))

    document.add_heading(_("一、主要指标完成情况"), level=1)
    document.add_paragraph(_("基期和目标按规划原文；指标值为截至日期的计算结果，人工填报值注明来源。"))
    _table(document, [_("序号"), _("指标（原文）"), _("基期"), _("目标"), _("指标值"), _("分子/分母"), _("状态"),
                      _("人工填报值（来源、日期、单位）")],
           [[line.number, f"{line.wording}（{line.region_name}）" if len(report.scope) > 1 else line.wording,
             line.baseline or "—", line.target + (_("（比较值 {value}）").format(value=text(line.compared_with))
                                                   if line.relative and line.compared_with is not None else ""),
             text(line.value), f"{text(line.numerator)}/{text(line.denominator)}" if line.denominator is not None
             else "—", line.status_label, _hand(line)] for line in report.indicators],
           [1.2, 7.5, 2, 3.5, 2, 2.6, 2, 4.5])

    document.add_heading(_("二、各地区情况（有风险的地区在前）"), level=1)
    _table(document, region_header(), [_region_cells(line) for line in report.regions],
           [4, 3, 2.5, 2, 2, 2, 9.5])

    document.add_heading(_("三、重点任务进展"), level=1)
    rows = []
    for task in report.tasks:
        lead, participating = _units(task)
        report_ = task.progress
        rows.append([task.number, ("　" * task.depth) + task.title, lead, participating, _progress(task),
                     report_.summary if report_ else "", report_.problems if report_ else ""])
    _table(document, task_header(), rows, [1.5, 6, 3.5, 4, 3.5, 3.5, 3])

    document.add_heading(_("四、缺少数据的情况"), level=1)
    for item in report.missing or [_("没有缺少数据的指标和任务。")]:
        document.add_paragraph(item, style="List Bullet")
    document.add_paragraph(_("本报告为汇总数据，不含个人信息。"))
    document.save(str(path))


def _region_cells(line: Any) -> list[str]:
    return [line.name, line.code, str(line.at_risk), str(line.counts[Status.NO_DATA]),
            str(line.counts[Status.ACHIEVED]), str(line.counts[Status.ON_TRACK]),
            "、".join(str(r) for r in line.rows_at_risk) or "—"]


# ---- XLSX


def write_xlsx(report: Report, path: str | Path) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("概况"))
    sheet.append(xlsx.row(sheet, [report.title]))
    for label, value in overview(report):
        sheet.append(xlsx.row(sheet, [label, value]))
    sheet.append(xlsx.row(sheet, [_("小结"), summary(report)]))

    sheet = book.create_sheet(_("主要指标"))
    sheet.append(xlsx.row(sheet, indicator_header()))
    for line in report.indicators:
        hand = line.hand
        sheet.append(xlsx.row(sheet, [
            line.row, line.category, line.wording, line.unit, line.baseline, line.target, line.kind,
            line.accumulation, line.region_name, line.region_code, number(line.value), number(line.numerator),
            number(line.denominator), number(line.compared_with), line.status_label,
            number(hand.value) if hand else None, hand.source if hand else None,
            hand.reported_on.isoformat() if hand else None, hand.unit if hand else None]))

    sheet = book.create_sheet(_("各地区"))
    sheet.append(xlsx.row(sheet, region_header()))
    for line in report.regions:
        cells: list[Any] = _region_cells(line)
        cells[2:6] = [line.at_risk, line.counts[Status.NO_DATA], line.counts[Status.ACHIEVED],
                      line.counts[Status.ON_TRACK]]
        sheet.append(xlsx.row(sheet, cells))

    sheet = book.create_sheet(_("重点任务"))
    sheet.append(xlsx.row(sheet, [_("层级"), *task_header()]))
    for task in report.tasks:
        lead, participating = _units(task)
        progress = task.progress
        sheet.append(xlsx.row(sheet, [str(TaskLevel(task.level).label), task.number, task.title, lead,
                                      participating, _progress(task), progress.summary if progress else None,
                                      progress.problems if progress else None]))

    sheet = book.create_sheet(_("缺少数据"))
    sheet.append(xlsx.row(sheet, [_("说明")]))
    for item in report.missing:
        sheet.append(xlsx.row(sheet, [item]))
    book.save(str(path))


def write(report: Report, path: str | Path) -> None:
    """Write ``report`` to ``path`` as its suffix says (.docx or .xlsx)."""
    (write_docx if Path(path).suffix.lower() == ".docx" else write_xlsx)(report, path)
