"""``yangguang token …``: API tokens.

    yangguang token create --user U [--name N] [--days D]
    yangguang token revoke ID_OR_PREFIX
    yangguang token list [--user U]

``create`` prints the token on standard output, once: only its SHA-256 is kept.
Tokens expire after 90 days unless ``--days`` says otherwise (0: never). Issuing and
revoking are recorded in the audit log. Exit status 2 when the input is refused.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.accounts import services
from yangguang.accounts.models import ApiToken
from yangguang.audit.services import Actor
from yangguang.core.cli import TranslatedCommand, fail
from yangguang.core.errors import ValidationFailed

DEFAULT_DAYS = 90


def _when(value: dt.datetime | None, empty: str) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else empty


class Command(TranslatedCommand):
    help = gettext_lazy("管理接口令牌：create（令牌只显示一次）、revoke、list。")

    def add_arguments(self, parser):
        tasks = parser.add_subparsers(dest="task", required=True, metavar="TASK")
        create = tasks.add_parser("create", help=_("为用户签发令牌"))
        create.add_argument("--user", required=True, metavar="USERNAME")
        create.add_argument("--name", default="", help=_("用途，如“市级数据交换”"))
        create.add_argument("--days", type=int, default=DEFAULT_DAYS,
                            help=_("有效天数（默认{days}天；0 表示永不过期）").format(days=DEFAULT_DAYS))
        revoke = tasks.add_parser("revoke", help=_("吊销令牌"))
        revoke.add_argument("token", metavar="ID_OR_PREFIX", help=_("令牌编号或前缀（见 token list）"))
        listing = tasks.add_parser("list", help=_("列出令牌（不含令牌本身）"))
        listing.add_argument("--user", metavar="USERNAME")

    def handle(self, *args, task: str, **options):
        try:
            getattr(self, "_" + task)(options)
        except ValidationFailed as e:
            fail(self.stderr, e)

    def _create(self, options) -> None:
        if options["days"] < 0:
            fail(self.stderr, _("有效天数不能为负数"))
        user = services.find_user(options["user"])
        expires = timezone.now() + dt.timedelta(days=options["days"]) if options["days"] else None
        issued = services.create_token(user, options["name"], expires, actor=Actor.command_line())
        self.stdout.write(issued.key)
        self.stderr.write(_("令牌只显示这一次，请立即妥善保存。编号{id}，过期时间：{expires}").format(
            id=issued.token.pk, expires=_when(expires, _("永不过期"))))

    def _revoke(self, options) -> None:
        given = options["token"]
        tokens = ApiToken.objects.select_related("user")
        matches = list(tokens.filter(pk=int(given)) if given.isdigit()
                       else tokens.filter(prefix__startswith=given[:8]))
        if not matches:
            fail(self.stderr, _("没有找到令牌“{token}”").format(token=given))
        if len(matches) > 1:
            fail(self.stderr, _("前缀“{token}”对应多个令牌，请用编号").format(token=given))
        services.revoke_token(matches[0], actor=Actor.command_line())
        self.stdout.write(_("已吊销令牌{id}").format(id=matches[0].pk))

    def _list(self, options) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("id")
        if options["user"]:
            tokens = tokens.filter(user=services.find_user(options["user"]))
        now = timezone.now()
        for token in tokens:
            if token.revoked:
                state = _("已吊销")
            elif token.expires_at and token.expires_at <= now:
                state = _("已过期")
            else:
                state = _("有效")
            self.stdout.write("\t".join([
                str(token.pk), token.prefix + "…", token.user.username, token.name or "-", state,
                _("过期：{time}").format(time=_when(token.expires_at, _("永不"))),
                _("最近使用：{time}").format(time=_when(token.last_used_at, _("从未"))),
            ]))
