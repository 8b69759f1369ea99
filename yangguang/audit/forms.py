"""The audit log's filter form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yangguang.audit.models import AuditAction
from yangguang.audit.selectors import EventFilters
from yangguang.core.forms import ErrorSummaryMixin


def _date(label: str) -> forms.DateField:
    return forms.DateField(label=label, required=False,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           error_messages={"invalid": _("请按“2025-01-31”的格式填写日期")})


class EventFilterForm(ErrorSummaryMixin, forms.Form):
    username = forms.CharField(
        label=_("操作人（用户名）"), max_length=150, required=False,
        help_text=_("填写完整的用户名；登录失败的记录以尝试的用户名为操作人"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    person_id = forms.IntegerField(
        label=_("人员编号"), min_value=1, required=False,
        error_messages={"invalid": _("人员编号是一个正整数")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    action = forms.ChoiceField(label=_("操作"), required=False,
                               choices=[("", _("全部"))] + AuditAction.choices)
    date_from = _date(_("开始日期"))
    date_to = _date(_("结束日期"))

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return data

    def filters(self) -> EventFilters:
        """The filters of a valid form."""
        data = self.cleaned_data
        return EventFilters(username=data["username"].strip(), person_id=data["person_id"],
                            action=data["action"], date_from=data["date_from"],
                            date_to=data["date_to"])
