"""The rules of certificate cases, in one place for every path (pages, API, import).

- who may apply for what (``check_application``): one open case per person; a new
  certificate only without an open one and not within a year of a cancellation
  (``reapplication_barred_until``, Art. 24); the other kinds need an open certificate;
  a minor, or a holder of an intellectual or mental disability certificate, applies
  through a guardian (Art. 9);
- what each step takes and when it may be taken (``parse_step``, ``check_step``): the
  end of the publication, the windows and levels of a dispute (Art. 25);
- the deadlines, in working days of the State Council's calendar (``deadline_after``),
  their lengths from ``data/cases.toml`` (``policy``).

What a step does to the person's certificate is the registry's to decide
(``registry.rules`` through ``registry.services``); nothing here re-decides it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from yangguang.certificates.models import Applicant, CancellationReason, CaseKind, CaseState
from yangguang.certificates.policy import policy
from yangguang.certificates.workflow import Action, Transition
from yangguang.core import text
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.core.workdays import add_working_days
from yangguang.registry import rules as registry_rules
from yangguang.registry import validation as v
from yangguang.registry.models import Category

MESSAGES = {
    "action_not_allowed": _("该业务当前状态为“{state}”，不能{action}"),
    "case_out_of_scope": _("该业务不在您的办理范围内"),
    "case_open": _("该人员已有办理中的残疾人证业务（{kind}，{state}），须先办结"),
    "already_certified": _("该人员已持有未注销的残疾人证，请办理换领、挂失补办或类别/等级变更"),
    "certificate_required": _("该人员没有未注销的残疾人证，不能办理{kind}"),
    "reapply_barred": _("该人员的残疾人证已于{cancelled}注销，{until}前不能重新申请"),
    "renewal_not_yet": _("残疾人证有效期至{until}，{opens}起方可换领"),
    "guardian_required": _("未成年人及智力、精神残疾人由监护人代为申请：请选择“监护人代为申请”并填写监护人姓名"),
    "transfer_same_county": _("迁入地与现户籍地属同一县（市、区），无需办理迁移"),
    "step_before_previous": _("日期不能早于上一步的日期{value}"),
    "publication_running": _("公示期至{value}，期满后方可转入审核"),
    "dispute_closed": _("提出异议的期限已于{value}届满"),
    "dispute_final": _("省级评定结论为最终结论，不能再提出异议"),
    "dispute_first": _("对评定结论有异议的，须先向地市级残联申请复评"),
    "dispute_taken": _("已经地市级残联复评；仍有异议的，请申请省级鉴定"),
    "choice_invalid": _("{label}“{value}”不是可选的值"),
    "permit_required": _("在常住地申请跨省通办须填写居住证号码"),
    "residence_in_hukou_county": _("常住地与户籍地属同一县（市、区），请在户籍地残联申请"),
    "case_at_residence": _("该业务在常住地残联受理，须先转户籍地残联办理"),
    "case_not_at_residence": _("该业务已由户籍地残联办理，无需转交"),
    "applicant_not_found": _("没有与该公民身份号码和姓名相符的登记人员：请核对，或请户籍地残联先登记"),
}

NOTE_MAX = 500
REASON_MAX = 200


def problem(code: str, field: str, **params: Any) -> Problem:
    return Problem(code=code, field=field, template=MESSAGES[code], params=params)


class _Collector:
    """Runs parsers, keeping every problem they raise."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def __call__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            self.problems.extend(exc.problems)
            return None

    def add(self, p: Problem) -> None:
        self.problems.append(p)

    def raise_any(self) -> None:
        if self.problems:
            raise ValidationFailed(self.problems)


def _text_field(values: dict[str, Any], name: str, label: Any, max_length: int, *,
                required: bool = False) -> str:
    value = " ".join(v.clean_text(values.get(name)).split())
    if not value:
        if required:
            raise ValidationFailed([v.problem("required", name, label=label)])
        return ""
    if len(value) > max_length:
        raise ValidationFailed([v.problem("too_long", name, label=label, max=max_length)])
    text.check_text(value, field=name, label=label)
    return value


