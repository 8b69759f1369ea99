"""The states of a benefit application and every step allowed between them.

One place: ``services.take_step`` asks ``transition`` before it changes a state and
refuses (``transition_refused``) what is not listed here. The flow (issue #19):

    申请 submitted ─review─▶ 审核 reviewed (township) ─check_level─▶ level_checked
      (county federation) ─decide─▶ 审定 decided (county civil affairs; the amount is
      ``rules.decide``'s) ─publish─▶ 公示 published ─grant─▶ 发放 granted
    any state before granted ─reject (reason)─▶ rejected
    跨省通办: submitted at the county of usual residence ─forward─▶ submitted at the
      hukou county, which takes every later step

Each row names the capability a user needs over the application's region to take it
(``TRANSITIONS``): the township and county federation staff receive and review
(``handle_case``), the federation's reviewer checks the level (``decide_case``), the
county civil-affairs bureau decides, publishes and grants (``decide_benefit``); a
refusal is for whoever takes the next step. ``DEADLINES``: the states with a period
in working days (``programmes.toml`` ``[working_days]``) from the step that entered
them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.utils.translation import gettext_lazy as _

from yangguang.accounts.permissions import Capability
from yangguang.core.errors import Problem, ValidationFailed


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", _("已申请")
    REVIEWED = "reviewed", _("乡镇已审核")
    LEVEL_CHECKED = "level_checked", _("残联已核定等级")
    DECIDED = "decided", _("已审定")
    PUBLISHED = "published", _("公示中")
    GRANTED = "granted", _("已发放")
    REJECTED = "rejected", _("未通过")


#: Applications still moving: one per person and programme at a time.
OPEN_STATES = (ApplicationState.SUBMITTED, ApplicationState.REVIEWED,
               ApplicationState.LEVEL_CHECKED, ApplicationState.DECIDED,
               ApplicationState.PUBLISHED)


class ApplicationAction(models.TextChoices):
    APPLY = "apply", _("申请")
    REVIEW = "review", _("审核（乡镇）")
    CHECK_LEVEL = "check_level", _("核定等级（县残联）")
    DECIDE = "decide", _("审定（县民政）")
    PUBLISH = "publish", _("公示")
    GRANT = "grant", _("发放")
    REJECT = "reject", _("不予通过")
    FORWARD = "forward", _("转户籍地办理")


class ApplicantType(models.TextChoices):
    PERSON = "person", _("本人申请")
    GUARDIAN = "guardian", _("监护人代为申请")
    VILLAGE_COMMITTEE = "village_committee", _("村（居）委会代为申请")
    PROACTIVE = "proactive", _("主动发现")


S, A = ApplicationState, ApplicationAction
HANDLE, LEVEL, DECIDE = Capability.HANDLE_CASE, Capability.DECIDE_CASE, Capability.DECIDE_BENEFIT

#: action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    A.FORWARD: (frozenset({S.SUBMITTED}), S.SUBMITTED),
    A.REVIEW: (frozenset({S.SUBMITTED}), S.REVIEWED),
    A.CHECK_LEVEL: (frozenset({S.REVIEWED}), S.LEVEL_CHECKED),
    A.DECIDE: (frozenset({S.LEVEL_CHECKED}), S.DECIDED),
    A.PUBLISH: (frozenset({S.DECIDED}), S.PUBLISHED),
    A.GRANT: (frozenset({S.PUBLISHED}), S.GRANTED),
    A.REJECT: (frozenset(OPEN_STATES), S.REJECTED),
}

#: The capability each step needs (a refusal: that of the step it refuses).
CAPABILITIES: dict[str, str] = {
    A.APPLY: HANDLE, A.FORWARD: HANDLE, A.REVIEW: HANDLE, A.CHECK_LEVEL: LEVEL,
    A.DECIDE: DECIDE, A.PUBLISH: DECIDE, A.GRANT: DECIDE,
}
#: Who refuses in each state: whoever would take its next step.
REJECT_CAPABILITIES: dict[str, str] = {
    S.SUBMITTED: HANDLE, S.REVIEWED: LEVEL, S.LEVEL_CHECKED: DECIDE, S.DECIDED: DECIDE,
    S.PUBLISHED: DECIDE,
}

#: state → (the period of ``policy.Policies.working_days`` running in it, what ends it)
DEADLINES: dict[str, tuple[str, str]] = {
    S.SUBMITTED: ("review", A.REVIEW),
    S.REVIEWED: ("check_level", A.CHECK_LEVEL),
    S.PUBLISHED: ("publication", A.GRANT),
}
#: The periods staff must finish within (overdue when passed); the publication's end
#: is a date before which the next step is refused instead.
STAFF_PERIODS = ("review", "check_level")


def capability_for(state: str, action: str) -> str:
    """The capability a user needs to take ``action`` on an application in ``state``."""
    if action == A.REJECT:
        return REJECT_CAPABILITIES.get(state, HANDLE)
    return CAPABILITIES[action]


REFUSED = _("当前状态为“{state}”，不能{action}")


def transition(state: str, action: str) -> str:
    """The state an application in ``state`` reaches by ``action``; refused
    (``transition_refused``) when the action is not allowed from there."""
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise ValidationFailed([Problem("transition_refused", "action", REFUSED,
                                        {"state": ApplicationState(state).label,
                                         "action": ApplicationAction(action).label})])
    return target


def actions_from(state: str, may: Callable[[str], bool] = lambda capability: True,
                 *, at_residence: bool = False) -> list[str]:
    """The actions allowed now on an application in ``state`` (for the page's buttons)
    that a user for whom ``may(capability)`` holds can take. An application held by
    the county of usual residence (``at_residence``) is forwarded or refused there;
    forwarding is only for that."""
    allowed = [a for a, (sources, _target) in TRANSITIONS.items() if state in sources]
    if at_residence:
        allowed = [a for a in allowed if a in (A.FORWARD, A.REJECT)]
    else:
        allowed = [a for a in allowed if a != A.FORWARD]
    return [a for a in allowed if may(capability_for(state, a))]
