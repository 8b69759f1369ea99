"""What the certificates app adds to the registry's person page (through
``CertificatesConfig.contributions``): the person's cases, and their steps as sentences
of the person's history."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from yangguang.accounts.permissions import Capability
from yangguang.accounts.selectors import can
from yangguang.certificates import selectors
from yangguang.certificates.models import Action, Applicant, CaseKind, CaseState


def cases_section(request: HttpRequest, person: Any) -> dict[str, Any]:
    """The person's cases that the user sees, open ones first (the person page's read is
    audited by the registry's page)."""
    cases = list(selectors.cases_visible_to(request.user).filter(person=person)
                 .order_by("closed_on", "-applied_on", "-id"))
    return {"cases": [c for c in cases if c.is_open], "closed": [c for c in cases if not c.is_open],
            "may_apply": (person.deceased_date is None and not any(c.is_open for c in cases)
                          and can(request.user, Capability.HANDLE_CASE, person.hukou_region)),
            "person": person}


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def describe(event: Any) -> str:
    """A case event as a sentence of the person's history."""
    data = event.data or {}
    kind = _label(CaseKind, data.get("kind"))
    if "state" not in data:
        return _("受理残疾人证{kind}申请（{applicant}）").format(
            kind=kind, applicant=_label(Applicant, data.get("applicant")))
    old, new = data["state"]
    text = _("残疾人证{kind}申请：{action}，由“{old}”变为“{new}”").format(
        kind=kind, action=_label(Action, data.get("action")), old=_label(CaseState, old),
        new=_label(CaseState, new))
    if data.get("reason"):
        text += _("，理由：{reason}").format(reason=data["reason"])
    return text
