"""Sign-in forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yangguang.accounts import totp
from yangguang.core import text
from yangguang.core.forms import ErrorSummaryMixin


class LoginForm(ErrorSummaryMixin, forms.Form):
    username = forms.CharField(
        label=_("用户名"), max_length=150, error_messages={"required": _("请填写用户名")},
        validators=[text.validator(_("用户名"))],
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false"}))
    password = forms.CharField(
        label=_("密码"), strip=False, error_messages={"required": _("请填写密码")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeForm(ErrorSummaryMixin, forms.Form):
    code = forms.CharField(
        label=_("动态口令"), max_length=20, error_messages={"required": _("请填写动态口令")},
        help_text=_("手机上的身份验证器应用中“Yangguang”下当前显示的6位数字"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "spellcheck": "false"}))

    def clean_code(self) -> str:
        code = totp.normalize_code(self.cleaned_data["code"])
        if len(code) != totp.DIGITS or not code.isdigit():
            raise forms.ValidationError(_("动态口令是6位数字"), code="totp_format")
        return code