def _choice(values: dict[str, Any], name: str, label: Any, choices: Any, *,
            default: str | None = None) -> str:
    value = v.clean_text(values.get(name)) or default
    if not value:
        raise ValidationFailed([v.problem("required", name, label=label)])
    if value not in choices.values:
        raise ValidationFailed([problem("choice_invalid", name, label=label, value=value)])
    return value


def _day(values: dict[str, Any], name: str, label: Any, today: dt.date) -> dt.date:
    """The day a step was taken: today unless given; never in the future."""
    if not v.clean_text(values.get(name)) and not isinstance(values.get(name), dt.date):
        return today
    return v.parse_date(values.get(name), field=name, label=label, today=today)


# ---------------------------------------------------------------------------
# Deadlines


def deadline_after(period: str, start: dt.date) -> dt.date:
    """The last day of ``period`` (``publication``, ``review``, ``dispute_prefecture``,
    ``dispute_province``) counted in working days from ``start``. Raises
    ``core.workdays.CalendarNotCovered`` for a year the holiday calendar does not carry."""
    return add_working_days(start, policy().working_days[period])


def reapplication_barred_until(cancelled_on: dt.date | None) -> dt.date | None:
    """The first day a person whose certificate was cancelled on ``cancelled_on`` may
    apply again (Art. 24), or None when no cancellation bars them."""
    if cancelled_on is None:
        return None
    return v.add_years(cancelled_on, policy().reapply_after_years) + dt.timedelta(days=1)


# ---------------------------------------------------------------------------
# Applications

APPLICATION_LABELS = {
    "kind": _("业务类型"),
    "applicant": _("申请方式"),
    "applied_on": _("申请日期"),
    "guardian_name": _("监护人姓名"),
    "residence_region": _("常住地区划代码"),
    "residence_permit": _("居住证号码"),
    "target_region": _("迁入地区划代码"),
    "cancellation_reason": _("注销原因"),
    "note": _("说明"),
}


@dataclass(frozen=True)
class Application:
    """A checked application, as every path (form, API, import) produces it."""

    kind: str
    applicant: str
    applied_on: dt.date
    guardian_name: str = ""
    residence_region: str | None = None
    residence_permit: str = ""
    target_region: str | None = None
    cancellation_reason: str = ""
    note: str = ""


def parse_application(values: dict[str, Any], *, today: dt.date) -> Application:
    """Check an application's fields; ``ValidationFailed`` lists every problem."""
    attempt = _Collector()
    L = APPLICATION_LABELS
    kind = attempt(_choice, values, "kind", L["kind"], CaseKind)
    applicant = attempt(_choice, values, "applicant", L["applicant"], Applicant,
                        default=Applicant.PERSON)
    applied_on = attempt(_day, values, "applied_on", L["applied_on"], today)
    guardian = attempt(_text_field, values, "guardian_name", L["guardian_name"], 50,
                       required=applicant == Applicant.GUARDIAN)
    residence = attempt(v.parse_region_code, values.get("residence_region"),
                        field="residence_region", label=L["residence_region"], required=False)
    permit = attempt(_text_field, values, "residence_permit", L["residence_permit"], 40)
    target = None
    if kind == CaseKind.TRANSFER:
        target = attempt(v.parse_region_code, values.get("target_region"),
                         field="target_region", label=L["target_region"])
    reason = ""
    if kind == CaseKind.CANCELLATION:
        reason = attempt(_choice, values, "cancellation_reason", L["cancellation_reason"],
                         CancellationReason)
    note = attempt(_text_field, values, "note", L["note"], NOTE_MAX)
    attempt.raise_any()
    return Application(kind=kind, applicant=applicant, applied_on=applied_on,
                       guardian_name=guardian, residence_region=residence,
                       residence_permit=permit, target_region=target,
                       cancellation_reason=reason, note=note)


@dataclass(frozen=True)
class PersonFacts:
    """What an application is checked against, read by the services."""

    hukou_region: str
    birth_date: dt.date
    deceased_date: dt.date | None
    #: The open certificate (``registry.rules.STORED_CERTIFICATE_FIELDS``), or None.
    certificate: dict[str, Any] | None
    #: The day of the last cancellation that bars a new application, or None.
    cancelled_on: dt.date | None
    #: The open case's (kind, state), or None.
    open_case: tuple[str, str] | None


