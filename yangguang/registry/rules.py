"""The registry's rules on what a person's record may hold, in one place for every path.

The web form, the API, the spreadsheet import and the demo loader all check a person
through ``parse_row`` (the whole-row rule, built from the field rules of
``validation``); the columnar fast path of the import (``columnar``) takes its patterns
from the same field rules and hands every row it does not plainly accept to
``parse_row``, so each problem has one message whatever the path.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.core.errors import Problem, ValidationFailed
from yangguang.imports.reading import UNCOMPUTED_FORMULA
from yangguang.imports.running import MESSAGES as IMPORT_MESSAGES
from yangguang.registry import validation as v
from yangguang.registry.services import CertificateData, PersonData

#: What each column (and the form field of the same name) takes, shown beside it.
HELP = {
    "name": _("与身份证一致"),
    "id_number": _("18位，末位可为X；15位旧号码自动升级。请将本列设为文本格式"),
    "certificate_number": _("20位：18位身份号码+类别代码+等级代码；补发证可加B1、B2"),
    "category": _("1视力 2听力 3言语 4肢体 5智力 6精神 7多重，填代码或名称"),
    "level": _("1–4或一级至四级，一级最重"),
    "hukou_region": _("6位县级代码或12位统计用区划代码"),
    "issue_date": _("如2021-03-05、2021/3/5或20210305"),
    "sex": _("男或女；不填则取自身份号码，填写时须与号码一致"),
    "birth_date": _("不填则取自身份号码，填写时须与号码一致"),
    "ethnicity": _("民族名称（如汉族、回族）或两位代码"),
    "residence_region": _("与户籍地不同时填写"),
    "phone": _("11位手机号码或带区号的固定电话"),
    "household_number": _("同一家庭的成员填写相同编号"),
    "relation_to_head": _("户主、配偶、子女、父母、兄弟姐妹等"),
    "components": _("仅多重残疾填写，如“视力二级；肢体三级”，等级须为其中最重者"),
}

MESSAGES = {
    "id_as_number": _(
        "公民身份号码被表格软件存成了数字，末几位可能已丢失：请把该列设为文本格式后重新填写"
    ),
    "formula_without_value": _(
        "该单元格是公式，但文件中没有保存计算结果：请在 Excel 或 WPS 中打开并保存后再导入，或把公式粘贴为数值"
    ),
    "region_out_of_scope": IMPORT_MESSAGES["region_out_of_scope"],
}


def _problem(code: str, field_: str, **params: Any) -> Problem:
    return Problem(code=code, field=field_, template=MESSAGES[code], params=params)


_HUKOU = v.HUKOU_LABEL
_RESIDENCE = v.RESIDENCE_LABEL
_ISSUE_DATE = v.ISSUE_DATE_LABEL


def parse_row(cells: dict[str, Any], *, today: dt.date | None = None,
              certificate: bool = True) -> PersonData:
    """Check one row (cells by column key) and return the person it describes.

    With ``certificate`` False the certificate columns are not read and the result
    carries no certificate (a form that changes only a person's details).
    Raises ``ValidationFailed`` listing every problem found in the row.
    """
    today = today or timezone.localdate()
    try:
        return _parse_row(cells, today, None, certificate)
    except ValidationFailed:
        # Check the row again, this time going on after each problem to list them all.
        problems: list[Problem] = []
        _parse_row(cells, today, problems, certificate)
        raise ValidationFailed(problems) from None


def _parse_row(cells: dict[str, Any], today: dt.date, problems: list[Problem] | None,
               with_certificate: bool = True) -> PersonData:
    """With ``problems`` None, stop at the first problem (the fast path for good rows);
    otherwise collect every problem into it and raise at the end."""

    def collecting(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
            return None

    # On the fast path a rule's problem propagates: call it without a frame of ours.
    attempt = operator.call if problems is None else collecting

    def add(p: Problem) -> None:
        if problems is None:
            raise ValidationFailed([p])
        problems.append(p)

    uncomputed = [key for key, value in cells.items() if value is UNCOMPUTED_FORMULA]
    for key in uncomputed:
        add(_problem("formula_without_value", key))
    raw_id = cells.get("id_number")
    if isinstance(raw_id, float) and raw_id > 1e14:
        add(_problem("id_as_number", "id_number"))
        id_number = None
    else:
        id_number = attempt(v.parse_id_number, raw_id, today=today)
    name = attempt(v.parse_name, cells.get("name"))
    category = level = issue_date = None
    if with_certificate:
        category = attempt(v.parse_category, cells.get("category"))
        level = attempt(v.parse_level, cells.get("level"))
    hukou = attempt(v.parse_region_code, cells.get("hukou_region"), field="hukou_region",
                    label=_HUKOU)
    residence = attempt(v.parse_region_code, cells.get("residence_region"),
                        field="residence_region", label=_RESIDENCE, required=False)
    if with_certificate:
        issue_date = attempt(v.parse_date, cells.get("issue_date"), field="issue_date",
                             label=_ISSUE_DATE, today=today)
    ethnicity = attempt(v.parse_ethnicity, cells.get("ethnicity"))
    phone = attempt(v.parse_phone, cells.get("phone"))
    household_number = attempt(v.parse_household_number, cells.get("household_number"))
    relation = attempt(v.parse_relation, cells.get("relation_to_head"))
    if relation and household_number == "":
        add(v.problem("relation_without_household", "relation_to_head"))
    components = None
    if category is not None and level is not None:
        components = attempt(v.parse_components, cells.get("components"), category, level)
    sex = birth_date = certificate_number = None
    if id_number is not None:
        sex = attempt(v.check_sex, cells.get("sex"), id_number)
        birth_date = attempt(v.check_birth_date, cells.get("birth_date"), id_number)
        if issue_date is not None and issue_date < id_number.birth_date:
            add(v.problem("date_before_birth", "issue_date", label=_ISSUE_DATE,
                          value=issue_date.isoformat(), birth=id_number.birth_date.isoformat()))
        if category is not None and level is not None:
            certificate_number = attempt(v.parse_certificate_number,
                                         cells.get("certificate_number"), id_number, category,
                                         level)
    if problems:
        # A formula without a value explains every other problem of its cell.
        raise ValidationFailed([p for p in problems if p.field not in uncomputed
                                or p.code == "formula_without_value"])
    return PersonData(
        id_number=id_number, name=name, sex=sex, birth_date=birth_date, hukou_region=hukou,
        ethnicity=ethnicity, residence_region=residence, phone=phone,
        household_number=household_number,
        relation_to_head=relation if household_number else "",
        provided=frozenset(name for name, value in (
            ("name", name), ("hukou_region_id", hukou), ("ethnicity", ethnicity),
            ("residence_region_id", residence), ("phone", phone),
            ("household_number", household_number), ("relation_to_head", relation),
        ) if value),
        certificate=CertificateData(category=category, level=level, issue_date=issue_date,
                                    reissue_count=certificate_number.reissue_count,
                                    components=components) if with_certificate else None,
    )
