"""The forms of certificate cases. They collect text; the case rules
(``certificates.rules``, through the services) check it, so the pages, the API and
imports give the same answer to the same input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.certificates.models import Applicant, CancellationReason, CaseKind, CaseState
from yangguang.certificates.rules import APPLICATION_LABELS, STEP_LABELS, step_fields
from yangguang.core import text
from yangguang.registry import rules as registry_rules
from yangguang.registry.forms import Form
from yangguang.registry.models import Category, Level


def _text(label: Any, *, help_text: Any = "", max_length: int = 100,
          widget: type[forms.Widget] = forms.TextInput) -> forms.CharField:
    multiline = widget is forms.Textarea
    return forms.CharField(label=label, help_text=help_text, required=False,
                           max_length=max_length,
                           validators=[text.validator(label, multiline=multiline)],
                           widget=widget(attrs={"spellcheck": "false"}))


def _choice(label: Any, choices: Any, *, blank: Any = None) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=False,
                             choices=[("", blank or _("请选择"))] + list(choices))


def _date(label: Any, help_text: Any = registry_rules.HELP["issue_date"]) -> forms.CharField:
    return _text(label, help_text=help_text, max_length=20)


class ApplicationForm(Form):
    """An application (any of the six kinds) for one person."""

    L = APPLICATION_LABELS
    kind = _choice(L["kind"], CaseKind.choices)
    applicant = _choice(L["applicant"], Applicant.choices)
    guardian_name = _text(L["guardian_name"], max_length=50,
                          help_text=_("未成年人及智力、精神残疾人由监护人代为申请"))
    applied_on = _date(L["applied_on"])
    target_region = _text(L["target_region"], max_length=12,
                          help_text=_("仅迁移填写：新户籍地的6位县级代码或12位代码"))
    cancellation_reason = _choice(L["cancellation_reason"], CancellationReason.choices)
    residence_region = _text(L["residence_region"], max_length=12,
                             help_text=_("在常住地（非户籍地）提出申请时填写"))
    residence_permit = _text(L["residence_permit"], max_length=40)
    note = _text(L["note"], max_length=500, widget=forms.Textarea)
    mandatory = frozenset({"kind", "applicant", "applied_on"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"applied_on": timezone.localdate().isoformat(),
                                      "applicant": Applicant.PERSON})
        super().__init__(*args, **kwargs)


class ResidenceApplicationForm(ApplicationForm):
    """跨省通办: an application lodged at the county of usual residence for a person
    registered elsewhere, named by ID number and name (both must match the registry)."""

    id_number = _text(_("公民身份号码"), max_length=20,
                      help_text=registry_rules.HELP["id_number"])
    name = _text(_("姓名"), max_length=50, help_text=registry_rules.HELP["name"])
    mandatory = ApplicationForm.mandatory | {"id_number", "name", "residence_region",
                                             "residence_permit"}

    field_order = ["id_number", "name"]


#: The form field of each step field.
def _step_field(name: str) -> forms.Field:
    L = STEP_LABELS
    return {
        "day": lambda: _date(L["day"]),
        "note": lambda: _text(L["note"], max_length=500, widget=forms.Textarea),
        "institution": lambda: _text(L["institution"],
                                     help_text=_("省级指定的残疾评定机构")),
        "assessor": lambda: _text(L["assessor"], max_length=50),
        "assessed_on": lambda: _date(L["assessed_on"]),
        "category": lambda: _choice(L["category"], Category.choices),
        "level": lambda: _choice(L["level"], Level.choices),
        "components": lambda: _text(L["components"], help_text=registry_rules.HELP["components"]),
        "reason": lambda: _text(L["reason"], max_length=200, widget=forms.Textarea),
        "effective_on": lambda: _date(L["effective_on"],
                                      help_text=_("因死亡注销的，填写死亡日期")),
    }[name]()


REQUIRED_FIELDS = frozenset({"day", "institution", "assessor", "assessed_on", "category",
                             "level", "reason"})


class StepForm(Form):
    """The fields of one step (``rules.step_fields``) after its day and before its note."""

    def __init__(self, kind: str, action: str, *args: Any, case: Any = None,
                 **kwargs: Any) -> None:
        names = ("day", *step_fields(kind, action), "note")
        today = timezone.localdate().isoformat()
        initial = {"day": today, "assessed_on": today, "effective_on": today}
        if case is not None and case.institution:
            initial["institution"] = case.institution
        kwargs.setdefault("initial", initial)
        self.mandatory = frozenset(n for n in names if n in REQUIRED_FIELDS) | (
            {"note"} if action in ("dispute", "appeal") else set())
        self.base_fields = {name: _step_field(name) for name in names}
        super().__init__(*args, **kwargs)


class CaseFilterForm(Form):
    mark_optional = False
    state = _choice(_("状态"), CaseState.choices, blank=_("（不限）"))
    kind = _choice(_("业务类型"), CaseKind.choices, blank=_("（不限）"))
    open = forms.BooleanField(label=_("只看办理中的"), required=False)
    overdue = forms.BooleanField(label=_("只看时限将到或已过的"), required=False)