def _is_minor(birth_date: dt.date, day: dt.date) -> bool:
    return v.add_years(birth_date, 18) > day


def check_application(app: Application, facts: PersonFacts) -> None:
    """Refuse an application the person may not make now (every problem found)."""
    registry_rules.refuse_if_deceased(facts.deceased_date)
    problems: list[Problem] = []
    if facts.open_case is not None:
        kind, state = facts.open_case
        problems.append(problem("case_open", "kind", kind=CaseKind(kind).label,
                                state=CaseState(state).label))
    certificate = facts.certificate
    if app.kind == CaseKind.NEW:
        if certificate is not None:
            problems.append(problem("already_certified", "kind"))
        until = reapplication_barred_until(facts.cancelled_on)
        if until is not None and app.applied_on < until:
            problems.append(problem("reapply_barred", "applied_on",
                                    cancelled=facts.cancelled_on.isoformat(),
                                    until=until.isoformat()))
    elif certificate is None:
        problems.append(problem("certificate_required", "kind", kind=CaseKind(app.kind).label))
    elif app.kind == CaseKind.RENEWAL:
        opens = certificate["valid_until"] - dt.timedelta(
            days=policy().renewal_opens_days_before_expiry)
        if app.applied_on < opens:
            problems.append(problem("renewal_not_yet", "kind",
                                    until=certificate["valid_until"].isoformat(),
                                    opens=opens.isoformat()))
    guarded = (_is_minor(facts.birth_date, app.applied_on)
               or (certificate is not None
                   and certificate["category"] in (Category.INTELLECTUAL, Category.MENTAL)))
    if guarded and app.applicant == Applicant.PERSON:
        problems.append(problem("guardian_required", "applicant"))
    if (app.kind == CaseKind.TRANSFER and app.target_region is not None
            and app.target_region[:6] == facts.hukou_region[:6]):
        problems.append(problem("transfer_same_county", "target_region"))
    if problems:
        raise ValidationFailed(problems)


# ---------------------------------------------------------------------------
# 跨省通办: lodged at the county of usual residence, decided by the hukou county


def county_of(region_code: str) -> str:
    """The 12-digit code of the county a region lies in."""
    return region_code[:6].ljust(12, "0")


def lodging_county(app: Application, hukou_region: str, may_handle: Callable[[str], bool]
                   ) -> str:
    """The county an application is lodged at, its first holder: the hukou county when
    ``may_handle`` it (the user's scope), else — 跨省通办 — the county of usual
    residence, which needs the residence permit number and a residence outside the
    hukou county. Refused when the user handles neither."""
    if may_handle(hukou_region):
        return county_of(hukou_region)
    if app.residence_region is None or not may_handle(app.residence_region):
        raise ValidationFailed([problem("case_out_of_scope", "kind")])
    problems = []
    if county_of(app.residence_region) == county_of(hukou_region):
        problems.append(problem("residence_in_hukou_county", "residence_region"))
    if not app.residence_permit:
        problems.append(problem("permit_required", "residence_permit"))
    if problems:
        raise ValidationFailed(problems)
    return county_of(app.residence_region)


def at_residence(case: Any) -> bool:
    """Whether the case is held by the county of usual residence that took it in."""
    return case.holder_region_id != county_of(case.hukou_region_id)


def check_holder(case: Any, action: str) -> None:
    """A residence county that took a case in forwards it to the hukou county (or
    refuses it); every other step is the hukou county's."""
    if at_residence(case) and action not in (Action.FORWARD, Action.REJECT):
        raise ValidationFailed([problem("case_at_residence", "action")])
    if not at_residence(case) and action == Action.FORWARD:
        raise ValidationFailed([problem("case_not_at_residence", "action")])


# ---------------------------------------------------------------------------
# Steps

STEP_LABELS = {
    "day": _("办理日期"),
    "note": _("说明"),
    "institution": _("评定机构"),
    "assessor": _("评定人"),
    "assessed_on": _("评定日期"),
    "category": _("残疾类别"),
    "level": _("残疾等级"),
    "components": _("多重残疾明细"),
    "reason": _("不予办理的理由"),
    "effective_on": _("注销日期"),
}

