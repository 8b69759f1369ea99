"""``yangguang snapshot --as-of YYYY-MM-DD --out DIR``: the de-identified Parquet snapshot."""

from __future__ import annotations

import datetime
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from yangguang.analytics import snapshot


def as_of_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(str(_("截至日期须为 YYYY-MM-DD：%(text)s")) % {"text": text}) from None


class Command(BaseCommand):
    help = _("写出去标识化的 Parquet 快照（无姓名、无身份证号，每次快照的假名键不同）。")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--as-of", required=True, help=str(_("截至日期 YYYY-MM-DD")))
        parser.add_argument("--out", required=True, help=str(_("输出目录")))

    def handle(self, *args: Any, **options: Any) -> None:
        counts = snapshot.write(as_of_date(options["as_of"]), Path(options["out"]))
        self.stdout.write(self.style.SUCCESS(str(_("快照：残疾人 %(persons)d 行，年度调查 %(surveys)d 行")) % counts))
