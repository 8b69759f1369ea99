"""The progress report form: its choices come from the task (its lead units) and the
user (the regions they may report for); the rule is ``progress.check``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yangguang.plans import progress
from yangguang.plans.models import PlanTask, ProgressStatus
from yangguang.registry.forms import Form, add_problems


def rule_select(label: Any, choices: list[tuple[Any, Any]], **kwargs: Any) -> forms.CharField:
    """A select list whose value a rule checks, not Django's choice check, so a value from
    elsewhere gets the rule's message."""
    return forms.CharField(label=label, widget=forms.Select(choices=choices), **kwargs)


def mark_fields(form: Form) -> None:
    """For fields made after ``Form.__init__``: none required by Django (the rule says
    what is missing), those outside ``form.mandatory`` marked optional."""
    for name, field in form.fields.items():
        field.required = False
        field.optional = name not in form.mandatory
        if not field.optional:
            field.widget.attrs.setdefault("aria-required", "true")


class ProgressForm(Form):
    mandatory = frozenset({"region", "year", "unit", "status", "summary"})

    def __init__(self, *args: Any, task: PlanTask, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        regions = progress.reporting_regions(user, task)
        # Select lists whose values the rule checks (progress.check), not Django's choice check,
        # so a value from elsewhere gets the rule's message.
        self.fields["region"] = rule_select(_("报告地区"), [(r.code, f"{r.name}（{r.short_code}）") for r in regions])
        years = progress.reporting_years(task)
        self.fields["year"] = rule_select(_("报告年度"), [(str(y), str(y)) for y in reversed(years)])
        units = progress.reporting_units(task)
        if units:
            self.fields["unit"] = rule_select(_("报告单位"), [("", _("请选择")), *[(u, u) for u in units]],
                                          help_text=_("本任务的牵头单位（规划未分牵头和参与时为责任单位）"))
        else:
            self.fields["unit"] = forms.CharField(
                label=_("报告单位"),
                help_text=_("规划没有为本任务指明牵头单位，请填写认领本任务的单位"))
        self.fields["status"] = rule_select(_("进展状态"), [("", _("请选择")), *ProgressStatus.choices])
        self.fields["summary"] = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 5}))
        self.fields["problems"] = forms.CharField(label=_("存在问题"), widget=forms.Textarea(attrs={"rows": 3}))
        mark_fields(self)

    def data_for_services(self) -> progress.ProgressData:
        data = self.cleaned_data
        year = (data.get("year") or "").strip()
        return progress.ProgressData(region=data.get("region") or "", year=int(year) if year.isdigit() else None,
                                     unit=data.get("unit") or "", status=data.get("status") or "",
                                     summary=data.get("summary") or "", problems=data.get("problems") or "")

    def show(self, problems: list[Any]) -> None:
        add_problems(self, problems)