_ASSESSMENT_FIELDS = ("institution", "assessor", "assessed_on", "category", "level",
                      "components")


def step_fields(kind: str, action: str) -> tuple[str, ...]:
    """The fields a step takes beyond its day and note, in the order forms show them."""
    if action == Action.ACCEPT and kind in (CaseKind.NEW, CaseKind.REASSESSMENT):
        return ("institution",)
    if action in (Action.ASSESS, Action.DECIDE_DISPUTE):
        return _ASSESSMENT_FIELDS
    if action == Action.REJECT:
        return ("reason",)
    if action == Action.COMPLETE and kind == CaseKind.CANCELLATION:
        return ("effective_on",)
    return ()


@dataclass(frozen=True)
class Step:
    """A checked step: its day and note, and what the action takes."""

    action: str
    day: dt.date
    note: str = ""
    institution: str = ""
    assessment: registry_rules.Reassessment | None = None
    assessor: str = ""
    reason: str = ""
    effective_on: dt.date | None = None


def parse_step(kind: str, action: str, values: dict[str, Any], *, today: dt.date,
               last_day: dt.date | None) -> Step:
    """Check a step's fields (``step_fields``) and its day: not in the future, not
    before the case's last step. ``ValidationFailed`` lists every problem."""
    attempt = _Collector()
    L = STEP_LABELS
    fields = step_fields(kind, action)
    day = attempt(_day, values, "day", L["day"], today)
    if day is not None and last_day is not None and day < last_day:
        attempt.add(problem("step_before_previous", "day", value=last_day.isoformat()))
    note = attempt(_text_field, values, "note", L["note"], NOTE_MAX,
                   required=action in (Action.DISPUTE, Action.APPEAL))
    institution = assessor = reason = ""
    assessment = effective_on = None
    if fields == ("institution",):
        institution = attempt(_text_field, values, "institution", L["institution"],
                              registry_rules.INSTITUTION_MAX, required=True)
    if "assessed_on" in fields:
        # The assessment is checked by the registry's rule for one, which also asks for
        # the day it takes effect: here the assessment's own day.
        try:
            assessment = registry_rules.parse_reassessment(
                {**values, "effective_date": values.get("assessed_on")}, today=today)
        except ValidationFailed as exc:
            attempt.problems.extend(p for p in exc.problems if p.field != "effective_date")
        assessor = attempt(_text_field, values, "assessor", L["assessor"], 50, required=True)
    if "reason" in fields:
        reason = attempt(_text_field, values, "reason", L["reason"], REASON_MAX, required=True)
    if "effective_on" in fields:
        effective_on = attempt(_day, values, "effective_on", L["effective_on"], today)
    attempt.raise_any()
    return Step(action=action, day=day, note=note, institution=institution,
                assessment=assessment, assessor=assessor, reason=reason,
                effective_on=effective_on)


def acting_region(case: Any, transition: Transition) -> str:
    """The region over which a user needs the step's capability to take it: the county
    of usual residence while it holds a case lodged there (跨省通办: it forwards the case
    or refuses it, ``check_holder``); the hukou region's federation decides every other
    step."""
    return case.holder_region_id if at_residence(case) else case.hukou_region_id


def check_step(case: Any, transition: Transition, step: Step) -> None:
    """Refuse a step the case's dates or dispute levels do not allow now."""
    if transition.action == Action.END_PUBLICATION and case.deadline is not None \
            and step.day <= case.deadline:
        raise ValidationFailed([problem("publication_running", "day",
                                        value=case.deadline.isoformat())])
    if transition.action in (Action.DISPUTE, Action.APPEAL):
        wanted = 0 if transition.action == Action.DISPUTE else 1
        if case.dispute_level != wanted:
            code = ("dispute_final" if case.dispute_level >= 2 else
                    "dispute_taken" if wanted == 0 else "dispute_first")
            raise ValidationFailed([problem(code, "note")])
        if case.dispute_until is not None and step.day > case.dispute_until:
            raise ValidationFailed([problem("dispute_closed", "day",
                                            value=case.dispute_until.isoformat())])
