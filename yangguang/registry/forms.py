"""Forms of the registry pages.

Django forms only collect what was typed; the rules are those of every other input
path: ``rules.parse_row`` and the ``validation`` parsers check the values and
their ``Problem`` messages become the form's errors, so a form and an import file
reject the same things with the same words.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.core import text
from yangguang.core.crypto import decrypt_id
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.core.forms import ErrorSummaryMixin
from yangguang.core.widgets import RegionPicker
from yangguang.imports.spec import kinds as import_kinds
from yangguang.regions.selectors import UnknownRegion, resolve_region
from yangguang.registry import rules, validation
from yangguang.registry.models import (
    Category,
    Certificate,
    CertificateStatus,
    Level,
    Person,
    Relation,
    StatusReason,
)
from yangguang.registry.selectors import DECEASED
from yangguang.registry.services import PersonData

BLANK = [("", _("（不限）"))]


def add_problems(form: forms.Form, problems: list[Problem]) -> None:
    """Show ``problems`` on the form: each on its field, or on the form as a whole,
    in the order of the fields (so the error summary reads top to bottom)."""
    order = {name: index for index, name in enumerate(form.fields)}
    for p in sorted(problems, key=lambda p: order.get(p.field, -1)):
        field = p.field if p.field in form.fields else None
        if field is None or field not in form.errors:
            form.add_error(field, p.message)
        elif p.message not in form.errors[field]:
            form.errors[field].append(p.message)


class Form(ErrorSummaryMixin, forms.Form):
    """A form whose fields say when they are optional (GOV.UK marks those, not the rest).

    Django's own "required" check is off: the registry's rules decide what is missing.
    """

    mandatory: frozenset[str] = frozenset()
    mark_optional = True  # whether labels of optional fields say so

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.optional = name not in self.mandatory
            if not field.optional:
                field.widget.attrs.setdefault("aria-required", "true")

    def non_field_error_list(self) -> list[str]:
        return [str(e) for e in self.errors.get(NON_FIELD_ERRORS, [])]


def _text(label: Any, *, help_text: Any = "", max_length: int = 100,
          widget: type[forms.TextInput] = forms.TextInput, **attrs: Any) -> forms.CharField:
    return forms.CharField(label=label, help_text=help_text, required=False, max_length=max_length,
                           validators=[text.validator(label)],
                           widget=widget(attrs={"spellcheck": "false", **attrs}))


def _choice(label: Any, choices: Any, *, help_text: Any = "", blank: Any = None) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, help_text=help_text, required=False,
                             choices=[("", blank or _("请选择"))] + list(choices))


def _ethnicity_choices() -> list[tuple[str, str]]:
    return list(validation.ethnicities().items())


# ---------------------------------------------------------------------------
# Search


class SearchStatus:
    CHOICES = [
        (CertificateStatus.VALID, _("持有效残疾人证")),
        (CertificateStatus.EXPIRED, _("残疾人证过期")),
        (CertificateStatus.FROZEN, _("残疾人证冻结")),
        (CertificateStatus.CANCELLED, _("残疾人证已注销")),
        (DECEASED, _("已死亡")),
    ]


#: The query parameter of a search's address that stands for its full numbers.
SEARCH_TOKEN = "q"


class SearchForm(Form):
    CRITERIA = ("name", "id_number", "certificate_number", "region", "category", "level", "status")
    # Full numbers: never in a URL (they would land in access logs and browser history);
    # the search's address holds a token for them instead (``core.stash``).
    NUMBERS = ("id_number", "certificate_number")
    mark_optional = False  # every criterion is optional
    name = _text(_("姓名"), help_text=_("可只填姓名中的任意一部分，如“萍英”"), max_length=50)
    id_number = _text(_("公民身份号码"), help_text=_("完整的18位或15位号码"), max_length=40,
                      inputmode="text", autocomplete="off")
    certificate_number = _text(_("残疾人证号"), help_text=_("完整的20位证号，补发证含B1、B2等"),
                               max_length=40, autocomplete="off")
    region = _text(_("户籍地区划代码"), help_text=_("6位或12位代码，查该地区及下级地区"),
                   max_length=12, widget=RegionPicker)
    category = _choice(_("残疾类别"), Category.choices, blank=_("（不限）"))
    level = _choice(_("残疾等级"), Level.choices, blank=_("（不限）"))
    status = _choice(_("证件状态"), SearchStatus.CHOICES, blank=_("（不限）"))
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean_id_number(self) -> str:
        text = self.cleaned_data["id_number"]
        if text:
            try:
                return validation.parse_id_number(text).normalized
            except ValidationFailed as exc:
                raise forms.ValidationError(exc.problems[0].message) from None
        return ""

    def clean_certificate_number(self) -> str:
        text = self.cleaned_data["certificate_number"]
        if not text:
            return ""
        parts = validation.split_certificate_number(text)
        if parts is None:
            raise forms.ValidationError(validation.MESSAGES["cert_format"])
        id_part, category, level, reissue = parts
        return f"{id_part}{category}{level}" + (f"B{reissue}" if reissue else "")

    def clean_region(self) -> Any:
        code = self.cleaned_data["region"].strip()
        if not code:
            return None
        try:
            return resolve_region(code)
        except UnknownRegion:
            raise forms.ValidationError(
                validation.MESSAGES["region_unknown"].format(label=_("户籍地区划代码"), value=code),
            ) from None

    def criteria(self) -> dict[str, Any]:
        """The keyword arguments of ``selectors.search_persons``."""
        data = self.cleaned_data
        return {
            "name": data.get("name", ""), "id_number": data.get("id_number", ""),
            "certificate_number": data.get("certificate_number", ""), "region": data.get("region"),
            "category": int(data["category"]) if data.get("category") else None,
            "level": int(data["level"]) if data.get("level") else None,
            "status": data.get("status", ""),
        }

    def criteria_items(self) -> list[tuple[str, str]]:
        """The criteria as typed, for links and hidden fields."""
        return [(name, self.data[name]) for name in self.CRITERIA if self.data.get(name)]

    def query(self, token: str = "", **changes: Any) -> str:
        """The search's query string (for page links), with ``changes``: the criteria
        but the full numbers, which ``token`` stands for."""
        query = QueryDict(mutable=True)
        items = [(k, v) for k, v in self.criteria_items() if k not in self.NUMBERS]
        for name, value in [*items, (SEARCH_TOKEN, token), *changes.items()]:
            if value:
                query[name] = str(value)
        return query.urlencode()


# ---------------------------------------------------------------------------
# Registering and editing a person


class PersonForm(Form):
    """Register a person with their certificate, or change a registered person.

    ``person`` None: a new registration, with the ID and certificate numbers typed in.
    Otherwise the ID stays the person's; the certificate part (present when the person
    holds a certificate that is not cancelled) renews or reissues that certificate (issue
    date, reissue count), and its number follows from the ID, category, level and reissue
    count. Category, level and components are the assessment's: they change only by a
    reassessment (``ReassessmentForm``), so here they are shown, not edited.
    """

    name = _text(_("姓名"), help_text=_("与身份证一致"), max_length=50, autocomplete="off")
    id_number = _text(_("公民身份号码"), help_text=rules.HELP["id_number"],
                      max_length=40, autocomplete="off")
    certificate_number = _text(_("残疾人证号"),
                               help_text=rules.HELP["certificate_number"],
                               max_length=40, autocomplete="off")
    category = _choice(_("残疾类别"), Category.choices)
    level = _choice(_("残疾等级"), Level.choices, help_text=_("一级最重"))
    components = _text(_("多重残疾明细"), help_text=rules.HELP["components"])
    reissue_count = forms.TypedChoiceField(
        label=_("补发次数"), required=False, coerce=int, empty_value=0,
        help_text=_("挂失补办后证号末尾的B1、B2……"),
        choices=[(0, _("未补发"))] + [(n, f"B{n}") for n in range(1, 10)],
    )
    issue_date = _text(_("发证日期"), help_text=rules.HELP["issue_date"],
                       max_length=20)
    hukou_region = _text(_("户籍地区划代码"), help_text=rules.HELP["hukou_region"],
                         max_length=12, widget=RegionPicker)
    residence_region = _text(_("居住地区划代码"),
                             help_text=rules.HELP["residence_region"],
                             max_length=12, widget=RegionPicker)
    ethnicity = forms.ChoiceField(label=_("民族"), required=False, choices=())
    phone = _text(_("联系电话"), help_text=rules.HELP["phone"], max_length=20,
                  inputmode="tel", autocomplete="off")
    household_number = _text(_("家庭编号"), help_text=rules.HELP["household_number"],
                             max_length=32)
    relation_to_head = _choice(_("与户主关系"), Relation.choices, blank=_("（无）"))
    guardian_name = _text(_("监护人姓名"), max_length=50, autocomplete="off")
    guardian_phone = _text(_("监护人电话"), max_length=20, inputmode="tel", autocomplete="off")
    guardian_relation = _choice(_("监护人关系"), Relation.choices, blank=_("（无）"))

    CERTIFICATE_FIELDS = ("category", "level", "components", "reissue_count", "issue_date")
    ASSESSED_FIELDS = ("category", "level", "components")

    def __init__(self, *args: Any, user: Any, person: Person | None = None,
                 certificate: Certificate | None = None, **kwargs: Any) -> None:
        self.user, self.person, self.certificate = user, person, certificate
        self.with_certificate = person is None or certificate is not None
        self.mandatory = frozenset({"name", "hukou_region"} | (
            {"id_number", "certificate_number", "category", "level", "issue_date"}
            if person is None else
            {"issue_date"} if self.with_certificate else set()))
        if person is not None:
            kwargs.setdefault("initial", self.initial_of(person, certificate))
        super().__init__(*args, **kwargs)
        self.fields["ethnicity"].choices = [("", _("请选择"))] + _ethnicity_choices()
        if person is not None:
            del self.fields["id_number"], self.fields["certificate_number"]
        else:
            del self.fields["reissue_count"]
        if not self.with_certificate:
            for name in self.CERTIFICATE_FIELDS:
                del self.fields[name]
        elif person is not None:
            for name in self.ASSESSED_FIELDS:
                del self.fields[name]
        self.person_data: PersonData | None = None

    @staticmethod
    def initial_of(person: Person, certificate: Certificate | None) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": person.name, "hukou_region": person.hukou_region_id,
            "residence_region": person.residence_region_id or "", "ethnicity": person.ethnicity,
            "phone": person.phone, "household_number": person.household.number
            if person.household_id else "", "relation_to_head": person.relation_to_head,
            "guardian_name": person.guardian_name, "guardian_phone": person.guardian_phone,
            "guardian_relation": person.guardian_relation,
        }
        if certificate is not None:
            initial |= {
                "category": certificate.category, "level": certificate.level,
                "components": validation.format_components(certificate.components)
                if certificate.components else "",
                "reissue_count": certificate.reissue_count,
                "issue_date": certificate.issue_date.isoformat(),
            }
        return initial

    def section_fields(self, *names: str) -> list[forms.BoundField]:
        return [self[name] for name in names if name in self.fields]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        cells = {key: data.get(key, "") for key in rules.HELP if key in self.fields}
        if self.person is not None:
            # The ID is the person's; decrypted here only to check the row, never shown.
            cells["id_number"] = decrypt_id(self.person.id_number_encrypted)
            if self.with_certificate:
                certificate = self.certificate
                cells |= {"category": certificate.category, "level": certificate.level,
                          "components": certificate.components}
                cells["certificate_number"] = cells["id_number"] + rules.certificate_suffix(
                    certificate.category, certificate.level, int(data.get("reissue_count") or 0))
        problems: list[Problem] = []
        try:
            person_data = rules.parse_row(cells, certificate=self.with_certificate)
        except ValidationFailed as exc:
            problems += exc.problems
            person_data = None
        guardian = {}
        for name, parse in (
            ("guardian_name", lambda v: validation.parse_name(v, field="guardian_name",
                                                              label=_("监护人姓名"), required=False)),
            ("guardian_phone", lambda v: validation.parse_phone(v, field="guardian_phone")),
            ("guardian_relation", lambda v: validation.parse_relation(v, field="guardian_relation")),
        ):
            try:
                guardian[name] = parse(data.get(name, ""))
            except ValidationFailed as exc:
                problems += exc.problems
        if problems:
            add_problems(self, problems)
            return data
        person_data.provided = None  # a form gives every field: a blank clears it
        for name, value in guardian.items():
            setattr(person_data, name, value)
        self.person_data = person_data
        return data


# ---------------------------------------------------------------------------
# Certificate actions, death, reveal


def _parse_day(value: str, label: Any, *, field: str = "day") -> dt.date:
    return validation.parse_date(value or "", field=field, label=label)


class ReassessmentForm(Form):
    """A change of category or level (or of a multiple disability's components): the
    assessment it rests on, and the day the new certificate takes effect."""

    institution = _text(_("评定机构"), max_length=100,
                        help_text=_("作出评定的指定医疗机构或评定机构"))
    assessed_on = _text(_("评定日期"), help_text=rules.HELP["issue_date"], max_length=20)
    category = _choice(_("残疾类别"), Category.choices)
    level = _choice(_("残疾等级"), Level.choices, help_text=_("一级最重"))
    components = _text(_("多重残疾明细"), help_text=rules.HELP["components"])
    effective_date = _text(_("生效日期"), max_length=20,
                           help_text=_("新证的发证日期，原证同日注销"))
    mandatory = frozenset({"institution", "assessed_on", "category", "level", "effective_date"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"effective_date": timezone.localdate().isoformat()})
        super().__init__(*args, **kwargs)
        self.reassessment: rules.Reassessment | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            self.reassessment = rules.parse_reassessment(data)
        except ValidationFailed as exc:
            add_problems(self, exc.problems)
        return data


class DayForm(Form):
    """A form with the date something took effect (today unless changed)."""

    day_label = _("生效日期")
    day = _text(_("生效日期"), help_text=rules.HELP["issue_date"], max_length=20)
    mandatory = frozenset({"day"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"day": timezone.localdate().isoformat()})
        super().__init__(*args, **kwargs)
        self.fields["day"].label = self.day_label

    def clean_day(self) -> dt.date:
        try:
            return _parse_day(self.cleaned_data["day"], self.day_label)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.problems[0].message) from None


#: The reasons a reviewer may give for each action (deaths go through the death form).
CANCEL_REASONS = [StatusReason.MOVED_AWAY, StatusReason.NO_LONGER_ELIGIBLE,
                  StatusReason.VOLUNTARY, StatusReason.OTHER]
FREEZE_REASONS = [StatusReason.MOVED_AWAY, StatusReason.OTHER]


class CertificateActionForm(DayForm):
    reason = forms.ChoiceField(label=_("原因"), required=False, choices=())
    note = _text(_("说明"), max_length=200)

    def __init__(self, *args: Any, reasons: list[StatusReason] | None = None, **kwargs: Any) -> None:
        self.mandatory = frozenset({"day", "reason"} if reasons else {"day"})
        super().__init__(*args, **kwargs)
        if reasons:
            self.fields["reason"].choices = [("", _("请选择"))] + [(r.value, r.label) for r in reasons]
        else:
            del self.fields["reason"]

    def clean_reason(self) -> str:
        reason = self.cleaned_data.get("reason", "")
        if not reason:
            raise forms.ValidationError(validation.MESSAGES["required"].format(label=_("原因")))
        return reason


class DeathForm(DayForm):
    day_label = _("死亡日期")


class MoveAwayForm(Form):
    """户籍迁出: the day the hukou moved out of the county (and where to, when known);
    checked by ``rules.parse_move_away``."""

    day = _text(rules.MOVE_DAY_LABEL, help_text=rules.HELP["issue_date"], max_length=20)
    to_region = _text(rules.MOVED_TO_LABEL, max_length=12, inputmode="numeric",
                      help_text=_("迁入地的6位县级代码或12位统计用区划代码，已知时填写"))
    mandatory = frozenset({"day"})


class RevealForm(Form):
    reason = forms.CharField(
        label=_("查看理由"), required=False, max_length=400,
        validators=[text.validator(_("查看理由"), multiline=True)],
        help_text=_("例如：核对户籍信息、办理补贴需要完整号码。理由会记入审计日志。"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    mandatory = frozenset({"reason"})


# ---------------------------------------------------------------------------
# Import


class ImportForm(Form):
    kind = forms.ChoiceField(label=_("导入类型"), required=False,
                             help_text=_("文件的内容：每种类型有自己的导入模板"))
    file = forms.FileField(
        label=_("导入文件"), required=False,
        help_text=_("XLSX、XLS 或 CSV 文件，格式与导入模板相同"),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    dry_run = forms.BooleanField(label=_("仅检查，不写入（试导入）"), required=False, initial=True)
    mandatory = frozenset({"file", "kind"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.name, k.label) for k in import_kinds()]
        if not self.is_bound:
            self.fields["kind"].initial = "persons"
