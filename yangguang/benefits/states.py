"""The states of a benefit application and every step allowed between them.

One place: ``services.take_step`` asks ``transition`` before it changes a state and
refuses (``transition_refused``) what is not listed here. The flow (issue #19):

    申请 submitted ─review─▶ 审核 reviewed (township) ─check_level─▶ level_checked
      (county federation) ─decide─▶ 审定 decided (county civil affairs; the amount is
      ``rules.decide``'s) ─publish─▶ 公示 published ─grant─▶ 发放 granted
    any state before granted ─reject (reason)─▶ rejected
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

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


class ApplicantType(models.TextChoices):
    PERSON = "person", _("本人申请")
    GUARDIAN = "guardian", _("监护人代为申请")
    VILLAGE_COMMITTEE = "village_committee", _("村（居）委会代为申请")
    PROACTIVE = "proactive", _("主动发现")


#: action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    ApplicationAction.REVIEW: (frozenset({ApplicationState.SUBMITTED}), ApplicationState.REVIEWED),
    ApplicationAction.CHECK_LEVEL: (frozenset({ApplicationState.REVIEWED}),
                                    ApplicationState.LEVEL_CHECKED),
    ApplicationAction.DECIDE: (frozenset({ApplicationState.LEVEL_CHECKED}), ApplicationState.DECIDED),
    ApplicationAction.PUBLISH: (frozenset({ApplicationState.DECIDED}), ApplicationState.PUBLISHED),
    ApplicationAction.GRANT: (frozenset({ApplicationState.PUBLISHED}), ApplicationState.GRANTED),
    ApplicationAction.REJECT: (frozenset(OPEN_STATES), ApplicationState.REJECTED),
}

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


def actions_from(state: str) -> list[str]:
    """The actions allowed now on an application in ``state`` (for the page's buttons)."""
    return [a for a, (sources, _target) in TRANSITIONS.items() if state in sources]
