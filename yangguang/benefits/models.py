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
