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
