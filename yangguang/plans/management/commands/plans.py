"""``yangguang plans load [FILE ...]`` and ``yangguang plans check [FILE ...]`` (the
monitoring and evaluation reports, which read the indicators' results, are
``yangguang indicators report``)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from yangguang.audit.services import Actor
from yangguang.plans import files, services


class Command(BaseCommand):
    help = _("规划：载入或检查规划文件（plans/data/plans/*.toml）。")

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (("load", _("载入规划文件（可重复运行，未变的文件不再写入）")),
                           ("check", _("只检查规划文件，不写入"))):
            action = sub.add_parser(name, help=str(text))
            action.add_argument("files", nargs="*", metavar="FILE",
                                help=str(_("规划文件；不给时为随附的全部规划")))

    def handle(self, *args: Any, **options: Any) -> None:
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
