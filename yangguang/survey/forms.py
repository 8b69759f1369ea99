"""The survey form: one person, one year, pre-filled from the year's survey or the
latest before it. The form only collects; the values go through the same parsers as
an import's cells (``rules.parse_*``) and the rules through ``services.record_survey``
(``rules.check``), whose problems become the form's errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yangguang.core import text
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.registry.forms import Form, add_problems
from yangguang.survey import rules
from yangguang.survey.models import ANSWERS, CHOICES, AnnualSurvey
from yangguang.survey.rules import SurveyData
from yangguang.survey.vocabulary import FLAGS

YES_NO = [("", _("未填写")), ("yes", _("是")), ("no", _("否"))]


def _label(name: str) -> Any:
    return AnnualSurvey._meta.get_field(name).verbose_name


_HELP = {
    "not_reached_reason": _("未入户调查时填写；入户调查时留空"),
    "employment_form": _("就业状况为“已就业”时填写"),
    "household_income": _("整数，单位元"),
    "schooling": _("3至17岁的人员填写"),
    "survey_date": _("如2025-03-05，须在调查年度内"),
}


class SurveyForm(Form):
    """Fields in the order of the template's columns (``ANSWERS``)."""

    mandatory = frozenset({"reached"})

    def __init__(self, *args: Any, year: int, **kwargs: Any) -> None:
        self.year = year
        super().__init__(*args, **kwargs)

    def data_for_services(self) -> SurveyData:
        """The typed values as ``SurveyData``; ``ValidationFailed`` lists what cannot be read."""
        values: dict[str, Any] = {"year": self.year}
        problems: list[Problem] = []
        raw = self.cleaned_data
        for name in ANSWERS:
            value = raw.get(name, "")
            try:
                if name == "reached":
                    if value not in ("yes", "no"):
                        raise ValidationFailed([rules.problem("required", name,
                                                              label=_label(name))])
                    values[name] = value == "yes"
                elif name in FLAGS:
                    values[name] = {"yes": True, "no": False}.get(value)
                elif name in CHOICES:
                    values[name] = rules.parse_code(name, value)
                elif name == "household_income":
                    values[name] = rules.parse_income(value)
                elif name == "surveyor":
                    values[name] = rules.parse_surveyor(value)
                else:
                    values[name] = rules.parse_survey_date(value)
            except ValidationFailed as exc:
                problems += exc.problems
        if problems:
            raise ValidationFailed(problems)
        return SurveyData.of(values)

    def show(self, problems: list[Problem]) -> None:
        add_problems(self, problems)


def _field(name: str) -> forms.Field:
    if name == "reached":
        return forms.ChoiceField(label=_label(name), required=False,
                                 choices=[("", _("请选择")), *YES_NO[1:]])
    if name in FLAGS:
        return forms.ChoiceField(label=_label(name), required=False, choices=YES_NO)
    if name in CHOICES:
        return forms.ChoiceField(label=_label(name), required=False,
                                 help_text=_HELP.get(name, ""),
                                 choices=[("", _("未填写")), *CHOICES[name].choices])
    max_length = {"surveyor": rules.SURVEYOR_MAX}.get(name, 20)
    return forms.CharField(label=_label(name), required=False, max_length=max_length,
                           help_text=_HELP.get(name, ""),
                           validators=[text.validator(_label(name))],
                           widget=forms.TextInput(attrs={"spellcheck": "false"}))


for _name in ANSWERS:
    SurveyForm.base_fields[_name] = _field(_name)
del _name


def initial_of(survey: AnnualSurvey | None) -> dict[str, Any]:
    """A stored survey's answers as the form's initial values."""
    if survey is None:
        return {}
    initial: dict[str, Any] = {}
    for name in ANSWERS:
        value = getattr(survey, name)
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif value is None:
            value = ""
        elif name == "survey_date":
            value = value.isoformat()
        initial[name] = value
    return initial
