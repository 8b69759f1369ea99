"""Forms of the loop's pages. They only collect what was typed: dates and numbers are
read by the registry's parsers, and every rule is ``actions``' (whose problems become
the form's errors, so a form and the API refuse the same things with the same words)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.core import text
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.registry import validation
from yangguang.registry.forms import Form
from yangguang.services import actions
from yangguang.services.models import (
    LoanAction,
    Payer,
    ProviderKind,
    ProviderStatus,
    ServiceKind,
    ServiceOutcome,
)
from yangguang.services.states import NeedState

ANY = [("", _("（不限）"))]
DATE_HELP = _("如2025-03-05")


def _text(label: Any, *, max_length: int = 200, help_text: Any = "",
          widget: type[forms.Widget] = forms.TextInput) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=max_length,
                           help_text=help_text, validators=[text.validator(label)],
                           widget=widget(attrs={"spellcheck": "false"}))


def _date_field(label: Any, help_text: Any = DATE_HELP) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=20, help_text=help_text,
                           widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                         "autocomplete": "off"}))


def _choice(label: Any, choices: Any, *, blank: Any = None, help_text: Any = ""
            ) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=False, help_text=help_text,
                             choices=[("", blank or _("请选择"))] + list(choices))


class Parsed:
    """Reads typed values into ``actions``' types, collecting every problem at once."""

    def __init__(self, form: forms.Form) -> None:
        self.form = form
        self.problems: list[Problem] = []

    def _label(self, name: str) -> Any:
        return self.form.fields[name].label

    def date(self, name: str, *, required: bool = True, allow_future: bool = False
             ) -> dt.date | None:
        value = (self.form.cleaned_data.get(name) or "").strip()
        if not value and not required:
            return None
        try:
            return validation.parse_date(value, field=name, label=self._label(name),
                                         allow_future=allow_future)
        except ValidationFailed as exc:
            self.problems += exc.problems
            return None

    def required(self, name: str) -> str:
        value = self.form.cleaned_data.get(name) or ""
        if not value:
            self.problems.append(validation.problem("required", name, label=self._label(name)))
        return value

    def number(self, name: str, kind: type = int) -> Any:
        raw = (self.form.cleaned_data.get(name) or "").strip().replace(",", "")
        try:
            return kind(raw or "0")
        except (ValueError, InvalidOperation):
            self.problems.append(Problem("number_invalid", name, _("{label}“{value}”不是数字"),
                                         {"label": self._label(name), "value": raw}))
            return kind("0")

    def done(self) -> None:
        if self.problems:
            raise ValidationFailed(self.problems)


class NeedFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("状态"), required=False,
                              choices=ANY + [("unmet", _("未满足（待转介、已转介、服务中）"))]
                              + list(NeedState.choices))
    kind = forms.ChoiceField(label=_("服务类型"), required=False,
                             choices=ANY + list(ServiceKind.choices))
    region = forms.RegexField(label=_("户籍地区划代码"), required=False, regex=r"^[0-9]{0,12}$",
                              max_length=12, help_text=_("6位、9位或12位，含其下级"),
                              widget=forms.TextInput(attrs={"inputmode": "numeric"}))

    def criteria(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        region = (data.get("region") or "").rstrip("0") if data.get("region") else ""
        return {"state": data.get("state", ""), "kind": data.get("kind", ""),
                "region": region[:12]}


class NeedForm(Form):
    kind = _choice(_("服务类型"), ServiceKind.choices)
    opened_on = _date_field(_("登记日期"))
    note = _text(_("说明"), help_text=_("需求的具体情况，选填"), widget=forms.Textarea)
    mandatory = frozenset({"kind", "opened_on"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"opened_on": timezone.localdate().isoformat()})
        super().__init__(*args, **kwargs)
        self.fields["note"].widget.attrs["rows"] = 3

    def values(self) -> dict[str, Any]:
        parsed = Parsed(self)
        kind = parsed.required("kind")
        opened_on = parsed.date("opened_on")
        parsed.done()
        return {"kind": kind, "opened_on": opened_on, "note": self.cleaned_data.get("note", "")}


class ReferForm(Form):
    provider = forms.ChoiceField(label=_("服务机构"), required=False)
    referred_on = _date_field(_("转介日期"))
    mandatory = frozenset({"provider", "referred_on"})

    def __init__(self, *args: Any, providers: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"referred_on": timezone.localdate().isoformat()})
        super().__init__(*args, **kwargs)
        self.providers = {str(p.pk): p for p in providers}
        self.fields["provider"].choices = [("", _("请选择"))] + [
            (str(p.pk), f"{p.name}（{p.region.name}，{p.get_kind_display()}）") for p in providers]
        self.fields["provider"].help_text = _("提供该服务、正在运营的机构，服务本地的在前")

    def values(self) -> dict[str, Any]:
        parsed = Parsed(self)
        pk = parsed.required("provider")
        day = parsed.date("referred_on")
        parsed.done()
        return {"provider": self.providers[pk], "day": day}


class ReasonForm(Form):
    """Re-open, withdraw, or a referral sent back: the day and the reason."""

    reason = _text(_("原因"), widget=forms.Textarea, help_text=_("会记入该人员的办理记录"))
    day = _date_field(_("日期"))
    mandatory = frozenset({"reason", "day"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"day": timezone.localdate().isoformat()})
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["rows"] = 2

    def values(self) -> dict[str, Any]:
        parsed = Parsed(self)
        day = parsed.date("day")
        parsed.done()
        return {"reason": self.cleaned_data.get("reason", ""), "day": day}


