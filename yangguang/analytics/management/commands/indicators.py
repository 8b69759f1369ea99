"""``yangguang indicators compute --plan KEY --as-of YYYY-MM-DD [--engine duckdb|spark] [--json]``."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from yangguang.analytics import engine, services
from yangguang.analytics.management.commands.snapshot import as_of_date
from yangguang.audit.services import Actor
from yangguang.core import spark
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

    def handle(self, *args: Any, **options: Any) -> None:
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
