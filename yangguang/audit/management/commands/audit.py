"""``yangguang audit verify``: recompute the audit log's hash chain.

Exit status 0 when every event is intact; 1 naming the first event that was altered,
or that follows a removed one.
"""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.audit.models import AuditEvent
from yangguang.audit.services import verify_chain
from yangguang.core.cli import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy("审计日志工具：yangguang audit verify 重新计算哈希链，检查记录是否被修改或删除。")

    def add_arguments(self, parser):
        parser.add_argument("task", choices=["verify"], help=_("verify：校验审计链"))

    def handle(self, *args, task: str, **options):
        broken = verify_chain()
        if broken is None:
            self.stdout.write(_("审计链完整，共{count}条").format(count=AuditEvent.objects.count()))
            return
        self.stderr.write(_("审计链在第{id}号事件处断开：该事件被修改，或它之前的事件被删除。").format(
            id=broken.id))
        sys.exit(1)
