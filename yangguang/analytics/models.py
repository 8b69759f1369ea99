"""Stored indicator results and values reported by hand."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yangguang.plans.models import PlanIndicator


class Status(models.TextChoices):
    ACHIEVED = "achieved", _("已实现")
    ON_TRACK = "on_track", _("进度正常")
    AT_RISK = "at_risk", _("有风险")
    NOT_ACHIEVED = "not_achieved", _("未实现")
    NO_DATA = "no_data", _("无数据")


class IndicatorResult(models.Model):
    """One plan row's value for one region on one as-of date (replaced by a new run)."""

    indicator = models.ForeignKey(PlanIndicator, models.CASCADE, related_name="results",
                                  verbose_name=_("规划指标"))
    region_code = models.CharField(_("区划代码"), max_length=12)
    as_of = models.DateField(_("截至日期"))
    engine = models.CharField(_("计算引擎"), max_length=10)
    version = models.CharField(_("定义版本"), max_length=20, blank=True)
    value = models.DecimalField(_("指标值"), max_digits=20, decimal_places=6, null=True, blank=True)
    numerator = models.DecimalField(_("分子"), max_digits=20, decimal_places=6, null=True, blank=True)
    denominator = models.DecimalField(_("分母"), max_digits=20, decimal_places=6, null=True, blank=True)
    compared_with = models.DecimalField(_("比较值"), max_digits=20, decimal_places=6, null=True, blank=True)
    status = models.CharField(_("状态"), max_length=15, choices=Status.choices)
    by_hand = models.BooleanField(_("人工填报"), default=False)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("指标结果")
        verbose_name_plural = _("指标结果")
        constraints = [models.UniqueConstraint(fields=["indicator", "region_code", "as_of"],
                                               name="analytics_result_once")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.region_code} {self.as_of}: {self.value}"


class HandValue(models.Model):
    """A value the responsible unit enters for a region and year: an indicator
    reported by hand, or the value a relative target is compared with (GDP growth)."""

    indicator = models.ForeignKey(PlanIndicator, models.CASCADE, related_name="hand_values",
                                  verbose_name=_("规划指标"))
    region_code = models.CharField(_("区划代码"), max_length=12)
    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.DecimalField(_("填报值"), max_digits=20, decimal_places=6)
    compared_with = models.BooleanField(_("为相对目标的比较值"), default=False)
    source = models.CharField(_("数据来源"), max_length=200)
    reported_on = models.DateField(_("填报日期"))
    evidence = models.FileField(_("佐证材料"), upload_to="analytics/evidence/", blank=True)
    evidence_name = models.CharField(_("佐证材料文件名"), max_length=200, blank=True)
    unit = models.CharField(_("填报单位"), max_length=100)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+")
    entered_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("人工填报值")
        verbose_name_plural = _("人工填报值")
        constraints = [models.UniqueConstraint(fields=["indicator", "region_code", "year", "compared_with"],
                                               name="analytics_hand_value_once")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.region_code} {self.year}: {self.value}"
