"""Certificate cases (残疾人证业务): an application and every step taken on it.

A case is one of six kinds, each a state machine whose transitions are a table in
``workflow.py``; every step is a ``CaseStep`` row (who, on which day, from which state
to which, with a note). Models hold data only: writes go through ``services.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yangguang.regions.models import Region
from yangguang.registry.models import Assessment, Certificate, Person, StatusReason


class CaseKind(models.TextChoices):
    """The six certificate items handled across provinces since 2021-06-28."""

    NEW = "new", _("新办")
    RENEWAL = "renewal", _("换领")
    TRANSFER = "transfer", _("迁移")
    REISSUE = "reissue", _("挂失补办")
    CANCELLATION = "cancellation", _("注销")
    REASSESSMENT = "reassessment", _("类别/等级变更")


class Applicant(models.TextChoices):
    """Who applies (Art. 9, 11)."""

    PERSON = "person", _("本人申请")
    GUARDIAN = "guardian", _("监护人代为申请")
    HOME_VISIT = "home_visit", _("上门办证")


class CaseState(models.TextChoices):
    APPLIED = "applied", _("已申请")
    ACCEPTED = "accepted", _("已受理")
    ASSESSED = "assessed", _("已评定")
    PUBLISHED = "published", _("公示中")
    REVIEWING = "reviewing", _("审核中")
    DISPUTED_PREFECTURE = "disputed_prefecture", _("地市级复评中")
    DISPUTED_PROVINCE = "disputed_province", _("省级鉴定中")
    ISSUED = "issued", _("已发证")
    COMPLETED = "completed", _("已办结")
    REJECTED = "rejected", _("不予办理")


#: States in which nothing more happens to a case.
CLOSED_STATES = (CaseState.ISSUED, CaseState.COMPLETED, CaseState.REJECTED)


class Action(models.TextChoices):
    """The steps of a case (``workflow.MACHINES`` says which kind takes which, when)."""

    APPLY = "apply", _("申请")
    ACCEPT = "accept", _("受理")
    ASSESS = "assess", _("录入评定结论")
    PUBLISH = "publish", _("开始公示")
    END_PUBLICATION = "end_publication", _("公示期满，转入审核")
    SUBMIT = "submit", _("提交审核")
    ISSUE = "issue", _("审核通过，发证")
    COMPLETE = "complete", _("审核通过，办结")
    DISPUTE = "dispute", _("申请地市级复评")
    APPEAL = "appeal", _("申请省级鉴定")
    DECIDE_DISPUTE = "decide_dispute", _("录入复评结论")
    REJECT = "reject", _("不予办理")
    FORWARD = "forward", _("转户籍地残联办理")


class DeadlineKind(models.TextChoices):
    PUBLICATION = "publication", _("公示期满")
    REVIEW = "review", _("审核时限")


class CancellationReason(models.TextChoices):
    """Why a certificate is cancelled through a case (registry status reasons)."""

    DEATH = StatusReason.DEATH.value, StatusReason.DEATH.label
    NO_LONGER_ELIGIBLE = StatusReason.NO_LONGER_ELIGIBLE.value, StatusReason.NO_LONGER_ELIGIBLE.label
    MOVED_AWAY = StatusReason.MOVED_AWAY.value, StatusReason.MOVED_AWAY.label


def _region(verbose_name: str, **options) -> models.ForeignKey:
    return models.ForeignKey(Region, models.PROTECT, related_name="+",
                             verbose_name=verbose_name, **options)


class CertificateCase(models.Model):
    """One application (or staff-initiated case) about a person's certificate.

    ``hukou_region`` is the person's hukou region when the case was opened: its county
    federation decides. ``residence_region`` (with the residence permit number) is set
    when the case was lodged at the county of usual residence (跨省通办); both see the
    case, each within its scope. ``holder_region`` is where the case lies now.
    """

    kind = models.CharField(_("业务类型"), max_length=20, choices=CaseKind.choices)
    person = models.ForeignKey(Person, models.PROTECT, related_name="certificate_cases",
                               verbose_name=_("申请人"))
    applicant = models.CharField(_("申请方式"), max_length=20, choices=Applicant.choices,
                                 default=Applicant.PERSON)
    guardian_name = models.CharField(_("监护人姓名"), max_length=50, blank=True)
    hukou_region = _region(_("户籍地"))
    residence_region = _region(_("常住地"), null=True, blank=True)
    residence_permit = models.CharField(_("居住证号码"), max_length=40, blank=True)
    holder_region = _region(_("当前办理地"))
    #: A transfer's new hukou region.
    target_region = _region(_("迁入地"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=20, choices=CaseState.choices,
                             default=CaseState.APPLIED)
    applied_on = models.DateField(_("申请日期"))
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    #: The assessment institution assigned on acceptance.
    institution = models.CharField(_("评定机构"), max_length=100, blank=True)
    assessment = models.ForeignKey(Assessment, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("评定结论"))
    #: 0 no dispute yet, 1 decided by the prefecture, 2 by the province (final).
    dispute_level = models.PositiveSmallIntegerField(_("复评次数"), default=0)
    #: Last day the applicant may dispute the current assessment.
    dispute_until = models.DateField(_("异议期限"), null=True, blank=True)
    #: The staff's deadline in the current state (publication end, review).
    deadline = models.DateField(_("办理时限"), null=True, blank=True)
    deadline_kind = models.CharField(_("时限类型"), max_length=20, blank=True,
                                     choices=DeadlineKind.choices)
    cancellation_reason = models.CharField(_("注销原因"), max_length=20, blank=True,
                                           choices=CancellationReason.choices)
    rejection_reason = models.CharField(_("不予办理的理由"), max_length=200, blank=True)
    #: The certificate the case issued, renewed or cancelled.
    certificate = models.ForeignKey(Certificate, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("残疾人证"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("残疾人证业务")
        verbose_name_plural = _("残疾人证业务")
        indexes = [
            models.Index(fields=["hukou_region", "state"], name="case_hukou_state",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
            models.Index(fields=["residence_region", "state"], name="case_residence_state",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
            models.Index(fields=["deadline"], name="case_deadline"),
        ]
        constraints = [
            # One open case per person: two at once would decide on the same certificate.
            models.UniqueConstraint(fields=["person"], name="one_open_case_per_person",
                                    condition=~Q(state__in=[s.value for s in CLOSED_STATES])),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES


class CaseStep(models.Model):
    """A step taken on a case: the transition, who took it, on which day, and why."""

    case = models.ForeignKey(CertificateCase, models.CASCADE, related_name="steps",
                             verbose_name=_("业务"))
    action = models.CharField(_("操作"), max_length=30)
    from_state = models.CharField(_("原状态"), max_length=20, choices=CaseState.choices,
                                  blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, choices=CaseState.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("经办人"))
    #: Who acted when no user did (the command line, an import, a job).
    actor = models.CharField(_("操作者"), max_length=150)
    region = _region(_("办理地"), null=True, blank=True)
    day = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("办理步骤")
        verbose_name_plural = _("办理步骤")
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.from_state}→{self.to_state} {self.day}"

    @property
    def action_label(self) -> str:
        return Action(self.action).label if self.action in Action.values else self.action
