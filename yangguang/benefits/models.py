"""What benefits record beyond the registry: facts about a person that the rules read.

The registry holds the person, the certificate and the household's economic status
with dates; other departments' benefits that exclude ours or compete with them
(orphan support, work-injury care fee, elderly allowances), and the evidence some
programmes need (a motorized wheelchair, pension enrolment, an assessed need for a
device, a place in care), are recorded here with their dates, by ``services``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yangguang.benefits.states import ApplicantType, ApplicationAction, ApplicationState
from yangguang.regions.models import Region
from yangguang.registry.models import Person


class FactKind(models.TextChoices):
    """The kinds of person facts (``policy.FACT_KINDS`` names them in policy files)."""

    WORK_INJURY_CARE_FEE = "work_injury_care_fee", _("工伤保险生活护理费")
    ORPHAN_SUPPORT = "orphan_support", _("孤儿基本生活保障")
    ELDERLY_LIVING_ALLOWANCE = "elderly_living_allowance", _("老年人福利性生活补贴")
    ELDERLY_CARE_ALLOWANCE = "elderly_care_allowance", _("老年人护理补贴")
    DUTY_DISABILITY_LIVING = "duty_disability_living", _("因公致残或离休人员生活补贴")
    DUTY_DISABILITY_CARE = "duty_disability_care", _("因公致残或离休人员护理补贴")
    MOTORIZED_WHEELCHAIR = "motorized_wheelchair", _("持有机动轮椅车")
    RESIDENT_PENSION = "resident_pension", _("参加城乡居民基本养老保险")
    EMPLOYEE_PENSION = "employee_pension", _("参加职工基本养老保险")
    ASSISTIVE_DEVICE_NEED = "assistive_device_need", _("经评估需要基本型辅助器具")
    CARE_SERVICE = "care_service", _("接受托养服务")


class PersonFact(models.Model):
    """A period in which a fact held for a person (他人补贴、参保、凭证等), with its
    monthly amount where it is a benefit the rules compare with ours."""

    person = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("残疾人"))
    kind = models.CharField(_("情况"), max_length=32, choices=FactKind.choices)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    monthly_amount = models.DecimalField(_("月金额（元）"), max_digits=10, decimal_places=2,
                                         null=True, blank=True)
    source = models.CharField(_("来源"), max_length=100)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("补贴相关情况")
        verbose_name_plural = _("补贴相关情况")
        ordering = ["person", "kind", "start_date"]
        indexes = [models.Index(fields=["person", "kind", "start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="person_fact_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.start_date}–{self.end_date or ''}"


class BenefitApplication(models.Model):
    """An application for one programme for one person, taken through the steps of
    ``states.TRANSITIONS``; the decision's amount and reasons are ``rules.decide``'s on
    the day of 审定."""

    person = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("残疾人"))
    programme = models.CharField(_("补贴项目"), max_length=40)
    applicant_type = models.CharField(_("申请方式"), max_length=20, choices=ApplicantType.choices)
    applicant_name = models.CharField(_("代办人"), max_length=100, blank=True)
    state = models.CharField(_("状态"), max_length=20, choices=ApplicationState.choices,
                             default=ApplicationState.SUBMITTED)
    applied_on = models.DateField(_("申请日期"))
    decided_on = models.DateField(_("审定日期"), null=True, blank=True)
    amount = models.DecimalField(_("审定金额（元）"), max_digits=10, decimal_places=2,
                                 null=True, blank=True)
    unit = models.CharField(_("金额单位"), max_length=10, blank=True)
    reasons = models.JSONField(_("审定依据"), default=list, blank=True)
    rejection_reason = models.CharField(_("不予通过理由"), max_length=500, blank=True)
    #: The last day of the period running in the current state (``states.DEADLINES``):
    #: the township's review, the federation's level check, the publication.
    deadline = models.DateField(_("办理时限"), null=True, blank=True)
    #: 跨省通办: the county of usual residence that took the application in; it holds
    #: it until it is forwarded (``forwarded_on``) to the hukou county, which decides.
    residence_region = models.ForeignKey(Region, models.PROTECT, related_name="+", null=True,
                                         blank=True, verbose_name=_("受理地（常住地）"))
    forwarded_on = models.DateField(_("转户籍地日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("补贴申请")
        verbose_name_plural = _("补贴申请")
        ordering = ["-applied_on", "-pk"]
        indexes = [models.Index(fields=["state", "programme"]),
                   models.Index(fields=["state", "deadline"], name="benefit_app_state_deadline")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.programme} {self.state}"

    @property
    def at_residence(self) -> bool:
        """Whether the county of usual residence that took it in still holds it."""
        return self.residence_region_id is not None and self.forwarded_on is None


class ApplicationStep(models.Model):
    """One step taken on an application: who, when, from which state to which, a note."""

    application = models.ForeignKey(BenefitApplication, models.CASCADE, related_name="steps",
                                    verbose_name=_("补贴申请"))
    action = models.CharField(_("环节"), max_length=20, choices=ApplicationAction.choices)
    from_state = models.CharField(_("原状态"), max_length=20, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, choices=ApplicationState.choices)
    day = models.DateField(_("日期"))
    actor = models.CharField(_("经办人"), max_length=150)
    user_id = models.IntegerField(_("用户编号"), null=True, blank=True)
    note = models.CharField(_("意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申请环节")
        verbose_name_plural = _("申请环节")
        ordering = ["application", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action} {self.day}"


class BenefitGrant(models.Model):
    """Who receives which programme from which month, at the amount decided (with its
    reasons), paid by which county; stopped from a month with a reason."""

    person = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("残疾人"))
    programme = models.CharField(_("补贴项目"), max_length=40)
    application = models.OneToOneField(BenefitApplication, models.PROTECT, related_name="grant",
                                       verbose_name=_("补贴申请"))
    start_month = models.DateField(_("起始月份"))
    amount = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2, null=True,
                                 blank=True)
    unit = models.CharField(_("金额单位"), max_length=10, blank=True)
    reasons = models.JSONField(_("审定依据"), default=list, blank=True)
    stop_month = models.DateField(_("停发月份"), null=True, blank=True)
    stop_reason = models.CharField(_("停发原因"), max_length=500, blank=True)
    #: What ended it, when a change of the person did (``services.STOP_CAUSES``: death,
    #: moved_away, hukou_transfer …), and the day of that event: a correction of the
    #: event (a move withdrawn, a death corrected) restarts the grants it ended.
    stop_cause = models.CharField(_("停发事由"), max_length=30, blank=True)
    stop_event_on = models.DateField(_("停发事由发生日期"), null=True, blank=True)
    #: The county that pays it (its payroll): the county of the person's hukou when it
    #: was granted. A transfer to another county ends the grant (the old county pays the
    #: month of the transfer); the new county's grant starts the month after.
    paying_region = models.ForeignKey(Region, models.PROTECT, related_name="+",
                                      verbose_name=_("发放地（县级）"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("补贴发放")
        verbose_name_plural = _("补贴发放")
        ordering = ["person", "programme", "start_month"]
        indexes = [models.Index(fields=["programme", "start_month"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.programme} {self.start_month}"


# ---------------------------------------------------------------------------
# The monthly payroll (``payroll``): what is paid for which grant and month


class PayrollState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已审核")


class LineKind(models.TextChoices):
    """Why a payroll line pays (or takes back, or withholds) an amount for a month."""

    REGULAR = "regular", _("当月")
    ARREARS = "arrears", _("补发")  # a month not paid before (from the application month)
    BACKPAY = "backpay", _("补差")  # a month paid before at a lower standard
    RECOVERY = "recovery", _("追回")  # a month paid before at more than is due (negative)
    WITHHELD = "withheld", _("暂停")  # the payroll month not paid: not eligible, amount unknown


#: The kinds that move money (a withheld line is 0 and says why).
PAYING_KINDS = (LineKind.REGULAR, LineKind.ARREARS, LineKind.BACKPAY, LineKind.RECOVERY)


class Payroll(models.Model):
    """The payments of one month for the grants of one region: a draft, replaced when
    run again, until it is approved; an approved payroll is frozen, and what its lines
    paid is what later payrolls count as paid."""

    month = models.DateField(_("发放月份"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("地区"),
                               db_index=False)
    state = models.CharField(_("状态"), max_length=10, choices=PayrollState.choices,
                             default=PayrollState.DRAFT)
    run_at = models.DateTimeField(_("生成时间"))
    run_by = models.CharField(_("生成人"), max_length=150)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.CharField(_("审核人"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("发放表")
        verbose_name_plural = _("发放表")
        ordering = ["-month", "region"]
        constraints = [models.UniqueConstraint(fields=["month", "region"],
                                               name="payroll_month_region_unique")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.month:%Y-%m} {self.state}"


class PayrollLine(models.Model):
    """One grant's amount for one month (``for_month``) in a payroll: the month's
    payment, a month not paid before, the difference to a raised standard, or what was
    paid beyond what is due (negative); ``due`` is the rule's amount for that month
    (None: not known), ``paid_before`` what approved payrolls had paid for it."""

    payroll = models.ForeignKey(Payroll, models.CASCADE, related_name="lines",
                                verbose_name=_("发放表"))
    grant = models.ForeignKey(BenefitGrant, models.PROTECT, related_name="payroll_lines",
                              verbose_name=_("补贴发放"))
    person = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("残疾人"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("户籍地"),
                               db_index=False)
    programme = models.CharField(_("补贴项目"), max_length=40)
    kind = models.CharField(_("类别"), max_length=10, choices=LineKind.choices)
    for_month = models.DateField(_("所属月份"))
    due = models.DecimalField(_("应发（元）"), max_digits=10, decimal_places=2, null=True,
                              blank=True)
    paid_before = models.DecimalField(_("已发（元）"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("本次金额（元）"), max_digits=10, decimal_places=2)
    note = models.CharField(_("说明"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("发放明细")
        verbose_name_plural = _("发放明细")
        ordering = ["payroll", "region", "person", "programme", "for_month"]
        indexes = [models.Index(fields=["grant", "for_month"], name="payroll_line_grant_month")]

    def __str__(self) -> str:
        return f"{self.grant_id} {self.for_month:%Y-%m} {self.kind} {self.amount}"


class ItemKind(models.TextChoices):
    """The two lists of a screening (``selectors.screening_report``)."""

    ELIGIBLE_NOT_RECEIVING = "eligible_not_receiving", _("符合条件但未享受（主动发现）")
    RECEIVING_NOT_ELIGIBLE = "receiving_not_eligible", _("享受中但已不符合条件（动态监管）")


class ItemStatus(models.TextChoices):
    OPEN = "open", _("待跟进")
    CONTACTED = "contacted", _("已联系")
    APPLIED = "applied", _("已申请")
    NOT_ELIGIBLE = "not_eligible", _("经核实不符合条件")
    CLOSED = "closed", _("已关闭")


#: Items still to be followed up: one per person, programme and list at a time.
ACTIVE_ITEM_STATUSES = (ItemStatus.OPEN, ItemStatus.CONTACTED)


class ScreeningItem(models.Model):
    """A person a screening found (主动发现 or 动态监管) for one programme: a work item
    for the staff of the person's hukou township and county, followed up from open
    through contacted to applied, not eligible, or closed with a reason."""

    person = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("残疾人"))
    programme = models.CharField(_("补贴项目"), max_length=40)
    kind = models.CharField(_("类别"), max_length=30, choices=ItemKind.choices)
    region = models.ForeignKey(Region, models.PROTECT, related_name="+",
                               verbose_name=_("户籍地"))
    found_on = models.DateField(_("筛查日期"))
    last_seen_on = models.DateField(_("最近一次筛查日期"))
    reasons = models.JSONField(_("理由"), default=list, blank=True)
    status = models.CharField(_("跟进状态"), max_length=20, choices=ItemStatus.choices,
                              default=ItemStatus.OPEN)
    status_note = models.CharField(_("跟进说明"), max_length=500, blank=True)
    status_on = models.DateField(_("跟进日期"), null=True, blank=True)
    status_by = models.CharField(_("跟进人"), max_length=150, blank=True)
    application = models.ForeignKey(BenefitApplication, models.PROTECT, related_name="+",
                                    null=True, blank=True, verbose_name=_("补贴申请"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("筛查待办")
        verbose_name_plural = _("筛查待办")
        ordering = ["status", "region", "person", "programme"]
        indexes = [models.Index(fields=["status", "programme"]),
                   models.Index(fields=["region", "status"], name="screening_item_region")]
        constraints = [
            models.UniqueConstraint(fields=["person", "programme", "kind"],
                                    condition=Q(status__in=["open", "contacted"]),
                                    name="screening_item_active_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.programme} {self.kind} {self.status}"
