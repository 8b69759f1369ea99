"""The loop's audit events as sentences for the person page's history (given to the
registry's timeline through ``ServicesConfig.contributions``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from yangguang.services.models import Payer, ServiceKind, ServiceOutcome
from yangguang.services.states import NeedAction, NeedState, ReferralState


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _with_reason(text: str, data: dict[str, Any]) -> str:
    if data.get("reason"):
        text += _("，原因：{reason}").format(reason=data["reason"])
    return text


def need(event: Any) -> str:
    data = event.data or {}
    kind = _label(ServiceKind, data.get("kind"))
    if "state" not in data:
        if data.get("source") == "survey":
            return _("登记服务需求：{kind}（来自{year}年度调查）").format(
                kind=kind, year=data.get("survey_year", ""))
        return _("登记服务需求：{kind}").format(kind=kind)
    old, new = data["state"]
    return _with_reason(_("服务需求“{kind}”{action}：由“{old}”变为“{new}”").format(
        kind=kind, action=_label(NeedAction, data.get("action")),
        old=_label(NeedState, old), new=_label(NeedState, new)), data)


def referral(event: Any) -> str:
    data = event.data or {}
    kind = _label(ServiceKind, data.get("kind"))
    if "state" not in data:
        return _("服务需求“{kind}”转介至{provider}").format(kind=kind,
                                                       provider=data.get("provider", ""))
    old, new = data["state"]
    return _with_reason(_("{provider}的转介（{kind}）由“{old}”变为“{new}”").format(
        provider=data.get("provider", ""), kind=kind, old=_label(ReferralState, old),
        new=_label(ReferralState, new)), data)


def service_record(event: Any) -> str:
    data = event.data or {}
    return _("{provider}提供服务：{kind}，{start}起，服务人员{staff}，费用{cost}元（{payer}），"
             "结果：{outcome}").format(
        provider=data.get("provider", ""), kind=_label(ServiceKind, data.get("kind")),
        start=data.get("started_on", ""), staff=data.get("staff", ""), cost=data.get("cost", ""),
        payer=_label(Payer, data.get("payer")), outcome=_label(ServiceOutcome, data.get("outcome")))


DESCRIBERS: dict[str, Callable[[Any], str]] = {
    "need": need, "referral": referral, "service_record": service_record,
}
