"""The closed service loop (服务需求库 and 服务资源库): needs, referrals, service
records and the providers they go to.

Models hold data and invariants only; every write goes through ``actions``, the
states and their transitions are in ``states``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yangguang.regions.models import Region
from yangguang.registry.models import Person
from yangguang.services.states import NeedState, ReferralState
from yangguang.survey.models import DeviceNeed, RehabilitationNeed


class ServiceKind(models.TextChoices):
    BASIC_REHABILITATION = "basic_rehabilitation", _("基本康复服务")
    CHILD_REHABILITATION = "child_rehabilitation", _("残疾儿童康复救助")
    DEVICE_FITTING = "device_fitting", _("辅助器具适配")
    DEVICE_LOAN = "device_loan", _("辅助器具借用")
    EDUCATION_PLACEMENT = "education_placement", _("教育安置（一人一案）")
    VOCATIONAL_TRAINING = "vocational_training", _("职业培训")
    EMPLOYMENT_PLACEMENT = "employment_placement", _("就业安置（一人一档）")
    CARE_RESIDENTIAL = "care_residential", _("寄宿制托养")
    CARE_DAY = "care_day", _("日间照料")
    CARE_HOME = "care_home", _("居家托养")
    HOME_MODIFICATION = "home_modification", _("家庭无障碍改造")
    HOME_VISIT = "home_visit", _("走访探视")
    LEGAL_AID = "legal_aid", _("法律援助")
    PSYCHOLOGICAL_SUPPORT = "psychological_support", _("心理支持")


class ProviderKind(models.TextChoices):
    REHABILITATION = "rehabilitation", _("康复机构")
    CHILD_REHABILITATION = "child_rehabilitation", _("残疾儿童康复定点机构")
    DEVICE_CENTRE = "device_centre", _("辅助器具服务中心")
    SPECIAL_SCHOOL = "special_school", _("特殊教育学校")
    TRAINING_BASE = "training_base", _("职业培训基地")
    COMMUNITY_CENTRE = "community_centre", _("如康家园/残疾人之家")
    CARE_INSTITUTION = "care_institution", _("托养机构")
    OTHER = "other", _("其他服务机构")


class ProviderStatus(models.TextChoices):
    ACTIVE = "active", _("运营中")
    SUSPENDED = "suspended", _("暂停服务")
    CLOSED = "closed", _("已关闭")


class Payer(models.TextChoices):
    FEDERATION = "federation", _("残联")
    MEDICAL_INSURANCE = "medical_insurance", _("医疗保险")
    CIVIL_AFFAIRS = "civil_affairs", _("民政")
    EDUCATION = "education", _("教育部门")
    HUMAN_RESOURCES = "human_resources", _("人社部门")
    SELF = "self", _("个人")
    FREE = "free", _("免费")
    OTHER = "other", _("其他")


class ServiceOutcome(models.TextChoices):
    ONGOING = "ongoing", _("服务仍在进行")
    MET = "met", _("需求已满足")
    NOT_MET = "not_met", _("需求未满足")


class LoanAction(models.TextChoices):
    LEND = "lend", _("借出")
    RETURN = "return", _("归还")
    REPAIR = "repair", _("维修")


class NeedSource(models.TextChoices):
    SURVEY = "survey", _("年度调查")
    DIRECT = "direct", _("直接登记")


class Provider(models.Model):
    """A service provider of the service-resources database (服务资源库)."""

    name = models.CharField(_("机构名称"), max_length=100)
    kind = models.CharField(_("机构类型"), max_length=30, choices=ProviderKind.choices)
    # Where it stands; it serves its region's subtree (a county's centre serves the
    # county's townships).
    region = models.ForeignKey(Region, models.PROTECT, related_name="+",
                               verbose_name=_("所在地区"), db_index=False)
    capacity = models.PositiveIntegerField(_("服务能力（人）"))
    designated_from = models.DateField(_("认定日期"), null=True, blank=True)
    designated_until = models.DateField(_("认定有效期至"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ProviderStatus.choices,
                              default=ProviderStatus.ACTIVE)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    # Its service area beyond its own county (which it always serves): neighbouring
    # counties whose townships it takes persons from.
    service_counties = models.ManyToManyField(Region, related_name="+", blank=True,
                                              verbose_name=_("服务的邻近县"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("服务机构")
        verbose_name_plural = _("服务机构")
        indexes = [models.Index(fields=["region"], name="provider_region_like",
                                opclasses=["varchar_pattern_ops"])]
        constraints = [models.UniqueConstraint(fields=["region", "name"],
                                               name="provider_region_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def kinds(self) -> list[str]:
        return sorted(o.kind for o in self.offerings.all())

    # The service area is read and written through its link table from the provider's
    # side only, never through ``service_counties``' manager: that manager filters
    # ``Region`` by its hidden reverse relation, which Django does not know where
    # ``Region`` is left out of the available apps (the browser tests' live database
    # keeps the region tree by leaving ``regions`` out of them).
    @property
    def service_county_codes(self) -> list[str]:
        codes = getattr(self, "_service_county_codes", None)
        if codes is None:
            codes = sorted(Provider.service_counties.through.objects.filter(provider=self)
                           .values_list("region_id", flat=True))
        return codes

    @property
    def service_area(self) -> list[Region]:
        """The neighbouring counties of its service area, as regions."""
        return list(Region.objects.filter(code__in=self.service_county_codes).order_by("code"))

    @staticmethod
    def with_service_counties(providers: list[Provider]) -> list[Provider]:
        """``providers``, each with its service area read in one query for them all."""
        codes: dict[int, list[str]] = {p.pk: [] for p in providers}
        for provider_id, region_id in (Provider.service_counties.through.objects
                                       .filter(provider_id__in=list(codes))
                                       .order_by("region_id")
                                       .values_list("provider_id", "region_id")):
            codes[provider_id].append(region_id)
        for provider in providers:
            provider._service_county_codes = codes[provider.pk]
        return providers


class ProviderOffering(models.Model):
    """A kind of service a provider offers."""

    provider = models.ForeignKey(Provider, models.CASCADE, related_name="offerings")
    kind = models.CharField(_("服务类型"), max_length=30, choices=ServiceKind.choices)

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        constraints = [models.UniqueConstraint(fields=["provider", "kind"],
                                               name="offering_provider_kind_unique")]
        indexes = [models.Index(fields=["kind", "provider"])]

    def __str__(self) -> str:
        return f"{self.provider} · {self.get_kind_display()}"


class Need(models.Model):
    """A person's need for a kind of service, from the annual survey or recorded directly,
    until it is met (or withdrawn); it may be re-opened with a reason."""

    person = models.ForeignKey(Person, models.PROTECT, related_name="needs",
                               verbose_name=_("残疾人"))
    kind = models.CharField(_("服务类型"), max_length=30, choices=ServiceKind.choices)
    source = models.CharField(_("来源"), max_length=10, choices=NeedSource.choices,
                              default=NeedSource.DIRECT)
    survey_year = models.PositiveSmallIntegerField(_("调查年度"), null=True, blank=True)
    opened_on = models.DateField(_("登记日期"))
    state = models.CharField(_("状态"), max_length=12, choices=NeedState.choices,
                             default=NeedState.OPEN)
    # The day the state last changed (opened, referred, met …): how long it has waited.
    state_since = models.DateField(_("状态日期"))
    met_on = models.DateField(_("满足日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    # For a need taken from the survey: the survey's code of what was asked for (its
    # rehabilitation or device need), shown through the survey's translated labels.
    survey_detail = models.CharField(_("调查所报需求"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("服务需求")
        verbose_name_plural = _("服务需求")
        indexes = [models.Index(fields=["state", "opened_on"]),
                   models.Index(fields=["person", "kind"])]
        constraints = [
            # One unmet need of a kind per person: a second would be served twice.
            models.UniqueConstraint(
                fields=["person", "kind"], name="need_one_unmet_per_kind",
                condition=models.Q(state__in=["open", "referred", "in_service"])),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def survey_detail_label(self) -> str:
        """What the survey recorded as needed, in the reader's language ("" if none)."""
        if not self.survey_detail:
            return ""
        choices = DeviceNeed if self.kind == ServiceKind.DEVICE_FITTING else RehabilitationNeed
        return str(choices(self.survey_detail).label) if self.survey_detail in choices.values \
            else self.survey_detail


