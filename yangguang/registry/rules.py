"""The registry's rules on what a person's record may hold, in one place for every path.

The web form, the API, the spreadsheet import and the demo loader all check a person
through ``parse_row`` (the whole-row rule, built from the field rules of
``validation``); the columnar fast path of the import (``columnar``) takes its patterns
from the same field rules and hands every row it does not plainly accept to
``parse_row``, so each problem has one message whatever the path.
"""

from __future__ import annotations

import calendar
import datetime as dt
import operator
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yangguang.core import text
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.imports.reading import UNCOMPUTED_FORMULA
from yangguang.imports.running import MESSAGES as IMPORT_MESSAGES
from yangguang.registry import validation as v
from yangguang.registry.models import Certificate, CertificateStatus, CertificateStatusChange, StatusReason
from yangguang.registry.validation import IdNumber

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


@dataclass
class CertificateData:
    category: int
    level: int
    issue_date: dt.date
    reissue_count: int = 0
    components: list[dict[str, int]] = field(default_factory=list)

    @property
    def valid_until(self) -> dt.date:
        return valid_until(self.issue_date)

    def suffix(self) -> str:
        return certificate_suffix(self.category, self.level, self.reissue_count)


@dataclass
class PersonData:
    """A checked person record, as every input path produces it."""

    id_number: IdNumber
    name: str
    sex: int
    birth_date: dt.date
    hukou_region: str
    ethnicity: str = ""
    residence_region: str | None = None
    phone: str = ""
    household_number: str = ""
    relation_to_head: str = ""
    guardian_name: str = ""
    guardian_phone: str = ""
    guardian_relation: str = ""
    certificate: CertificateData | None = None
    # The optional fields this record gives a value for; None: all of them (a form).
    # An import row's blank or missing cells leave stored values as they are.
    provided: frozenset[str] | None = None

    # Fields compared to decide whether a stored person changed.
    COMPARED = ("name", "ethnicity", "hukou_region_id", "residence_region_id", "phone",
                "relation_to_head", "guardian_name", "guardian_phone", "guardian_relation")

    def gives(self, name: str) -> bool:
        """Whether this record sets ``name`` (a ``person_values`` key or ``household_number``)."""
        return self.provided is None or name in self.provided

    def person_values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ethnicity": self.ethnicity,
            "hukou_region_id": self.hukou_region,
            "residence_region_id": self.residence_region,
            "phone": self.phone,
            "relation_to_head": self.relation_to_head,
            "guardian_name": self.guardian_name,
            "guardian_phone": self.guardian_phone,
            "guardian_relation": self.guardian_relation,
        }



# ---------------------------------------------------------------------------
# Certificates: the number's suffix, validity, status, and what a new certificate
# for a person does to the ones they hold (the services and the import both ask here).

CERTIFICATE_POLICY_PATH = Path(__file__).with_name("data") / "certificates.toml"


@dataclass(frozen=True)
class CertificatePolicy:
    """The periods of ``data/certificates.toml``."""

    validity_years: int
    #: A holder's hukou moved away without a transfer: months from the move to the
    #: certificate's freeze and to its cancellation.
    moved_away_freeze_months: int
    moved_away_cancel_months: int
    #: Days before such a cancellation from which it is "nearing" (worklist, home page).
    nearing_cancellation_days: int


def parse_certificate_policy(text_: str, name: str = "certificates.toml") -> CertificatePolicy:
    """Read and check the policy file: every period a whole number ≥ 1, the freeze
    before the cancellation (``ValueError`` naming the file and key otherwise)."""
    data = tomllib.loads(text_)

    def whole(table: dict[str, Any], key: str, where: str) -> int:
        value = table.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}: {where}{key} must be a whole number ≥ 1, not {value!r}")
        return value

    moved = data.get("moved_away", {})
    policy = CertificatePolicy(
        validity_years=whole(data, "validity_years", ""),
        moved_away_freeze_months=whole(moved, "freeze_after_months", "[moved_away] "),
        moved_away_cancel_months=whole(moved, "cancel_after_months", "[moved_away] "),
        nearing_cancellation_days=whole(moved, "nearing_cancellation_days", "[moved_away] "),
    )
    if policy.moved_away_freeze_months >= policy.moved_away_cancel_months:
        raise ValueError(f"{name}: [moved_away] freeze_after_months must be less than "
                         "cancel_after_months")
    return policy


