from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yangguang.core.contributions import Contributions, HomeCount, MenuEntry


class AccountsConfig(AppConfig):
    name = "yangguang.accounts"
    label = "accounts"

    def contributions(self) -> Contributions:
        """User management in the menu; locked accounts on administrators' home pages."""
        from yangguang.accounts.permissions import Capability
        from yangguang.accounts.selectors import locked_users_count, managed_users

        return Contributions(
            menu=[MenuEntry("accounts:users", _("用户管理"), "system", Capability.MANAGE_USERS)],
            counts=[
                HomeCount(_("被锁定的账号"), Capability.MANAGE_USERS, locked_users_count, "accounts:users"),
                HomeCount(_("我管理的账号"), Capability.MANAGE_USERS,
                          lambda user: managed_users(user).count(), "accounts:users"),
            ],
        )

    def audit_objects(self) -> dict[str, Any]:
        """How the audit log labels the accounts' events (``audit.describe``)."""
        from yangguang.accounts.models import ApiToken, Role, User
        from yangguang.audit.describe import ObjectKind

        def usernames(ids: Any) -> dict[str, str]:
            numeric = [int(i) for i in ids if str(i).isdigit()]
            return {str(pk): name for pk, name in
                    User.objects.filter(pk__in=numeric).values_list("pk", "username")}

        roles = dict(Role.choices)
        return {
            "user": ObjectKind(User._meta.verbose_name, User, names=usernames, values={
                "granted": roles, "revoked": roles,
                "method": {"password": _("密码"), "password+totp": _("密码和动态口令")},
                "reason": {"unknown_user": _("用户名不存在"), "password": _("密码错误"),
                           "totp": _("动态口令错误"), "locked": _("账号已锁定"),
                           "inactive": _("账号已被管理员锁定")},
            }, keys={"granted": _("授予角色"), "revoked": _("收回角色"), "method": _("登录方式"),
                     "is_active": _("账号可用"), "password": _("密码")}),
            "api_token": ObjectKind(ApiToken._meta.verbose_name, ApiToken, values={
                "token": {"issued": _("签发"), "revoked": _("吊销")},
            }, keys={"token": _("令牌"), "username": _("用户名")}),
        }
