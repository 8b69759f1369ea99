"""The upload form of a department list and the reviewer's decision."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yangguang.matching.kinds import KINDS
from yangguang.registry.forms import Form

MAX_NOTE = 200


class UploadForm(Form):
    mandatory = frozenset({"kind", "file"})

    kind = forms.ChoiceField(label=_("名单类型"), required=False,
                             choices=[("", _("请选择"))] + [(k.name, k.label) for k in KINDS])
    department = forms.CharField(label=_("提供部门"), required=False, max_length=50,
                                 help_text=_("不填时为该类名单的通常来源"))
    list_date = forms.DateField(label=_("名单日期"), required=False,
                                help_text=_("如2025-03-05；不填时为今天"),
                                error_messages={"invalid": _("名单日期格式不正确：应为如2025-03-05")})
    file = forms.FileField(label=_("名单文件"), required=False,
                           help_text=_("XLSX、XLS 或 CSV，表头见各类名单的模板"))
    key_file = forms.FileField(label=_("交换密钥文件"), required=False,
                               help_text=_("名单的身份号码已由部门换成摘要（身份号码摘要列）时必选；"
                                           "密钥只用于这次比对，用后即删，不保存"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("kind"):
            self.add_error("kind", _("请选择名单类型"))
        if not data.get("file"):
            self.add_error("file", _("请选择要上传的名单文件"))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", _("确认")), ("reject", _("否决"))])
