"""What makes a survey valid: the one home of the survey's rules.

``check`` is called by every path that records a survey — the form, the API and the
import (through ``services.record_survey`` and ``importing``) — with the facts about
the person it needs (birth date, whether certified in the survey's year), so the
import can look those up for a block of rows at once. ``certified_q`` says who is
certified in a year, for ``check`` and for the completion counts alike. The cell
parsers turn a file's cell or an API value (a code or its Chinese name) into the
stored value.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, fields
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yangguang.core.errors import Problem, ValidationFailed
from yangguang.registry import rules as registry_rules
from yangguang.registry import validation as v
from yangguang.survey import vocabulary as words

#: The first year a survey may be recorded for.
FIRST_YEAR = 2000
#: Ages (in full years on the survey date, or on 31 December) whose schooling is asked.
SCHOOL_AGES = (3, 17)
SURVEYOR_MAX = 50

MESSAGES = {
    "required": _("{label}不能为空"),
    "code_unknown": _("{label}“{value}”无法识别：应为{choices}之一（或其代码）"),
    "flag_unknown": _("{label}“{value}”无法识别：请填写是或否"),
    "year_invalid": _("调查年度“{value}”不正确：应为{first}年以后的四位年份"),
    "year_not_begun": _("调查年度{value}尚未开始"),
    "income_invalid": _("家庭人均收入“{value}”不正确：应为不小于0的整数（元）"),
    "too_long": _("{label}不能超过{max}个字符"),
    "date_outside_year": _("调查日期{value}不在调查年度{year}内"),
    "not_certified": _("该人员在{year}年没有有效的残疾人证，不在当年调查范围内"),
    "reason_required": _("未入户调查时须填写未调查原因"),
    "reason_when_reached": _("已入户调查时不填写未调查原因"),
    "answer_when_not_reached": _("未入户调查时不填写{label}"),
    "form_required": _("已就业时须填写就业形式"),
    "form_without_employment": _("就业状况不是已就业时不填写就业形式"),
    "schooling_required": _("{age}岁的调查对象须填写受教育状况"),
    "schooling_age": _("受教育状况只对3至17岁的人员填写（该人员{age}岁）"),
    "person_unknown": _("公民身份号码尚未登记：请先登记或导入该人员"),
    "survey_exists": _("该人员{year}年的调查已经录入"),
    "duplicate_in_file": _("与第{row}行是同一人同一年度的调查"),
    "formula_without_value": _("{label}是没有计算结果的公式：请在表格软件中打开并保存，或填写数值"),
}


def problem(code: str, field: str, **params: Any) -> Problem:
    return Problem(code, field, MESSAGES[code], params)


def fail(code: str, field: str, **params: Any) -> ValidationFailed:
    return ValidationFailed([problem(code, field, **params)])


# ---------------------------------------------------------------------------
# The recorded answers


@dataclass
class SurveyData:
    """A survey's values as the services take them (codes, booleans, None for blank)."""

    year: int
    reached: bool
    not_reached_reason: str = ""
    employment_status: str = ""
    employment_form: str = ""
    vocational_training: bool | None = None
    household_income: int | None = None
    pension_insurance: str = ""
    medical_insurance: str = ""
    schooling: str = ""
    rehabilitation_need: str = ""
    rehabilitation_received: bool | None = None
    device_need: str = ""
    device_fitted: bool | None = None
    care_need: str = ""
    care_received: bool | None = None
    accessibility_need: bool | None = None
    accessibility_done: bool | None = None
    support: str = ""
    main_difficulty: str = ""
    surveyor: str = ""
    survey_date: dt.date | None = None

    def answers(self) -> dict[str, Any]:
        """Every field but the year, as the model's fields."""
        return {name: getattr(self, name) for name in _ANSWER_NAMES}

    @classmethod
    def of(cls, values: dict[str, Any]) -> SurveyData:
        """From values by field name (blank codes as "" whatever was given)."""
        given = {k: ("" if v is None and k in words.CODED or k == "surveyor" and v is None
                     else v) for k, v in values.items() if k in _FIELD_NAMES}
        return cls(**given)


#: SurveyData's fields, and those of its answers (all but the year), looked up once.
_FIELD_NAMES = frozenset(f.name for f in fields(SurveyData))
_ANSWER_NAMES = tuple(f.name for f in fields(SurveyData) if f.name != "year")


#: The answers a survey of a person not reached leaves blank (all but the reason,
#: the surveyor and the date).
CONTENT = ("employment_status", "employment_form", "vocational_training", "household_income",
           "pension_insurance", "medical_insurance", "schooling", "rehabilitation_need",
           "rehabilitation_received", "device_need", "device_fitted", "care_need",
           "care_received", "accessibility_need", "accessibility_done", "support",
           "main_difficulty")


