"""Forms of the user-management pages and of the own-password page.

They only collect what was typed; ``accounts.services`` decides (username taken,
region unknown or outside the administrator's regions, password too weak …) and its
problems are shown on the fields they name (``show_problems``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.models import Role
from yangguang.core.errors import ValidationFailed
from yangguang.core.forms import ErrorSummaryMixin
from yangguang.core.widgets import RegionPicker

#: Longest validity of an API token that an administrator may give, in days.
MAX_TOKEN_DAYS = 3650
DEFAULT_TOKEN_DAYS = 90


def show_problems(form: forms.Form, error: ValidationFailed) -> None:
    """Each problem on its field, or on the form when it names no field of it."""
    for problem in error.problems:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)


def _role() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("角色"), choices=[("", _("请选择"))] + Role.choices,
                             error_messages={"required": _("请选择角色")})


def _region() -> forms.CharField:
    return forms.CharField(
        label=_("管辖地区"), max_length=12, widget=RegionPicker,
        help_text=_("6位或12位区划代码；角色在该地区及其所有下级地区有效"),
        error_messages={"required": _("请填写管辖地区")})


def _password(label: Any, autocomplete: str, required: Any) -> forms.CharField:
    return forms.CharField(label=label, strip=False, error_messages={"required": required},
                           widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}))


class NewPasswordForm(ErrorSummaryMixin, forms.Form):
    """A new password, typed twice."""

    password = _password(_("新密码"), "new-password", _("请填写新密码"))
    password2 = _password(_("再次输入新密码"), "new-password", _("请再次输入新密码"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class OwnPasswordForm(NewPasswordForm):
    current_password = _password(_("当前密码"), "current-password", _("请填写当前密码"))
    field_order = ["current_password", "password", "password2"]


class RoleForm(ErrorSummaryMixin, forms.Form):
    role = _role()
    region = _region()


class UserCreateForm(NewPasswordForm):
    username = forms.CharField(
        label=_("用户名"), max_length=150, error_messages={"required": _("请填写用户名")},
        help_text=_("登录时使用，只能包含文字、数字和 @ . + - _"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                      "spellcheck": "false"}))
    role = _role()
    region = _region()
    field_order = ["username", "role", "region", "password", "password2"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("初始密码")
        self.fields["password"].help_text = _("请当面或电话告知用户，并请其登录后在“我的账号”中修改")
        self.fields["password2"].label = _("再次输入初始密码")


class TokenForm(ErrorSummaryMixin, forms.Form):
    name = forms.CharField(label=_("用途"), max_length=100, required=False,
                           help_text=_("如“市级数据交换”，便于日后识别"))
    days = forms.IntegerField(
        label=_("有效天数"), min_value=0, max_value=MAX_TOKEN_DAYS, initial=DEFAULT_TOKEN_DAYS,
        help_text=_("0 表示永不过期"),
        error_messages={"required": _("请填写有效天数"),
                        "invalid": _("有效天数是0到3650之间的整数"),
                        "min_value": _("有效天数是0到3650之间的整数"),
                        "max_value": _("有效天数是0到3650之间的整数")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
