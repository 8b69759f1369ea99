"""``yangguang export persons --region CODE OUT.xlsx``: a region's persons as XLSX.

The file has the import template's layout; importing it again unedited leaves every
row ``unchanged``. The export is recorded in the audit log.
"""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.audit.services import Actor
from yangguang.core.cli import TranslatedCommand
from yangguang.regions.selectors import UnknownRegion
from yangguang.registry.exporting import export_persons


class Command(TranslatedCommand):
    help = gettext_lazy("导出某地区（含下级）户籍的在世持证残疾人，格式与导入模板相同："
            "yangguang export persons --region 630102 导出.xlsx。导出会记入审计日志。")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["persons"], help=_("导出类型：persons（残疾人信息）"))
        parser.add_argument("--region", required=True, metavar="CODE",
                            help=_("6位或12位区划代码（如630102、630000），导出该地区及其下级地区"))
        parser.add_argument("out", metavar="OUT.xlsx", help=_("输出文件"))

    def handle(self, *args, kind: str, region: str, out: str, **options):
        try:
            count = export_persons(region, out, actor=Actor.command_line())
        except UnknownRegion as e:
            self.stderr.write(str(e.args[0]))
            sys.exit(2)
        self.stdout.write(_("已导出{count}人到{path}").format(count=count, path=out))
