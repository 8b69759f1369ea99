"""The form of a value entered by hand: its choices come from the plan (the rows that
take one) and the user (the regions they may report for); the rule is ``reporting.check``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yangguang.analytics import reporting
from yangguang.analytics.models import Status
from yangguang.plans import progress
from yangguang.plans.forms import mark_fields, rule_select
from yangguang.plans.models import IndicatorKind, Plan
from yangguang.regions.models import RegionLevel
from yangguang.registry.forms import Form, add_problems


class HandValueForm(Form):
    mandatory = frozenset({"entry", "region", "year", "value", "source", "reported_on", "unit"})

    def __init__(self, *args: Any, plan: Plan, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        entries = [(choice, _("第{row}项：{wording}（相对目标的比较值）").format(row=ind.row, wording=ind.wording)
                    if compared else _("第{row}项：{wording}").format(row=ind.row, wording=ind.wording))
                   for choice, ind, compared in reporting.entries(plan)]
        self.fields["entry"] = rule_select(_("指标"), [("", _("请选择")), *entries],
                                       help_text=_("人工填报的指标，或相对目标（如与地区生产总值增长同步）的比较值"))
        self.fields["region"] = rule_select(_("填报地区"), [(r.code, f"{r.name}（{r.short_code}）")
                                                    for r in reporting.regions(user, plan)])
        years = reversed(progress.plan_years(plan))
        self.fields["year"] = rule_select(_("填报年度"), [(str(y), str(y)) for y in years])
        self.fields["value"] = forms.CharField(label=_("指标值"), help_text=_("数字；百分比只填数字，如 6.5"),
                                               widget=forms.TextInput(attrs={"inputmode": "decimal"}))
        self.fields["source"] = forms.CharField(label=_("数据来源"), help_text=_("如：县统计局《统计公报》"))
        self.fields["reported_on"] = forms.CharField(label=_("数据日期"), help_text=_("YYYY-MM-DD"))
        self.fields["unit"] = forms.CharField(label=_("填报单位"))
        self.fields["evidence"] = forms.FileField(
            label=_("佐证材料"), help_text=_("PDF、图片、表格或文档，不超过 10 MB"),
            widget=forms.ClearableFileInput(attrs={"accept": ",".join(reporting.EVIDENCE_TYPES)}))
        mark_fields(self)

    def data_for_services(self) -> reporting.HandValueData:
        data = self.cleaned_data
        year = (data.get("year") or "").strip()
        try:
            day = dt.date.fromisoformat((data.get("reported_on") or "").strip())
        except ValueError:
            day = None
        evidence = data.get("evidence")
        return reporting.HandValueData(
            entry=data.get("entry") or "", region=data.get("region") or "",
            year=int(year) if year.isdigit() else None, value=data.get("value") or "",
            source=data.get("source") or "", reported_on=day, unit=data.get("unit") or "",
            evidence_name=evidence.name if evidence else "", evidence_size=evidence.size if evidence else 0)

    def show(self, problems: list[Any]) -> None:
        add_problems(self, problems)


class DashboardFilterForm(forms.Form):
    """The dashboard's filters (a GET form): the as-of date, a status, binding or
    expected rows, and the level of the regions listed below the one shown. A value
    not offered is ignored (the default is used), as a link with a stale date would be."""

    as_of = forms.ChoiceField(label=_("截至日期"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("（不限）")), *Status.choices])
    kind = forms.ChoiceField(label=_("属性"), required=False,
                             choices=[("", _("（不限）")), (IndicatorKind.BINDING, IndicatorKind.BINDING.label),
                                      (IndicatorKind.EXPECTED, IndicatorKind.EXPECTED.label)])
    level = forms.ChoiceField(label=_("下级地区的级别"), required=False)

    def __init__(self, data: Any, *, dates: list[dt.date], levels: list[int]) -> None:
        super().__init__(data)
        self.fields["as_of"].choices = [(d.isoformat(), d.isoformat()) for d in dates]
        self.fields["level"].choices = [(str(level), RegionLevel(level).label) for level in levels]
        self.dates, self.levels = dates, levels

    def chosen(self) -> dict[str, Any]:
        """The filters in force: each valid value given, else its default (the latest
        date, any status and kind, the level just below)."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        as_of, level = data.get("as_of"), data.get("level")
        chosen = {"as_of": dt.date.fromisoformat(as_of) if as_of else (self.dates[0] if self.dates else None),
                  "status": data.get("status") or "", "kind": data.get("kind") or "",
                  "level": int(level) if level else (self.levels[0] if self.levels else None)}
        # The form shows the filters in force, without errors for values ignored.
        self.data = {"as_of": chosen["as_of"].isoformat() if chosen["as_of"] else "", "status": chosen["status"],
                     "kind": chosen["kind"], "level": str(chosen["level"] or "")}
        self.full_clean()
        return chosen
