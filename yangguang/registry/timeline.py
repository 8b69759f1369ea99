"""A person's audit events as sentences in the user's language, for the person page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from yangguang.audit.models import AuditAction, AuditEvent
from yangguang.core.contributions import collected
from yangguang.registry.models import (
    Category,
    CertificateStatus,
    Level,
    Person,
    Relation,
    StatusReason,
)


@dataclass
class Entry:
    event: AuditEvent
    action: str  # the action's label (新增, 修改 …)
    text: str  # what happened


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _field_label(name: str) -> str:
    if name == "household":
        return _("家庭编号")
    try:
        return str(Person._meta.get_field(name).verbose_name)
    except Exception:  # a field that no longer exists
        return name


def _value(name: str, value: Any) -> str:
    if value in (None, ""):
        return _("（空）")
    if name in ("relation_to_head", "guardian_relation"):
        return _label(Relation, value)
    return str(value)


def _changes(changes: dict[str, list[Any]]) -> str:
    return _("；").join(
        _("{field}由{old}改为{new}").format(field=_field_label(name), old=_value(name, old),
                                         new=_value(name, new))
        for name, (old, new) in changes.items()
    )


def _suffix_text(suffix: str) -> str:
    """``42B1`` → 肢体二级（补发1次）: the certificate's kind without the ID number."""
    if len(suffix) < 2 or not suffix[:2].isdigit():
        return suffix
    text = _("{category}{level}").format(category=_label(Category, int(suffix[0])),
                                         level=_label(Level, int(suffix[1])))
    if len(suffix) > 2:
        text += _("（补发第{n}次）").format(n=suffix[3:])
    return text


def _certificate(data: dict[str, Any]) -> str:
    number = data.get("number", "")
    status = data.get("status")
    if status:
        old, new = status
        text = _("残疾人证{number}由“{old}”变为“{new}”").format(
            number=number, old=_label(CertificateStatus, old), new=_label(CertificateStatus, new))
        if data.get("reason"):
            text += _("，原因：{reason}").format(reason=_label(StatusReason, data["reason"]))
        if data.get("note"):
            text += _("，说明：{note}").format(note=data["note"])
        return text
    if "before" in data:
        if data.get("renewed"):
            return _("换领残疾人证{number}").format(number=number)
        return _("更正残疾人证{number}的信息").format(number=number)
    return _("发放残疾人证{number}").format(number=number)


def _person_write(event: AuditEvent) -> str:
    """A write to the person (registered or changed, with what the certificate did),
    the same whether a form, the API or an import made it."""
    data = event.data
    imported = "import" in data
    parts = [_("批量导入（第{row}行）").format(row=data.get("row", "?"))] if imported else []
    if event.action == AuditAction.CREATE:
        parts.append(_("登记人员"))
    if data.get("changes"):
        parts.append(_changes(data["changes"]) if imported
                     else _("修改人员信息：{changes}").format(changes=_changes(data["changes"])))
    certificate = data.get("certificate")
    if certificate:
        kind = _suffix_text(certificate.get("suffix", ""))
        if certificate.get("action") == "renew":
            parts.append(_("更新残疾人证（{kind}），发证日期{day}").format(
                kind=kind, day=certificate.get("issue_date", "")))
        else:
            parts.append(_("发放残疾人证（{kind}），发证日期{day}").format(
                kind=kind, day=certificate.get("issue_date", "")))
        if certificate.get("reason"):
            parts.append(_("原证注销，原因：{reason}").format(
                reason=_label(StatusReason, certificate["reason"])))
    if not imported:
        return _("；").join(parts)
    head, rest = parts[0], parts[1:]
    return head + _("：") + _("；").join(rest) if rest else head


def describe(event: AuditEvent) -> str:
    """One sentence saying what the event did to the person."""
    data = event.data or {}
    kind, action = event.object_type, event.action
    if kind == "person" and action in (AuditAction.CREATE, AuditAction.UPDATE):
        return _person_write(event)
    if data.get("check") == "registered_elsewhere":
        return _("其他地区的用户尝试登记该公民身份号码（未予登记）")
    if action == AuditAction.REVEAL:
        return _("查看了完整的公民身份号码，理由：{reason}").format(reason=data.get("reason", ""))
    if kind == "certificate":
        return _certificate(data)
    if kind == "assessment":
        category, level = data.get("category"), data.get("level")
        return _("记录残疾评定：{category}{level}，评定机构：{institution}").format(
            category=_label(Category, category), level=_label(Level, level),
            institution=data.get("institution", ""))
    contributed = collected().timeline.get(kind)  # the events of apps above the registry
    if contributed is not None:
        return contributed(event)
    return _label(AuditAction, action)


def timeline(events: list[AuditEvent]) -> list[Entry]:
    return [Entry(event, _label(AuditAction, event.action), describe(event)) for event in events]