class DayForm(Form):
    day = _date_field(_("日期"))
    mandatory = frozenset({"day"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"day": timezone.localdate().isoformat()})
        super().__init__(*args, **kwargs)

    def values(self) -> dict[str, Any]:
        parsed = Parsed(self)
        day = parsed.date("day")
        parsed.done()
        return {"day": day}


class ServiceForm(Form):
    kind = _choice(_("服务类型"), ServiceKind.choices, blank=_("与需求相同"))
    loan_action = _choice(_("借用事项"), LoanAction.choices, blank=_("（不适用）"),
                          help_text=_("仅辅助器具借用服务填写"))
    started_on = _date_field(_("开始日期"))
    ended_on = _date_field(_("结束日期"), help_text=_("服务仍在进行时不填"))
    staff = _text(_("服务人员"), max_length=50)
    cost = _text(_("费用（元）"), max_length=12, help_text=_("没有费用填0"))
    payer = _choice(_("支付方"), Payer.choices)
    outcome = _choice(_("结果"), ServiceOutcome.choices)
    note = _text(_("说明"), widget=forms.Textarea,
                 help_text=_("结果为“需求未满足”时必填：说明原因，需求将重新开启"))
    mandatory = frozenset({"started_on", "staff", "payer", "outcome"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"started_on": timezone.localdate().isoformat(), "cost": "0"})
        super().__init__(*args, **kwargs)
        self.fields["note"].widget.attrs["rows"] = 2
        self.fields["cost"].widget.attrs["inputmode"] = "decimal"

    def values(self) -> actions.ServiceData:
        parsed = Parsed(self)
        started = parsed.date("started_on")
        ended = parsed.date("ended_on", required=False)
        staff = parsed.required("staff")
        payer = parsed.required("payer")
        outcome = parsed.required("outcome")
        cost = parsed.number("cost", Decimal)
        parsed.done()
        data = self.cleaned_data
        return actions.ServiceData(started_on=started, ended_on=ended, staff=staff, payer=payer,
                                   outcome=outcome, kind=data.get("kind", ""), cost=cost,
                                   loan_action=data.get("loan_action", ""),
                                   note=data.get("note", ""))


class ProviderFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("机构类型"), required=False,
                             choices=ANY + list(ProviderKind.choices))
    service = forms.ChoiceField(label=_("服务类型"), required=False,
                                choices=ANY + list(ServiceKind.choices))
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=ANY + list(ProviderStatus.choices))

    def criteria(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {k: data.get(k, "") for k in ("kind", "service", "status")}


class ProviderForm(Form):
    name = _text(_("机构名称"), max_length=100)
    kind = _choice(_("机构类型"), ProviderKind.choices)
    region = _text(_("所在地区划代码"), max_length=12,
                   help_text=_("地市、县级（6位或12位）或乡镇级（12位）区划代码"))
    kinds = forms.MultipleChoiceField(label=_("服务类型"), required=False,
                                      choices=ServiceKind.choices,
                                      widget=forms.CheckboxSelectMultiple)
    capacity = _text(_("服务能力（人）"), max_length=9, help_text=_("可同时服务的人数或床位数"))
    designated_from = _date_field(_("认定日期"), help_text=_("如2021-03-05；未经认定的不填"))
    designated_until = _date_field(_("认定有效期至"), help_text=_("长期有效的不填"))
    status = _choice(_("状态"), ProviderStatus.choices)
    phone = _text(_("联系电话"), max_length=20)
    service_counties = _text(_("服务的邻近县"), max_length=200,
                             help_text=_("本县以外也服务的邻近县的区划代码（6位或12位），多个用顿号“、”分隔；不填为只服务本县"))
    mandatory = frozenset({"name", "kind", "region", "kinds", "capacity", "status"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"status": ProviderStatus.ACTIVE})
        super().__init__(*args, **kwargs)
        self.fields["region"].widget.attrs["inputmode"] = "numeric"

    @classmethod
    def initial_of(cls, provider: Any) -> dict[str, Any]:
        return {"name": provider.name, "kind": provider.kind, "region": provider.region_id,
                "kinds": provider.kinds, "capacity": str(provider.capacity),
                "designated_from": (provider.designated_from.isoformat()
                                    if provider.designated_from else ""),
                "designated_until": (provider.designated_until.isoformat()
                                     if provider.designated_until else ""),
                "status": provider.status, "phone": provider.phone,
                "service_counties": "、".join(provider.service_county_codes)}

    def values(self) -> actions.ProviderData:
        parsed = Parsed(self)
        kind = parsed.required("kind")
        status = parsed.required("status")
        capacity = parsed.number("capacity")
        start = parsed.date("designated_from", required=False)
        until = parsed.date("designated_until", required=False, allow_future=True)
        parsed.done()
        data = self.cleaned_data
        return actions.ProviderData(name=data.get("name", "").strip(), kind=kind,
                                    region=data.get("region", "").strip(),
                                    kinds=list(data.get("kinds") or []), capacity=capacity,
                                    designated_from=start, designated_until=until,
                                    status=status, phone=data.get("phone", ""),
                                    service_counties=[c for c in re.split(
                                        r"[、，,；;/\s]+", data.get("service_counties", "")) if c])


class CoverageForm(forms.Form):
    region = forms.RegexField(label=_("地区区划代码"), required=False,
                              regex=r"^([0-9]{6}|[0-9]{12})$", max_length=12,
                              help_text=_("6位或12位；不填为您负责的地区"),
                              widget=forms.TextInput(attrs={"inputmode": "numeric"}))
