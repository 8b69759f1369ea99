"""``yangguang import KIND FILE [--dry-run] [--report OUT.xlsx] [--json]``.

Exit status: 0 when the file was read, even if some rows were rejected (they are
listed in the summary, the ``--json`` output and the ``--report`` file); 2 when the
file cannot be read at all (nothing is written).
"""

from __future__ import annotations

import importlib
import json
import sys

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.audit.services import Actor
from yangguang.core.cli import TranslatedCommand, progress_bar
from yangguang.imports import spec
from yangguang.imports.reading import UnreadableFile
from yangguang.imports.running import ImportResult, import_file

# What a kind's import needs that the web process loads only when it imports (the
# persons' columnar check: polars, pyarrow, pgpq) the command loads with itself.
for _kind in spec.kinds():
    for _module in _kind.preload:
        importlib.import_module(_module)

SHOWN_ERRORS = 20


class Command(TranslatedCommand):
    help = gettext_lazy("导入 XLSX、XLS 或 CSV 文件（模板见 yangguang template KIND）。"
            "有行被拒绝时仍正常结束（退出码0），被拒绝的行列在摘要、--json 输出和 --report "
            "文件中；文件无法读取时退出码为2。")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[k.name for k in spec.kinds()],
                            help=_("导入类型：{kinds}").format(kinds=spec.described()))
        parser.add_argument("file", metavar="FILE", help=_("要导入的文件"))
        parser.add_argument("--dry-run", action="store_true",
                            help=_("只检查并报告结果，不写入数据库"))
        parser.add_argument("--report", metavar="OUT.xlsx",
                            help=_("把被拒绝的行及原因写入该 XLSX 文件"))
        parser.add_argument("--json", action="store_true",
                            help=_("只输出一个 JSON 对象：rows、created、updated、unchanged、"
                                 "rejected、errors"))
        parser.add_argument("--progress", action="store_true",
                            help=_("即使标准错误不是终端也显示进度条"))

    def handle(self, *args, **options):
        file, dry_run, report = options["file"], options["dry_run"], options["report"]
        bar, advance = progress_bar(options["progress"])
        try:
            result = import_file(spec.get(options["kind"]), file, actor=Actor.command_line(),
                                 dry_run=dry_run, report=report, progress=advance)
        except UnreadableFile as e:
            bar.close()
            self.stderr.write(_("无法导入 {file}：{error}").format(file=file, error=e))
            sys.exit(2)
        bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(result.to_json(), ensure_ascii=False))
            return
        self._summary(result, dry_run=dry_run, report=report)

    def _summary(self, result: ImportResult, *, dry_run: bool, report: str | None) -> None:
        self.stdout.write(
            _("共{rows}行：新增{created}，更新{updated}，未变{unchanged}，拒绝{rejected}。").format(
                rows=result.rows, created=result.created, updated=result.updated,
                unchanged=result.unchanged, rejected=result.rejected)
        )
        if dry_run:
            self.stdout.write(_("试运行：没有写入数据库。"))
        for error in result.errors[:SHOWN_ERRORS]:
            self.stdout.write(_("第{row}行 {column}：{message}（{code}）").format(
                row=error.row, column=error.column, message=error.message, code=error.code))
        hidden = len(result.errors) - SHOWN_ERRORS
        if hidden > 0:
            self.stdout.write(_("……另有{count}条错误，完整列表见 --report 或 --json 输出。").format(
                count=hidden))
        if report:
            self.stdout.write(_("被拒绝的行已写入 {path}").format(path=report))
