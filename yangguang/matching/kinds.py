"""The department list kinds: each one's columns (Chinese headers, as the
department's file has them), its default department, and what a confirmed match
does (``effects``).

Every kind shares the identifying columns (姓名, 公民身份号码 or 身份号码摘要, 性别,
出生日期, 户籍地区划代码) and adds its own. Lists come in through the shared import
framework (``yangguang template|import KIND``; ``yangguang matching run`` imports and
matches in one go): the plain row path parses and checks each row, ``write`` keeps it
as a ``ListRow`` of the list (``DepartmentList``: department, date, file hash, row
count). A raw identity number is never kept: a valid one becomes the platform's keyed
hash; a missing or invalid one leaves the row to the probabilistic pass. A file with
any rejected row is refused whole, and the same file again is the same list.

The schemas are documented in ``docs/matching.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.core.crypto import hash_id
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.imports import spec
from yangguang.imports.reading import Table
from yangguang.imports.running import Context, ImportResult, plain_import
from yangguang.matching.models import DepartmentList, IdState, ListRow
from yangguang.registry import validation as v

MESSAGES = {
    "hash_format": _("身份号码摘要“{value}”格式不正确：应为64位十六进制字符（yangguang matching hash-list 生成）"),
    "region_format": _("区划代码“{value}”格式不正确：应为6、9或12位数字"),
    "id_and_hash": _("公民身份号码和身份号码摘要只能填一个"),
    "end_before_start": _("结束日期{end}早于开始日期{start}"),
    "row_duplicate_in_file": _("与第{row}行重复"),
    "mixed_hashed": _("同一名单中既有公民身份号码又有身份号码摘要：请整份名单用 yangguang matching hash-list 处理"),
}

HASH_HEADER = "身份号码摘要"
ID_HEADER = "公民身份号码"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _problem(code: str, field_: str, **params: Any) -> Problem:
    return Problem(code, field_, MESSAGES[code], params)


class _InvalidId:
    """An identity number that does not pass the check: the row goes to the
    probabilistic pass instead of being rejected (departments' data has such)."""


INVALID_ID = _InvalidId()


def _id_number(cell: Any) -> v.IdNumber | _InvalidId:
    try:
        return v.parse_id_number(cell, field="id_number")
    except ValidationFailed:
        return INVALID_ID


def _id_hash(cell: Any) -> str:
    text = v.clean_text(cell).lower()
    if not _HEX64.match(text):
        raise ValidationFailed([_problem("hash_format", "id_hash", value=text[:80])])
    return text


def _region(cell: Any, field_: str = "region_code") -> str:
    text = v.clean_text(cell)
    if not (text.isdigit() and len(text) in (6, 9, 12)):
        raise ValidationFailed([_problem("region_format", field_, value=text[:40])])
    return text


def _date(key: str, label: Any, *, allow_future: bool = False) -> Any:
    return lambda cell: v.parse_date(cell, field=key, label=label, allow_future=allow_future)


def date_column(key: str, header: str, required: bool, help_text: Any = "",
                *, allow_future: bool = False) -> spec.Column:
    return spec.Column(key, header, required, help_text or _("如2021-03-05、2021/3/5或20210305"),
                       parse=_date(key, header, allow_future=allow_future), date=True, width=12)


def text_column(key: str, header: str, required: bool = False, help_text: Any = "",
                choices: tuple[str, ...] = (), width: int = 16) -> spec.Column:
    def parse(cell: Any) -> str:
        text = v.clean_text(cell)
        if len(text) > 100:
            raise v.fail("too_long", key, label=header, max=100)
        if choices and text not in choices:
            raise ValidationFailed([Problem("choice_invalid", key, CHOICE_INVALID,
                                            {"label": header, "value": text,
                                             "choices": "、".join(choices)})])
        return text
    return spec.Column(key, header, required, help_text, parse=parse, choices=choices, width=width)


CHOICE_INVALID = _("{label}“{value}”无法识别：应为{choices}之一")

IDENTITY_COLUMNS: tuple[spec.Column, ...] = (
    spec.Column("name", "姓名", True, _("与户籍登记一致"),
                parse=lambda cell: v.parse_name(cell), width=10),
    spec.Column("id_number", ID_HEADER, False,
                _("18位或15位旧号码；未知或无效的不拒绝，按姓名、出生日期、性别和地区比对"),
                parse=_id_number, text=True, width=20),
    spec.Column("id_hash", HASH_HEADER, False,
                _("部门用 yangguang matching hash-list 生成的摘要；与公民身份号码只填一个"),
                parse=_id_hash, text=True, width=20),
    spec.Column("sex", "性别", False, _("男或女；有有效身份号码的可不填"),
                parse=lambda cell: v.given_sex(cell), choices=("男", "女"), width=6),
    spec.Column("birth_date", "出生日期", False, _("有有效身份号码的可不填"),
                parse=lambda cell: v.given_birth_date(cell), date=True, width=12),
    spec.Column("region_code", "户籍地区划代码", False, _("6位县级或12位统计用区划代码"),
                parse=_region, text=True, width=14),
)


@dataclass
class Entry:
    """A parsed list row: who (for matching) and what the department says (facts)."""

    id_state: str
    id_hash: str
    name: str
    sex: int | None
    birth_date: dt.date | None
    region_code: str
    facts: dict[str, Any] = field(default_factory=dict)


class ListKind(spec.ImportKind):
    """A department list: the identity columns, then the kind's own (``own``)."""

    capability = Capability.MATCH_LISTS
    audit_object = "department_list"
    #: The department that usually sends this list (the default of a list's department).
    department: ClassVar[str]
    own: ClassVar[tuple[spec.Column, ...]] = ()
    #: What a confirmed match does, for the template's notes and the pages.
    effect: ClassVar[Any] = ""

    @property
    def columns(self) -> tuple[spec.Column, ...]:  # type: ignore[override]
        return IDENTITY_COLUMNS + self.own

    @property
    def notes(self) -> tuple[Any, ...]:  # type: ignore[override]
        return (_("提供部门：{department}").format(department=self.department),
                _("确认匹配后：{effect}").format(effect=self.effect))

    def make(self, values: dict[str, Any], context: Context) -> Entry:
        number, digest = values["id_number"], values["id_hash"]
        if number is not None and digest is not None:
            raise ValidationFailed([_problem("id_and_hash", "id_hash")])
        sex, birth = values["sex"], values["birth_date"]
        if isinstance(number, v.IdNumber):
            state, key = IdState.VALID, hash_id(number.normalized)
            sex, birth = sex or number.sex, birth or number.birth_date
        elif digest is not None:
            state, key = IdState.HASHED, digest
        else:
            state, key = (IdState.MISSING if number is None else IdState.INVALID), ""
        facts = self.facts({k: values[c.key] for c in self.own for k in [c.key]})
        return Entry(state, key, values["name"], sex, birth, values["region_code"] or "", facts)

    def facts(self, own: dict[str, Any]) -> dict[str, Any]:
        """The kind's columns as stored (dates as ISO text); may raise for rules
        across them."""
        return {k: (val.isoformat() if isinstance(val, dt.date) else val)
                for k, val in own.items() if val not in (None, "")}

    def check(self, rows: list[spec.Row], context: Context) -> None:
        seen = context.seen.setdefault("entries", {})
        hashed = context.seen.setdefault("hashed", set())
        for row in rows:
            entry: Entry = row.data
            if entry.id_state in (IdState.VALID, IdState.HASHED):
                hashed.add(entry.id_state == IdState.HASHED)
                if len(hashed) > 1:
                    row.problems.append(_problem("mixed_hashed", "id_hash"))
            key = (entry.id_hash or (entry.name, entry.birth_date, entry.region_code),
                   tuple(sorted(entry.facts.items())))
            first = seen.setdefault(key, row.number)
            if first != row.number:
                row.problems.append(_problem("row_duplicate_in_file", "name", row=first))

    def write(self, row: spec.Row, context: Context) -> spec.Outcome:
        entry: Entry = row.data
        department_list = context.seen["list"]
        ListRow.objects.create(
            department_list=department_list, row=row.number, id_state=entry.id_state,
            id_hash=entry.id_hash, name=entry.name, sex=entry.sex, birth_date=entry.birth_date,
            region_code=entry.region_code, facts=entry.facts)
        if entry.id_state == IdState.HASHED and not department_list.hashed:
            department_list.hashed = True
            department_list.save(update_fields=["hashed"])
        return spec.Outcome.CREATED

    def import_table(self, table: Table, context: Context) -> ImportResult:
        """Keep the file as a list (the same file again: the list already kept, every
        row unchanged); a file with a rejected row is refused whole."""
        meta = context.seen.get("meta", {})
        existing = DepartmentList.objects.filter(kind=self.name, sha256=table.sha256).first()
        result = context.result
        if existing is not None:
            context.seen["list"] = existing
            result.rows = result.unchanged = existing.row_count
            return result
        with transaction.atomic():
            context.seen["list"] = DepartmentList.objects.create(
                kind=self.name, department=meta.get("department") or self.department,
                list_date=meta.get("list_date") or context.today,
                file_name=meta.get("file_name") or context.source.split(" sha256:")[0],
                sha256=table.sha256, uploaded_by=context.actor.name)
            plain_import(self, table, context)
            if result.rejected or context.dry_run:
                transaction.set_rollback(True)
                context.seen["list"] = None
                result.created = 0
            else:
                stored = context.seen["list"]
                stored.row_count = result.created
                stored.save(update_fields=["row_count"])
        return result


def _end_after_start(facts: dict[str, Any]) -> dict[str, Any]:
    start, end = facts.get("start_date"), facts.get("end_date")
    if start and end and end < start:
        raise ValidationFailed([_problem("end_before_start", "end_date", start=start, end=end)])
    return facts


class DeathsKind(ListKind):
    name = "deaths"
    label = _("死亡人员名单")
    sheet = "死亡人员名单"
    department = "民政部门（殡葬）、公安部门（户籍注销）、卫生健康部门（死亡医学证明）"
    effect = _("登记死亡，注销残疾人证，次月起停发补贴")
    own = (date_column("death_date", "死亡日期", True),)


class StatusRollKind(ListKind):
    """A roll of households' economic status (低保, 低保边缘, 特困, 防止返贫监测户):
    a confirmed match records the period on the person's household."""

    status: ClassVar[str]
    own = (date_column("start_date", "开始日期", True, _("纳入日期")),
           date_column("end_date", "结束日期", False, _("仍在享受的不填"), allow_future=True))

    def facts(self, own: dict[str, Any]) -> dict[str, Any]:
        return _end_after_start(super().facts(own))


class DibaoKind(StatusRollKind):
    name = "dibao"
    label = _("低保名单")
    sheet = "低保名单"
    status = "dibao"
    department = "民政部门"
    effect = _("在其家庭记录低保期间（开始、结束日期）")


class NearDibaoKind(StatusRollKind):
    name = "near-dibao"
    label = _("低保边缘名单")
    sheet = "低保边缘名单"
    status = "near_dibao"
    department = "民政部门"
    effect = _("在其家庭记录低保边缘期间（开始、结束日期）")


class TekunKind(StatusRollKind):
    name = "tekun"
    label = _("特困人员名单")
    sheet = "特困人员名单"
    status = "tekun"
    department = "民政部门"
    effect = _("在其家庭记录特困期间（开始、结束日期）")


class MonitoredKind(StatusRollKind):
    name = "monitored-households"
    label = _("防止返贫监测对象名单")
    sheet = "防止返贫监测对象名单"
    status = "monitored"
    department = "乡村振兴部门（农业农村部门）"
    effect = _("在其家庭记录防止返贫监测期间（开始、结束日期）")


class ExclusionKind(ListKind):
    """A benefit that excludes a subsidy (工伤保险护理费 excludes the care allowance;
    孤儿基本生活费 the living allowance): a confirmed match is handed to benefits."""

    own = (date_column("start_date", "开始日期", True, _("开始领取日期")),
           date_column("end_date", "结束日期", False, _("仍在领取的不填"), allow_future=True),
           text_column("amount", "月发放金额", False, _("元，可不填"), width=10))

    def facts(self, own: dict[str, Any]) -> dict[str, Any]:
        return _end_after_start(super().facts(own))


class WorkInjuryCareKind(ExclusionKind):
    name = "work-injury-care"
    label = _("工伤保险生活护理费领取名单")
    sheet = "工伤护理费名单"
    department = "人力资源社会保障部门"
    effect = _("记为补贴模块的他人补贴情况（工伤保险生活护理费），不再重复享受重度残疾人护理补贴")


class OrphanSupportKind(ExclusionKind):
    name = "orphan-support"
    label = _("孤儿基本生活费领取名单")
    sheet = "孤儿基本生活费名单"
    department = "民政部门"
    effect = _("记为补贴模块的他人补贴情况（孤儿基本生活保障），不再重复享受困难残疾人生活补贴")


class PensionInsuranceKind(ListKind):
    name = "pension-insurance"
    label = _("城乡居民基本养老保险参保名单")
    sheet = "养老保险参保名单"
    department = "人力资源社会保障部门"
    effect = _("有参保日期的记为补贴模块的参保情况（城乡居民基本养老保险），供补贴审核和参保率指标使用")
    own = (text_column("insurance_state", "参保状态", True, _("参保缴费或领取待遇"),
                       choices=("参保缴费", "领取待遇")),
           date_column("enrolled_on", "参保日期", False))


class MedicalInsuranceKind(ListKind):
    name = "medical-insurance"
    label = _("基本医疗保险参保名单")
    sheet = "医疗保险参保名单"
    department = "医疗保障部门"
    effect = _("记为参保，供参保率指标使用")
    own = (text_column("insurance_type", "险种", True, _("城乡居民或职工"),
                       choices=("城乡居民", "职工")),
           date_column("enrolled_on", "参保日期", False))


class SchoolEnrolmentKind(ListKind):
    name = "school-enrolment"
    label = _("学生学籍名单")
    sheet = "学籍名单"
    department = "教育部门"
    effect = _("记为在学（含送教上门），供义务教育入学率指标使用")
    own = (text_column("school", "学校名称", True, width=24),
           text_column("stage", "学段", True, _("学前、小学、初中、高中、中职、高等教育"),
                       choices=("学前", "小学", "初中", "高中", "中职", "高等教育")),
           text_column("delivery", "就读方式", False, _("随班就读、特教学校或送教上门"),
                       choices=("随班就读", "特教学校", "送教上门")),
           date_column("enrolled_on", "入学日期", False))


class HukouMovesKind(ListKind):
    name = "hukou-moves"
    label = _("户口迁移名单")
    sheet = "户口迁移名单"
    department = "公安部门"
    effect = _("列入差异报告（户籍地与登记不一致）；迁出本省的，由证件管理员冻结其残疾人证")
    own = (spec.Column("moved_to", "迁入地区划代码", True, _("6位县级或12位统计用区划代码"),
                       parse=lambda cell: _region(cell, field_="moved_to"), text=True, width=14),
           date_column("moved_on", "迁移日期", True))


KINDS: tuple[ListKind, ...] = (
    DeathsKind(), DibaoKind(), NearDibaoKind(), TekunKind(), MonitoredKind(),
    WorkInjuryCareKind(), OrphanSupportKind(), PensionInsuranceKind(), MedicalInsuranceKind(),
    SchoolEnrolmentKind(), HukouMovesKind(),
)


BY_NAME = {kind.name: kind for kind in KINDS}


def get(name: str) -> ListKind:
    """The list kind called ``name``; ``KeyError`` for another."""
    return BY_NAME[name]