class NeedChange(models.Model):
    """The need's history: each state it entered, on which day and why."""

    need = models.ForeignKey(Need, models.CASCADE, related_name="history")
    action = models.CharField(_("操作"), max_length=10)
    state = models.CharField(_("状态"), max_length=12, choices=NeedState.choices)
    day = models.DateField(_("日期"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("需求状态变更")
        verbose_name_plural = _("需求状态变更")
        ordering = ["day", "id"]

    def __str__(self) -> str:
        return f"{self.day} {self.get_state_display()}"


class Referral(models.Model):
    """A need sent to a provider."""

    need = models.ForeignKey(Need, models.PROTECT, related_name="referrals",
                             verbose_name=_("服务需求"))
    provider = models.ForeignKey(Provider, models.PROTECT, related_name="referrals",
                                 verbose_name=_("服务机构"))
    referred_on = models.DateField(_("转介日期"))
    state = models.CharField(_("状态"), max_length=10, choices=ReferralState.choices,
                             default=ReferralState.SENT)
    closed_on = models.DateField(_("结束日期"), null=True, blank=True)
    reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("转介")
        verbose_name_plural = _("转介")
        indexes = [models.Index(fields=["provider", "state"])]

    def __str__(self) -> str:
        return f"{self.need} → {self.provider}"


class ServiceRecord(models.Model):
    """A service a provider gave on a referral: what, when, by whom, at what cost paid
    by whom, and with what outcome."""

    referral = models.ForeignKey(Referral, models.PROTECT, related_name="services",
                                 verbose_name=_("转介"))
    need = models.ForeignKey(Need, models.PROTECT, related_name="services",
                             verbose_name=_("服务需求"))
    provider = models.ForeignKey(Provider, models.PROTECT, related_name="services",
                                 verbose_name=_("服务机构"))
    kind = models.CharField(_("服务类型"), max_length=30, choices=ServiceKind.choices)
    loan_action = models.CharField(_("借用事项"), max_length=10, choices=LoanAction.choices,
                                   blank=True)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    staff = models.CharField(_("服务人员"), max_length=50)
    cost = models.DecimalField(_("费用（元）"), max_digits=10, decimal_places=2, default=0)
    payer = models.CharField(_("支付方"), max_length=20, choices=Payer.choices)
    outcome = models.CharField(_("结果"), max_length=10, choices=ServiceOutcome.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        indexes = [models.Index(fields=["kind", "started_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_on}"