@cache
def certificate_policy() -> CertificatePolicy:
    """The certificate periods in force (read once)."""
    return parse_certificate_policy(CERTIFICATE_POLICY_PATH.read_text(encoding="utf-8"))


CERTIFICATE_VALIDITY_YEARS = certificate_policy().validity_years


def certificate_suffix(category: int, level: int, reissue_count: int) -> str:
    """What follows the ID number in a certificate number: category, level, and
    ``B1``, ``B2`` … for a reissued certificate."""
    return f"{category}{level}" + (f"B{reissue_count}" if reissue_count else "")


def valid_until(issue_date: dt.date) -> dt.date:
    """The last day a certificate issued on ``issue_date`` is valid."""
    return v.add_years(issue_date, CERTIFICATE_VALIDITY_YEARS)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the month's last day when it has no such day
    (31 August + 6 months = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class MovedAwayStep:
    """What the daily job does to the certificate of a holder whose hukou moved away
    without a transfer: ``status`` (frozen or cancelled) from ``day``."""

    status: str
    day: dt.date


def moved_away_dates(moved_on: dt.date) -> tuple[dt.date, dt.date]:
    """The days a certificate is frozen and cancelled when its holder's hukou moved
    away on ``moved_on`` without a transfer."""
    policy = certificate_policy()
    return (add_months(moved_on, policy.moved_away_freeze_months),
            add_months(moved_on, policy.moved_away_cancel_months))


def latest_move_cancelled_by(day: dt.date) -> dt.date:
    """The last move day whose cancellation (``moved_away_dates``) falls on or before
    ``day``: for reads that select by the stored move day."""
    months = certificate_policy().moved_away_cancel_months
    back = add_months(day, -months)
    if day.day == calendar.monthrange(day.year, day.month)[1]:  # month ends fold together
        back = back.replace(day=calendar.monthrange(back.year, back.month)[1])
    return back


def moved_away_step(moved_on: dt.date, status: str, *, frozen_for_move: bool,
                    as_of: dt.date) -> MovedAwayStep | None:
    """What happens on ``as_of`` to an open certificate (``status``) whose holder's
    hukou moved away on ``moved_on`` without a transfer: cancelled once the
    cancellation day has come (whatever its status: valid, frozen or expired); frozen
    once the freeze day has come, if valid and not frozen for this move before (a
    freeze that staff lifted stays lifted until the cancellation); None otherwise.
    The effective days are the computed ones, however late the job runs."""
    freeze_on, cancel_on = moved_away_dates(moved_on)
    if status == CertificateStatus.CANCELLED:
        return None
    if as_of >= cancel_on:
        return MovedAwayStep(CertificateStatus.CANCELLED, cancel_on)
    if as_of >= freeze_on and status == CertificateStatus.VALID and not frozen_for_move:
        return MovedAwayStep(CertificateStatus.FROZEN, freeze_on)
    return None


def status_on(until: dt.date, today: dt.date) -> str:
    """The status from the dates of a certificate valid until ``until``: valid through
    that day, expired after it. (``expire_certificates`` applies it every day.)"""
    return CertificateStatus.VALID if until >= today else CertificateStatus.EXPIRED


#: What the services and the import read of a stored certificate.
STORED_CERTIFICATE_FIELDS = ("id", "category", "level", "reissue_count", "components",
                             "issue_date", "valid_until", "status")


@dataclass(frozen=True)
class CertificateDecision:
    """What a certificate given for a person does to the ones they hold.

    ``action``: "new" (a first certificate, or one with another number, which replaces
    the open one: ``cancel_reason`` says why) or "renew" (the open certificate's number,
    with a later issue date — 换领 — or corrected components on the same date).
    """

    action: str
    current: dict[str, Any] | None  # the open certificate, as STORED_CERTIFICATE_FIELDS
    status: str  # of the new or renewed certificate, from its dates
    cancel_reason: str | None = None
    renewed: bool = False  # a renewal with a later issue date (its own history row)

    def event(self, data: CertificateData) -> dict[str, Any]:
        """The ``certificate`` part of the person's audit event."""
        event: dict[str, Any] = {"action": self.action, "suffix": data.suffix(),
                                 "issue_date": str(data.issue_date)}
        if self.cancel_reason is not None:
            event["cancelled"] = self.current["id"]
            event["reason"] = self.cancel_reason
        return event


def decide_certificate(data: CertificateData, stored: list[dict[str, Any]], *,
                       today: dt.date) -> CertificateDecision | None:
    """What issuing ``data`` to a person holding ``stored`` certificates does: None
    when it changes nothing (the open certificate as it is). Raises
    ``ValidationFailed`` when it conflicts with them: a number already cancelled
    (``cert_cancelled``), an issue date before the open certificate's (``cert_stale``).
    """
    current = next((c for c in stored if c["status"] != CertificateStatus.CANCELLED), None)
    key = (data.category, data.level, data.reissue_count)
    same_number = next((c for c in stored
                        if (c["category"], c["level"], c["reissue_count"]) == key), None)
    status = status_on(data.valid_until, today)
    if same_number is not None and same_number is not current:
        raise ValidationFailed([db_problem("cert_cancelled", "certificate_number")])
    if current is not None and data.issue_date < current["issue_date"]:
        raise ValidationFailed([db_problem("cert_stale", "issue_date",
                                           value=current["issue_date"].isoformat())])
    if same_number is not None:
        if data.issue_date > current["issue_date"]:
            return CertificateDecision("renew", current, status, renewed=True)
        if data.components != current["components"]:
            return CertificateDecision("renew", current, status)
        return None
    if current is None:
        return CertificateDecision("new", None, status)
    same_kind = (current["category"], current["level"]) == (data.category, data.level)
    return CertificateDecision("new", current, status, cancel_reason=(
        StatusReason.REISSUED if same_kind else StatusReason.REASSESSED))


def decide_person_write(changed: bool, certificate: CertificateData | None,
                        stored: list[dict[str, Any]], *, deceased_date: dt.date | None,
                        today: dt.date) -> CertificateDecision | None:
    """What a write to a stored person does to their certificates (``decide_certificate``),
    checked against a death: a deceased person's record refuses any change
    (``person_deceased``, which then explains every other problem)."""
    try:
        decision = (decide_certificate(certificate, stored, today=today)
                    if certificate is not None else None)
    except ValidationFailed:
        refuse_if_deceased(deceased_date)
        raise
    if changed or decision is not None:
        refuse_if_deceased(deceased_date)
    return decision


def person_event(changes: dict[str, list[Any]], decision: CertificateDecision | None,
                 certificate: CertificateData | None) -> dict[str, Any]:
    """The audit data of a write to a person, whichever path made it: the changed
    fields (old and new values) and what the certificate did."""
    data: dict[str, Any] = {}
    if changes:
        data["changes"] = {k: [x if x is None or isinstance(x, int | str) else str(x)
                               for x in pair] for k, pair in changes.items()}
    if decision is not None:
        data["certificate"] = decision.event(certificate)
    return data


# ---------------------------------------------------------------------------
# Reassessment: a change of category or level rests on an assessment

INSTITUTION_MAX = 100


@dataclass(frozen=True)
class Reassessment:
    """A new assessment and the day the certificate it gives takes effect."""

    institution: str
    assessed_on: dt.date
    category: int
    level: int
    components: list[dict[str, int]]
    effective_date: dt.date


def parse_reassessment(values: dict[str, Any], *, today: dt.date | None = None) -> Reassessment:
    """Check a reassessment (the form's and the API's fields); ``ValidationFailed``
    lists every problem."""
    problems: list[Problem] = []

    def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
            return None

    label = _("评定机构")
    institution = " ".join(v.clean_text(values.get("institution")).split())
    if not institution:
        problems.append(v.problem("required", "institution", label=label))
    elif len(institution) > INSTITUTION_MAX:
        problems.append(v.problem("too_long", "institution", label=label, max=INSTITUTION_MAX))
    else:
        attempt(text.check_text, institution, field="institution", label=label)
    assessed_on = attempt(v.parse_date, values.get("assessed_on"), field="assessed_on",
                          label=_("评定日期"), today=today)
    category = attempt(v.parse_category, values.get("category"))
    level = attempt(v.parse_level, values.get("level"))
    effective = attempt(v.parse_date, values.get("effective_date"), field="effective_date",
                        label=_("生效日期"), today=today)
    components = None
    if category is not None and level is not None:
        components = attempt(v.parse_components, values.get("components") or "", category, level)
    if assessed_on is not None and effective is not None and effective < assessed_on:
        problems.append(Problem("effective_before_assessment", "effective_date",
                                DB_MESSAGES["effective_before_assessment"],
                                {"value": assessed_on.isoformat()}))
    if problems:
        raise ValidationFailed(problems)
    return Reassessment(institution, assessed_on, category, level, components, effective)


def fresh_certificate(category: int, level: int, components: list[dict[str, int]],
                      issue_date: dt.date, stored: list[dict[str, Any]]) -> CertificateData:
    """A certificate of ``category`` and ``level`` issued on ``issue_date`` to a person
    who held ``stored``: a number once held and cancelled is not given again (the next
    reissue count of that category and level)."""
    counts = [c["reissue_count"] for c in stored
              if (c["category"], c["level"]) == (category, level)]
    return CertificateData(category=category, level=level, issue_date=issue_date,
                           reissue_count=max(counts) + 1 if counts else 0,
                           components=components)


def reassessed_certificate(reassessment: Reassessment, stored: list[dict[str, Any]]
                           ) -> CertificateData:
    """The certificate a reassessment gives: its category and level, issued on its
    effective date (``fresh_certificate``)."""
    return fresh_certificate(reassessment.category, reassessment.level,
                             reassessment.components, reassessment.effective_date, stored)


def open_certificate(stored: list[dict[str, Any]]) -> dict[str, Any]:
    """The certificate of ``stored`` that is not cancelled; refused
    (``certificate_required``) when there is none."""
    current = next((c for c in stored if c["status"] != CertificateStatus.CANCELLED), None)
    if current is None:
        raise ValidationFailed([db_problem("certificate_required", "certificate")])
    return current


def renewed_certificate(stored: list[dict[str, Any]], issue_date: dt.date) -> CertificateData:
    """换领: the open certificate's number again, issued on ``issue_date`` (a new
    validity from the hukou county's issue date)."""
    current = open_certificate(stored)
    return CertificateData(category=current["category"], level=current["level"],
                           issue_date=issue_date, reissue_count=current["reissue_count"],
                           components=current["components"])


def reissued_certificate(stored: list[dict[str, Any]], issue_date: dt.date) -> CertificateData:
    """挂失补办: the open certificate's category and level with the next reissue suffix
    (``B1``, ``B2`` …), issued on ``issue_date``; the lost one is cancelled (reason
    ``reissued``, by ``decide_certificate``)."""
    current = open_certificate(stored)
    counts = [c["reissue_count"] for c in stored
              if (c["category"], c["level"]) == (current["category"], current["level"])]
    return CertificateData(category=current["category"], level=current["level"],
                           issue_date=issue_date, reissue_count=max(counts) + 1,
                           components=current["components"])


def decide_reassessment(reassessment: Reassessment, stored: list[dict[str, Any]], *,
                        today: dt.date) -> tuple[CertificateData, CertificateDecision]:
    """What a reassessment does: it needs an open certificate, and a change of category,
    level or components (``reassessment_unchanged`` otherwise)."""
    current = next((c for c in stored if c["status"] != CertificateStatus.CANCELLED), None)
    if current is None:
        raise ValidationFailed([db_problem("reassessment_without_certificate", "category")])
    if ((current["category"], current["level"], current["components"])
            == (reassessment.category, reassessment.level, reassessment.components)):
        raise ValidationFailed([db_problem("reassessment_unchanged", "category")])
    same_kind = (current["category"], current["level"]) == (reassessment.category,
                                                             reassessment.level)
    certificate = (CertificateData(category=current["category"], level=current["level"],
                                   issue_date=reassessment.effective_date,
                                   reissue_count=current["reissue_count"],
                                   components=reassessment.components)
                   if same_kind else reassessed_certificate(reassessment, stored))
    decision = decide_certificate(certificate, stored, today=today)
    return certificate, decision


# ---------------------------------------------------------------------------
# A hukou moved away without a transfer (户籍迁出未迁移)

MOVE_DAY_LABEL = _("户籍迁出日期")
MOVED_TO_LABEL = _("迁入地")


@dataclass(frozen=True)
class MoveAway:
    day: dt.date
    to_region: str | None  # the 12-digit code, when known


def parse_move_away(values: dict[str, Any], *, hukou_region: str, birth_date: dt.date,
                    today: dt.date | None = None) -> MoveAway:
    """Check a recorded move (the form's fields ``day`` and ``to_region``): a date
    neither in the future nor before birth, and a region outside the county of the
    hukou it leaves (``move_within_county``); ``ValidationFailed`` lists every problem."""
    problems: list[Problem] = []
    day = to_region = None
    try:
        day = v.parse_date(values.get("day"), field="day", label=MOVE_DAY_LABEL, today=today)
        if day < birth_date:
            problems.append(v.problem("date_before_birth", "day", label=MOVE_DAY_LABEL,
                                      value=day.isoformat(), birth=birth_date.isoformat()))
    except ValidationFailed as exc:
        problems.extend(exc.problems)
    try:
        to_region = v.parse_region_code(values.get("to_region"), field="to_region",
                                        label=MOVED_TO_LABEL, required=False)
        if to_region is not None and to_region[:6] == hukou_region[:6]:
            problems.append(db_problem("move_within_county", "to_region", value=to_region))
    except ValidationFailed as exc:
        problems.extend(exc.problems)
    if problems:
        raise ValidationFailed(problems)
    return MoveAway(day, to_region)


def refuse_if_deceased(deceased_date: dt.date | None) -> None:
    """A deceased person's record is closed: nothing of it changes any more."""
    if deceased_date is not None:
        raise ValidationFailed([db_problem("person_deceased", "id_number",
                                           value=deceased_date.isoformat())])


#: Messages of the problems found only against the database.
DB_MESSAGES = {
    "id_exists": _("该公民身份号码已登记"),
    "person_deceased": _("该人员已于{value}登记死亡，不能再修改证件信息"),
    "cert_stale": _("库中已有发证日期更晚（{value}）的残疾人证，本行数据较旧"),
    "cert_cancelled": _("该残疾人证号已注销，不能再次登记"),
    "status_transition": _("残疾人证当前状态为{value}，不能{action}"),
    "person_out_of_scope": _("该公民身份号码已由您负责地区以外的残联登记，请联系其户籍地残联办理"),
    "effective_before_assessment": _("生效日期不能早于评定日期{value}"),
    "reassessment_unchanged": _("评定的残疾类别、等级与现有残疾人证相同，无需变更"),
    "reassessment_without_certificate": _("该人员没有未注销的残疾人证，请登记新证"),
    "move_within_county": _("迁入地{value}与户籍地在同一县（市、区），不是户籍迁出"),
    "certificate_required": _("该人员没有未注销的残疾人证"),
    "certificate_unchanged": _("发证日期须晚于现证的发证日期{value}"),
}


def db_problem(code: str, field: str, **params: Any) -> Problem:
    return Problem(code=code, field=field, template=DB_MESSAGES[code], params=params)



# ---------------------------------------------------------------------------
# Where a user may write: the region scope every write path passes to the services

#: Region code prefixes a user may write in (``accounts.selectors.scope_prefixes`` of
#: ``edit_person``); None: everywhere (the command line, the demo loader).
Scope = tuple[str, ...] | None


def in_scope(region_code: str, scope: Scope) -> bool:
    return scope is None or region_code.startswith(scope)


def _out_of_scope(field_: str, label: Any, value: str) -> ValidationFailed:
    return ValidationFailed([_problem("region_out_of_scope", field_, label=label, value=value)])


def check_region_scope_of(region_code: str, scope: Scope) -> None:
    """Refuse (``region_out_of_scope``) a write to a person whose hukou lies outside."""
    if not in_scope(region_code, scope):
        raise _out_of_scope("hukou_region", v.HUKOU_LABEL, region_code)


def check_region_scope(data: PersonData, scope: Scope, *, stored_region: str | None = None
                       ) -> None:
    """Refuse a person whose hukou region (given, or stored before the change) lies
    outside ``scope``."""
    if stored_region is not None:
        check_region_scope_of(stored_region, scope)
    check_region_scope_of(data.hukou_region, scope)


def check_household_scope(number: str, region_code: str, scope: Scope) -> None:
    """Refuse joining a stored household whose region lies outside ``scope``: its data
    (members, economic status) belong to another region."""
    if not in_scope(region_code, scope):
        raise _out_of_scope("household_number", _("家庭编号"), number)


def registered_elsewhere_event(id_hash: str, **context: Any) -> dict[str, Any]:
    """The audit data of a write refused because the ID number is registered outside
    the writer's scope: recorded on the stored person, in their region, so it is a case
    for that region's federation; it names the number by its keyed hash only."""
    return {"check": "registered_elsewhere", "id_hash": id_hash, **context}


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


# ---------------------------------------------------------------------------
# A certificate held, and who is certified: one rule for a day (the indicator snapshot,
# benefits) and for a period (the survey's year), for one person (a filter) and for a
# whole set (the same rule as SQL, benefits' screening on the database or on DuckDB)


def certificate_held_q(start: dt.date, end: dt.date | None = None) -> Q:
    """Certificates held at some time from ``start`` to ``end`` (a filter of
    ``Certificate``; ``end`` omitted: the one day ``start``): issued by ``end`` (its
    issue or any status change dated by then: a renewal moves the issue date), valid
    until ``start`` or later, and not cancelled before ``start`` (a cancellation is
    final and takes effect after its day).

    A frozen certificate is held: freezing (a hukou moved away without a transfer,
    ``moved_away_step``) suspends its use until it is restored or, a year on,
    cancelled; the holder is still a certified person (the survey, the indicators). A
    programme that pays only on an unfrozen certificate adds that as a condition of its
    own (``benefits.facts.NOT_FROZEN``). ``certificate_held_sql`` is the same rule in SQL."""
    end = end or start
    changed_by_end = CertificateStatusChange.objects.filter(certificate=OuterRef("pk"), effective_date__lte=end)
    cancelled_before = CertificateStatusChange.objects.filter(
        certificate=OuterRef("pk"), status=CertificateStatus.CANCELLED, effective_date__lt=start)
    return (Q(valid_until__gte=start) & (Q(issue_date__lte=end) | Exists(changed_by_end))
            & ~Exists(cancelled_before))


def certificate_held_sql(start: str, end: str | None = None, *, certificate: str = "c") -> str:
    """``certificate_held_q`` as a SQL condition on the certificate row aliased
    ``certificate``; ``start`` and ``end`` are SQL date literals of the dialect. For the
    set-based evaluations (PostgreSQL, SQLite, DuckDB over a copy of the tables)."""
    end = end or start
    c, changes = certificate, CertificateStatusChange._meta.db_table
    return (f"({c}.valid_until >= {start} AND ({c}.issue_date <= {end} OR EXISTS (SELECT 1 FROM {changes} h "
            f"WHERE h.certificate_id = {c}.id AND h.effective_date <= {end})) AND NOT EXISTS (SELECT 1 "
            f"FROM {changes} h WHERE h.certificate_id = {c}.id AND h.status = '{CertificateStatus.CANCELLED}' "
            f"AND h.effective_date < {start}))")


def certified_q(start: dt.date, end: dt.date | None = None) -> Q:
    """Persons certified at some time from ``start`` to ``end`` (a filter of ``Person``;
    ``end`` omitted: the one day ``start``): alive on ``start`` (a death dated ``start``
    takes effect after it) and holding a certificate then (``certificate_held_q``).

    The survey asks it for a year (1 January to 31 December), the indicator snapshot for
    its as-of day."""
    held = Certificate.objects.filter(person=OuterRef("pk")).filter(certificate_held_q(start, end))
    return (Q(deceased_date__isnull=True) | Q(deceased_date__gte=start)) & Exists(held)
