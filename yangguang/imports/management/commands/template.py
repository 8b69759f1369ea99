"""``yangguang template KIND OUT.xlsx``: write a kind's blank import template."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.core.cli import TranslatedCommand
from yangguang.imports import spec
from yangguang.imports.workbook import write_template


class Command(TranslatedCommand):
    help = gettext_lazy("生成导入模板：yangguang template KIND 模板.xlsx。第一个工作表填写数据，"
            "“填写说明”工作表说明每一列。")
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[k.name for k in spec.kinds()],
                            help=_("模板类型：{kinds}").format(kinds=spec.described()))
        parser.add_argument("out", metavar="OUT.xlsx", help=_("输出文件"))

    def handle(self, *args, kind: str, out: str, **options):
        write_template(spec.get(kind), out)
        self.stdout.write(_("已生成导入模板：{path}").format(path=out))
