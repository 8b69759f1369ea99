"""``yangguang audit verify``: recompute the audit log's hash chain and compare its end
with the signed checkpoint; ``yangguang audit checkpoint``: write that checkpoint now.

Exit status 0 when every event is intact; 1 naming the first event that was altered,
or that follows a removed one, or saying that events were removed from the end.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.audit.models import AuditEvent
from yangguang.audit.services import check_checkpoint, verify_chain, write_checkpoint
from yangguang.core.cli import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy("审计日志工具：yangguang audit verify 重新计算哈希链，检查记录是否被修改或删除；"
                        "yangguang audit checkpoint 立即写入链尾的签名检查点（可由定时任务运行）。")

    def add_arguments(self, parser):
        parser.add_argument("task", choices=["verify", "checkpoint"],
                            help=_("verify：校验审计链；checkpoint：写入检查点"))

    def handle(self, *args, task: str, **options):
        if task == "checkpoint":
            written = write_checkpoint()
            if written is None:
                self.stdout.write(_("审计日志为空，未写入检查点"))
            else:
                self.stdout.write(_("已写入检查点：第{id}号事件，文件{path}").format(
                    id=written["id"], path=settings.YANGGUANG_AUDIT_CHECKPOINT))
            return
        broken = verify_chain()
        if broken is not None:
            self.stderr.write(_("审计链在第{id}号事件处断开：该事件被修改，或它之前的事件被删除。").format(
                id=broken.id))
            sys.exit(1)
        problem = check_checkpoint()
        if problem == "checkpoint_invalid":
            self.stderr.write(_("审计检查点文件{path}被改动或已损坏：签名不符。").format(
                path=settings.YANGGUANG_AUDIT_CHECKPOINT))
            sys.exit(1)
        if problem == "checkpoint_missing":
            self.stderr.write(_("检查点记录的链尾事件已不在审计链中或已被改写：链尾的事件被删除或改写。"))
            sys.exit(1)
        self.stdout.write(_("审计链完整，共{count}条").format(count=AuditEvent.objects.count()))
