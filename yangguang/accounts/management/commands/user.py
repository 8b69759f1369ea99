"""``yangguang user …``: staff accounts and their roles.

    yangguang user create --username U --role R --region CODE [--role R2 --region CODE2 …] [--password-stdin]
    yangguang user grant --username U --role R --region CODE
    yangguang user revoke --username U --role R --region CODE
    yangguang user set-password --username U [--password-stdin]
    yangguang user unlock --username U
    yangguang user reset-totp --username U
    yangguang user list

Every change is recorded in the audit log with the command's actor (``cli:`` and the
login name). Exit status 2 when the input is refused, with the reasons in Chinese.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yangguang.accounts import services
from yangguang.accounts.models import Role, RoleAssignment, User
from yangguang.accounts.selectors import account_state
from yangguang.audit.services import Actor
from yangguang.core.cli import TranslatedCommand, fail, read_password
from yangguang.core.errors import ValidationFailed


def _roles_help() -> str:
    return _("角色：{roles}").format(roles="、".join(f"{r.value}（{r.label}）" for r in Role))


class Command(TranslatedCommand):
    help = gettext_lazy("管理工作人员账号和角色：create、grant、revoke、set-password、unlock、"
                        "reset-totp、list。")
    stealth_options = ("stdin",)  # call_command(..., stdin=…) in place of standard input

    def add_arguments(self, parser):
        tasks = parser.add_subparsers(dest="task", required=True, metavar="TASK")
        create = tasks.add_parser("create", help=_("新建账号并授予角色"))
        create.add_argument("--username", required=True)
        create.add_argument("--role", action="append", default=[], metavar="ROLE", help=_roles_help())
        create.add_argument("--region", action="append", default=[], metavar="CODE",
                            help=_("角色管辖的地区（6位或12位区划代码），与 --role 一一对应"))
        create.add_argument("--password-stdin", action="store_true",
                            help=_("从标准输入读取密码（一行），不提示输入"))
        for name, text in (("grant", _("授予角色")), ("revoke", _("收回角色"))):
            task = tasks.add_parser(name, help=text)
            task.add_argument("--username", required=True)
            task.add_argument("--role", required=True, metavar="ROLE", help=_roles_help())
            task.add_argument("--region", required=True, metavar="CODE",
                              help=_("6位或12位区划代码"))
        password = tasks.add_parser("set-password", help=_("设置新密码"))
        password.add_argument("--username", required=True)
        password.add_argument("--password-stdin", action="store_true",
                              help=_("从标准输入读取密码（一行），不提示输入"))
        for name, text in (("unlock", _("解除锁定（管理员的锁定或登录失败造成的锁定）")),
                           ("reset-totp", _("关闭动态口令（如手机丢失），下次登录时重新启用"))):
            tasks.add_parser(name, help=text).add_argument("--username", required=True)
        tasks.add_parser("list", help=_("列出全部账号及其角色"))

    def handle(self, *args, task: str, **options):
        actor = Actor.command_line()
        try:
            if task == "create":
                self._create(options, actor)
            elif task == "list":
                self._list()
            else:
                user = services.find_user(options["username"])
                if task == "grant":
                    services.grant_role(user, options["role"], options["region"], actor=actor)
                    self.stdout.write(_("已授予{user}角色").format(user=user.username))
                elif task == "revoke":
                    services.revoke_role(user, options["role"], options["region"], actor=actor)
                    self.stdout.write(_("已收回{user}的角色").format(user=user.username))
                elif task == "set-password":
                    services.set_password(user, read_password(options, self.stderr), actor=actor)
                    self.stdout.write(_("已为{user}设置新密码").format(user=user.username))
                elif task == "unlock":
                    services.unlock_user(user, actor=actor)
                    self.stdout.write(_("已解除{user}的锁定").format(user=user.username))
                else:
                    services.reset_totp(user, actor=actor)
                    self.stdout.write(_("已关闭{user}的动态口令").format(user=user.username))
        except ValidationFailed as e:
            fail(self.stderr, e)

    def _create(self, options, actor) -> None:
        roles, regions = options["role"], options["region"]
        if len(roles) != len(regions):
            fail(self.stderr, _("每个 --role 后面都要有一个 --region（地区代码）"))
        password = read_password(options, self.stderr)
        user = services.create_user(options["username"], password, list(zip(roles, regions, strict=True)),
                                    actor=actor)
        self.stdout.write(_("已新建账号{user}").format(user=user.username))

    def _list(self) -> None:
        now = timezone.now()
        roles = RoleAssignment.objects.select_related("region").order_by("role", "region_id")
        users = User.objects.order_by("username").prefetch_related(Prefetch("roles", queryset=roles))
        for user in users:
            state = account_state(user, now)
            codes = _("已启用动态口令") if user.totp_enabled else _("未启用动态口令")
            granted = "；".join(f"{a.get_role_display()}·{a.region}" for a in user.roles.all()) or _("无角色")
            self.stdout.write("\t".join([user.username, state, codes, granted]))
