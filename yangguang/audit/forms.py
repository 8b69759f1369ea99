"""The audit log's filter form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yangguang.audit.describe import person_directory
from yangguang.audit.models import AuditAction
from yangguang.audit.selectors import EventFilters
from yangguang.core.forms import ErrorSummaryMixin


def _date(label: str) -> forms.DateField:
    return forms.DateField(label=label, required=False,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           error_messages={"invalid": _("请按“2025-01-31”的格式填写日期")})


class EventFilterForm(ErrorSummaryMixin, forms.Form):
    """The filters. It is posted, never sent in a URL: the person filter may hold an ID
    number. The page keeps the filters in the session under a token (``f``); an ID
    number is kept only as its keyed hash and masked form (``EventFilters``), and the
    form shows the masked form, which stands for the number while the token lasts."""

    person = forms.CharField(
        label=_("人员（姓名或公民身份号码）"), max_length=50, required=False,
        help_text=_("姓名须完整；身份号码可为18位或15位"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    username = forms.CharField(
        label=_("操作人（用户名）"), max_length=150, required=False,
        help_text=_("填写完整的用户名；登录失败的记录以尝试的用户名为操作人"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    action = forms.ChoiceField(label=_("操作"), required=False,
                               choices=[("", _("全部"))] + AuditAction.choices)
    date_from = _date(_("开始日期"))
    date_to = _date(_("结束日期"))
    # Links from elsewhere (a person's page) may name the person by id.
    person_id = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    f = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args: Any, saved: EventFilters | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.saved = saved

    def clean_person(self) -> dict[str, str]:
        text = " ".join(self.cleaned_data["person"].split())
        if not text:
            return {}
        saved = self.saved
        if saved is not None and saved.person_key and text == saved.person_masked:
            return {"person_key": saved.person_key, "person_masked": saved.person_masked}
        if not any(c.isdigit() for c in text):
            return {"person_name": text}
        directory = person_directory()
        key = directory.id_key(text) if directory is not None else None
        if key is None:
            raise forms.ValidationError(
                _("“{value}”不是有效的公民身份号码；按姓名查找时请只填写姓名").format(
                    value=text[:4] + "…" if len(text) > 4 else text), code="id_invalid")
        return {"person_key": key[0], "person_masked": key[1]}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return data

    def filters(self) -> EventFilters:
        """The filters of a valid form."""
        data = self.cleaned_data
        person_id = int(data["person_id"]) if data["person_id"].isdigit() else None
        return EventFilters(username=data["username"].strip(), person_id=person_id,
                            action=data["action"], date_from=data["date_from"],
                            date_to=data["date_to"], **data["person"])


def initial_data(filters: EventFilters, token: str) -> dict[str, str]:
    """The form's data that shows ``filters`` (kept under ``token``) again."""
    values = filters.as_dict()
    data = {k: str(v) for k, v in values.items()
            if k in ("username", "action", "date_from", "date_to", "person_id")}
    person = filters.person_masked or filters.person_name
    if person:
        data["person"] = person
    data["f"] = token
    return data
