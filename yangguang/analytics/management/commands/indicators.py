"""``yangguang indicators compute --plan KEY --as-of YYYY-MM-DD [--engine duckdb|spark] [--json]`` and
``yangguang indicators report --plan KEY --kind annual|midterm|final [--year Y] --out FILE``."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from yangguang.analytics import engine, evaluation, evaluation_files, services
from yangguang.analytics.management.commands.snapshot import as_of_date
from yangguang.audit.services import Actor
from yangguang.core import spark
from yangguang.core.errors import ValidationFailed
from yangguang.plans.models import Plan


class Command(BaseCommand):
    help = _("指标：按规划计算各指标（规划辖区及以下至乡镇），保存结果。")

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        compute = sub.add_parser("compute", help=str(_("计算并保存")))
        compute.add_argument("--plan", required=True, help=str(_("规划代码")))
        compute.add_argument("--as-of", required=True, help=str(_("截至日期 YYYY-MM-DD")))
        compute.add_argument("--engine", choices=engine.ENGINES, default="duckdb")
        compute.add_argument("--snapshot", help=str(_("已有快照目录；不给时现做一个")))
        compute.add_argument("--json", action="store_true", help=str(_("以 JSON 输出结果")))

        report = sub.add_parser("report", help=str(_("生成规划的年度监测、中期评估或总结评估报告（DOCX 或 XLSX）")))
        report.add_argument("--plan", required=True, help=str(_("规划代码，如 wutai")))
        report.add_argument("--kind", required=True,
                            help=str(_("annual（年度监测）、midterm（中期评估）或 final（总结评估）")))
        report.add_argument("--year", help=str(_("年度监测的年度")))
        report.add_argument("--out", required=True, help=str(_("输出文件，.docx 或 .xlsx")))
        report.add_argument("--language", default=settings.LANGUAGE_CODE, choices=[c for c, _n in settings.LANGUAGES],
                            help=str(_("报告的语言")))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "report":
            self.report(options)
            return
        problem = spark.unavailable() if options["engine"] == "spark" else None
        if problem:
            raise CommandError(problem)
        as_of = as_of_date(options["as_of"])
        plan = Plan.objects.filter(key=options["plan"]).select_related("region").first()
        if plan is None:
            raise CommandError(str(_("没有代码为 %(key)s 的规划")) % {"key": options["plan"]})
        snapshot_dir = Path(options["snapshot"]) if options["snapshot"] else None
        rows = services.compute_plans([plan], as_of, actor=Actor.command_line(), engine=options["engine"],
                                      snapshot_dir=snapshot_dir)[plan.key]
        if options["json"]:
            self.stdout.write(json.dumps({"plan": plan.key, "as_of": as_of.isoformat(),
                                          "results": [r.as_json() for r in rows]}, ensure_ascii=False))
        else:
            self.stdout.write(self.style.SUCCESS(str(_("指标：%(n)d 条结果已保存")) % {"n": len(rows)}))

    def report(self, options: dict[str, Any]) -> None:
        """A monitoring or evaluation report of the plan, from the stored results."""
        out = Path(options["out"])
        if out.suffix.lower() not in evaluation.FORMATS:
            raise CommandError(str(_("输出文件应以 .docx 或 .xlsx 结尾：%(file)s")) % {"file": out.name})
        raw_year = (options["year"] or "").strip()
        if raw_year and not raw_year.isdigit():
            raise CommandError(str(_("年度应为四位数字，如 2024：%(year)s")) % {"year": raw_year[:20]})
        plan = Plan.objects.filter(key=options["plan"]).select_related("region").first()
        if plan is None:
            raise CommandError(str(_("没有代码为 %(key)s 的规划")) % {"key": options["plan"]})
        actor = Actor.command_line()
        with translation.override(options["language"]):
            try:
                report = evaluation.build(plan, options["kind"], int(raw_year) if raw_year else None, actor=actor)
            except ValidationFailed as exc:
                raise CommandError("\n".join(p.message for p in exc.problems)) from None
            try:
                evaluation_files.write(report, out)
            except OSError as error:
                raise CommandError(str(error)) from None
            counts = report.status_counts
            done = str(_("报告已写入 %(file)s：指标%(n)d项，有风险或未实现%(risk)d项，无数据%(none)d项")) % {
                "file": out, "n": len(report.indicators), "risk": counts["at_risk"] + counts["not_achieved"],
                "none": counts["no_data"]}
        services.record_report_export(actor, plan, kind=report.kind, year=report.year, as_of=report.as_of.isoformat(),
                             fmt=out.suffix.lower().lstrip("."), file=out.name)
        self.stdout.write(self.style.SUCCESS(done))