def _given(value: Any) -> bool:
    return value is not None and value != ""


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check(data: SurveyData, *, birth_date: dt.date, certified: bool,
          today: dt.date) -> None:
    """Refuse a survey that breaks a rule, listing every problem (``ValidationFailed``).

    - the year has begun (and is not before ``FIRST_YEAR``); the survey date, if
      given, lies in it;
    - the person held a certificate in that year (``certified``: ``certified_q``);
    - reached, or not reached with a reason — and then no answers beyond the reason;
    - an employment form only for the employed, and for them always;
    - schooling only for persons aged 3–17, and for them always (when reached).
    """
    problems: list[Problem] = []
    from yangguang.survey.models import AnnualSurvey  # (the models' labels: translated)

    def label(key: str) -> Any:
        return AnnualSurvey._meta.get_field(key).verbose_name

    if data.year < FIRST_YEAR:
        problems.append(problem("year_invalid", "year", value=data.year, first=FIRST_YEAR))
    elif data.year > today.year:
        problems.append(problem("year_not_begun", "year", value=data.year))
    elif not certified:
        problems.append(problem("not_certified", "year", year=data.year))
    if data.survey_date is not None and data.survey_date.year != data.year:
        problems.append(problem("date_outside_year", "survey_date",
                                value=data.survey_date.isoformat(), year=data.year))
    if not data.reached:
        if not data.not_reached_reason:
            problems.append(problem("reason_required", "not_reached_reason"))
        for key in CONTENT:
            if _given(getattr(data, key)):
                problems.append(problem("answer_when_not_reached", key, label=label(key)))
        if problems:
            raise ValidationFailed(problems)
        return
    if data.not_reached_reason:
        problems.append(problem("reason_when_reached", "not_reached_reason"))
    employed = data.employment_status == "employed"
    if employed and not data.employment_form:
        problems.append(problem("form_required", "employment_form"))
    elif data.employment_form and not employed:
        problems.append(problem("form_without_employment", "employment_form"))
    day = data.survey_date or dt.date(data.year, 12, 31)
    age = age_on(birth_date, day)
    school_age = SCHOOL_AGES[0] <= age <= SCHOOL_AGES[1]
    if data.schooling and not school_age:
        problems.append(problem("schooling_age", "schooling", age=age))
    elif school_age and not data.schooling:
        problems.append(problem("schooling_required", "schooling", age=age))
    if problems:
        raise ValidationFailed(problems)


# ---------------------------------------------------------------------------
# Who is certified in a year


def certified_q(year: int) -> Q:
    """Persons certified in ``year`` (a filter of ``Person``): ``registry.rules.certified_q``
    from 1 January to 31 December — alive on 1 January (or dying in the year), holding a
    certificate issued by 31 December, valid until 1 January or later, not cancelled
    before 1 January."""
    return registry_rules.certified_q(dt.date(year, 1, 1), dt.date(year, 12, 31))


# ---------------------------------------------------------------------------
# Cells and API values


def _names(key: str) -> dict[str, str]:
    return words.CODED[key]


_CODE_WORDS: dict[str, dict[str, str]] = {}
for _key, _vocabulary in words.CODED.items():
    _table = {code: code for code in _vocabulary}
    _table.update({name: code for code, name in _vocabulary.items()})
    # Full-width brackets folded as the cells are (NFKC).
    _table.update({v.clean_text(name): code for code, name in _vocabulary.items()})
    _CODE_WORDS[_key] = _table


def parse_code(key: str, cell: Any) -> str:
    """A coded column's code from its code or its Chinese name ("" for blank)."""
    text = v.clean_text(cell)
    if not text:
        return ""
    code = _CODE_WORDS[key].get(text)
    if code is None:
        raise fail("code_unknown", key, label=words.KEY_TO_HEADER[key], value=text,
                   choices="、".join(_names(key).values()))
    return code


def parse_flag(key: str, cell: Any) -> bool | None:
    if isinstance(cell, bool):
        return cell
    text = v.clean_text(cell)
    if not text:
        return None
    if text in words.YES_WORDS:
        return True
    if text in words.NO_WORDS:
        return False
    raise fail("flag_unknown", key, label=words.KEY_TO_HEADER[key], value=text)


def parse_year(cell: Any) -> int:
    text = v.clean_text(cell).removesuffix("年").removesuffix(".0")
    if not (len(text) == 4 and text.isdigit()) or int(text) < FIRST_YEAR:
        raise fail("year_invalid", "year", value=text, first=FIRST_YEAR)
    return int(text)


def parse_income(cell: Any) -> int | None:
    if isinstance(cell, float):
        number, text = cell, v.clean_text(cell)
    else:
        text = v.clean_text(cell).replace(",", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise fail("income_invalid", "household_income", value=text) from None
    # 'inf', 'nan' and '1e400' are floats but no amount (round() would raise).
    if not math.isfinite(number) or number < 0 or round(number) > 10_000_000:
        raise fail("income_invalid", "household_income", value=text)
    return round(number)


def parse_surveyor(cell: Any) -> str:
    text = v.clean_text(cell)
    if len(text) > SURVEYOR_MAX:
        raise fail("too_long", "surveyor", label=words.KEY_TO_HEADER["surveyor"],
                   max=SURVEYOR_MAX)
    return text


def parse_survey_date(cell: Any, *, today: dt.date | None = None) -> dt.date | None:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    return v.parse_date(cell, field="survey_date", label=_("调查日期"), today=today)
