"""``yangguang plans load [FILE ...]``, ``yangguang plans check [FILE ...]`` and
``yangguang plans report --plan KEY --kind annual|midterm|final [--year Y] --out FILE``."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from yangguang.audit.services import Actor
from yangguang.core.errors import ValidationFailed
from yangguang.plans import files, services
from yangguang.plans.models import Plan


class Command(BaseCommand):
    help = _("规划：载入或检查规划文件（plans/data/plans/*.toml）。")

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (("load", _("载入规划文件（可重复运行，未变的文件不再写入）")),
                           ("check", _("只检查规划文件，不写入"))):
            action = sub.add_parser(name, help=str(text))
            action.add_argument("files", nargs="*", metavar="FILE",
                                help=str(_("规划文件；不给时为随附的全部规划")))

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
        paths = [Path(f) for f in options["files"]] or None
        try:
            if options["action"] == "check":
                specs = files.read_all(paths or files.plan_files())
                self.stdout.write(self.style.SUCCESS(str(_("规划文件无误：%(n)d 个")) % {"n": len(specs)}))
                return
            result = services.load_plans(paths, actor=Actor.command_line())
        except files.PlanFileError as error:
            raise CommandError("\n".join(error.problems)) from None
        except OSError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(str(_("规划：新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d")) % {
            "created": len(result.created), "updated": len(result.updated), "unchanged": len(result.unchanged)}))

    def report(self, options: dict[str, Any]) -> None:
        """The report is built by the analytics app (it reads the stored results), the
        layer above this one: imported here only, for this command's name."""
        from yangguang.analytics import evaluation, evaluation_files
        from yangguang.analytics.services import record_report_export

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
        record_report_export(actor, plan, kind=report.kind, year=report.year, as_of=report.as_of.isoformat(),
                             fmt=out.suffix.lower().lstrip("."), file=out.name)
        self.stdout.write(self.style.SUCCESS(done))
