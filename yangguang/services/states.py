"""The states of a need and of a referral, and every transition allowed between them.

One place: ``actions`` asks ``need_transition`` / ``referral_transition`` before it
changes a state, and refuses (``transition_refused``) what is not listed here. The
closed loop reads:

    open ──refer──▶ referred ──service (ongoing)──▶ in_service ──service (met)──▶ met
      ▲                │  ╰──service (met)──────────────────────────────────────▶ met
      │                ╰──decline (reason)──▶ open
      ╰──reopen (reason)── met · withdrawn · in_service (service not met)
    open · referred ──withdraw (reason)──▶ withdrawn
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yangguang.core.errors import Problem, ValidationFailed


class NeedState(models.TextChoices):
    OPEN = "open", _("待转介")
    REFERRED = "referred", _("已转介")
    IN_SERVICE = "in_service", _("服务中")
    MET = "met", _("已满足")
    WITHDRAWN = "withdrawn", _("已撤销")


class ReferralState(models.TextChoices):
    SENT = "sent", _("已转介")
    ACCEPTED = "accepted", _("已接收")
    DECLINED = "declined", _("已退回")
    COMPLETED = "completed", _("已完成")


#: Needs not yet met (nor withdrawn): what the township table and the overdue list count.
UNMET = (NeedState.OPEN, NeedState.REFERRED, NeedState.IN_SERVICE)
#: Referrals on which a service may still be recorded.
LIVE_REFERRALS = (ReferralState.SENT, ReferralState.ACCEPTED)


class NeedAction(models.TextChoices):
    OPEN = "open", _("登记需求")
    REFER = "refer", _("转介")
    SERVE = "serve", _("开始服务")
    MEET = "meet", _("需求已满足")
    DECLINE = "decline", _("转介被退回")
    REOPEN = "reopen", _("重新开启")
    WITHDRAW = "withdraw", _("撤销")


#: action → (states it may start from, state it leads to)
NEED_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    NeedAction.REFER: (frozenset({NeedState.OPEN}), NeedState.REFERRED),
    NeedAction.SERVE: (frozenset({NeedState.REFERRED, NeedState.IN_SERVICE}), NeedState.IN_SERVICE),
    NeedAction.MEET: (frozenset({NeedState.REFERRED, NeedState.IN_SERVICE}), NeedState.MET),
    NeedAction.DECLINE: (frozenset({NeedState.REFERRED}), NeedState.OPEN),
    NeedAction.REOPEN: (frozenset({NeedState.MET, NeedState.WITHDRAWN, NeedState.REFERRED,
                                   NeedState.IN_SERVICE}), NeedState.OPEN),
    NeedAction.WITHDRAW: (frozenset({NeedState.OPEN, NeedState.REFERRED}), NeedState.WITHDRAWN),
}


class ReferralAction(models.TextChoices):
    ACCEPT = "accept", _("接收")
    SERVE = "serve", _("记录服务")
    COMPLETE = "complete", _("完成")
    DECLINE = "decline", _("退回")


REFERRAL_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    ReferralAction.ACCEPT: (frozenset({ReferralState.SENT}), ReferralState.ACCEPTED),
    ReferralAction.SERVE: (frozenset(LIVE_REFERRALS), ReferralState.ACCEPTED),
    ReferralAction.COMPLETE: (frozenset(LIVE_REFERRALS), ReferralState.COMPLETED),
    ReferralAction.DECLINE: (frozenset(LIVE_REFERRALS), ReferralState.DECLINED),
}

REFUSED = _("当前状态为“{state}”，不能{action}")


def _refused(field: str, state_label: str, action_label: str) -> ValidationFailed:
    return ValidationFailed([Problem("transition_refused", field, REFUSED,
                                     {"state": state_label, "action": action_label})])


def need_transition(state: str, action: str) -> str:
    """The state a need in ``state`` reaches by ``action``; refused (``transition_refused``)
    when the action is not allowed from there."""
    sources, target = NEED_TRANSITIONS[action]
    if state not in sources:
        raise _refused("state", NeedState(state).label, NeedAction(action).label)
    return target


def need_may(state: str, action: str) -> bool:
    """Whether ``action`` is allowed on a need in ``state`` (for the pages' buttons)."""
    return state in NEED_TRANSITIONS[action][0]


def referral_transition(state: str, action: str) -> str:
    sources, target = REFERRAL_TRANSITIONS[action]
    if state not in sources:
        raise _refused("referral", ReferralState(state).label, ReferralAction(action).label)
    return target
