"""Plans as data: a "十四五" plan, its main indicators and its tasks.

A plan file (``plans/data/plans/KEY.toml``) is the source of truth for what the plan
document says; ``plans.loading`` checks it and writes these rows. Each indicator keeps
the text as printed beside the operator and value read from it (「＞80」 is ``>`` 80,
「0.75万」 is 7500, 「与全县地区生产总值增长同步」 is a relative target with no value),
so the dashboard can show the plan's own words and the engine can compare numbers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yangguang.core.language import in_language
from yangguang.regions.models import Region


class Operator(models.TextChoices):
    """How a baseline or target compares: the plan's ＞ and > are both ``>``."""

    EQUAL = "=", _("等于")
    GREATER = ">", _("大于")
    AT_LEAST = "≥", _("不低于")
    LESS = "<", _("小于")
    AT_MOST = "≤", _("不高于")
    RELATIVE = "relative", _("相对目标")  # e.g. in step with GDP growth
    TEXT = "text", _("文字目标")  # stated in words only; judged by hand
    NONE = "", _("无")  # no value printed (「——」 or no column)


class IndicatorKind(models.TextChoices):
    BINDING = "binding", _("约束性")
    EXPECTED = "expected", _("预期性")
    UNSPECIFIED = "", _("未标注")


class Accumulation(models.TextChoices):
    """Whether a value is a state on a date (a rate), or a count added up over the
    plan period, or a count per year."""

    POINT = "point", _("时点值")
    CUMULATIVE = "cumulative", _("规划期累计")
    PER_YEAR = "per_year", _("每年")


class Plan(models.Model):
    key = models.SlugField(_("代码"), max_length=40, unique=True)
    # Names shown on pages are kept in both languages (the file's ``title`` and
    # ``title_en``, …); ``title``, ``issuer``, ``status`` and ``jurisdiction`` give the
    # one of the active language.
    title_zh = models.CharField(_("规划名称"), max_length=200)
    title_en = models.CharField(_("规划名称（英文）"), max_length=200, blank=True)
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("辖区"))
    jurisdiction_en = models.CharField(_("辖区（英文）"), max_length=200, blank=True)
    start_year = models.PositiveSmallIntegerField(_("起始年"))
    end_year = models.PositiveSmallIntegerField(_("终止年"))
    baseline_year = models.PositiveSmallIntegerField(_("基期年"), null=True, blank=True)
    issuer_zh = models.CharField(_("发布机关"), max_length=200)
    issuer_en = models.CharField(_("发布机关（英文）"), max_length=200, blank=True)
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    issued_on = models.DateField(_("印发日期"), null=True, blank=True)
    status_zh = models.CharField(_("文件状态"), max_length=100, blank=True)
    status_en = models.CharField(_("文件状态（英文）"), max_length=100, blank=True)
    source = models.CharField(_("原文文件"), max_length=200)
    note = models.TextField(_("说明"), blank=True)
    # The SHA-256 of the plan file last loaded: an unchanged file is not written again.
    file_hash = models.CharField(max_length=64, blank=True)
    loaded_at = models.DateTimeField(_("载入时间"), auto_now=True)

    class Meta:
        verbose_name = _("规划")
        verbose_name_plural = _("规划")
        ordering = ["region__code", "key"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return in_language(self.title_zh, self.title_en)

    @property
    def issuer(self) -> str:
        return in_language(self.issuer_zh, self.issuer_en)

    @property
    def status(self) -> str:
        return in_language(self.status_zh, self.status_en)

    @property
    def jurisdiction(self) -> str:
        """The plan's region by name: the region tree's (Chinese) name, or the file's
        English name on English pages."""
        return in_language(self.region.name, self.jurisdiction_en)

    @property
    def period(self) -> str:
        return f"{self.start_year}—{self.end_year}"


class PlanIndicator(models.Model):
    plan = models.ForeignKey(Plan, models.CASCADE, related_name="indicators", verbose_name=_("规划"))
    row = models.PositiveSmallIntegerField(_("序号"))
    # As printed: "1" for a table row; "" for a target stated in the text.
    number = models.CharField(_("原文序号"), max_length=10, blank=True)
    category = models.CharField(_("类别"), max_length=100, blank=True)
    wording = models.CharField(_("指标（原文）"), max_length=300)
    location = models.CharField(_("原文位置"), max_length=100, blank=True)
    line = models.PositiveIntegerField(_("原文行号"), null=True, blank=True)
    # A key of the indicator catalogue (plans/data/catalogue.toml), or "" when the
    # responsible unit reports the value by hand.
    catalogue_key = models.CharField(_("目录指标"), max_length=60, blank=True)
    options = models.JSONField(_("计算选项"), default=dict, blank=True)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    baseline_op = models.CharField(_("基期运算符"), max_length=10, choices=Operator.choices, blank=True)
    baseline_value = models.DecimalField(_("基期值"), max_digits=16, decimal_places=4, null=True, blank=True)
    baseline_text = models.CharField(_("基期（原文）"), max_length=200, blank=True)
    target_op = models.CharField(_("目标运算符"), max_length=10, choices=Operator.choices, blank=True)
    target_value = models.DecimalField(_("目标值"), max_digits=16, decimal_places=4, null=True, blank=True)
    target_text = models.CharField(_("目标（原文）"), max_length=200)
    kind = models.CharField(_("属性"), max_length=10, choices=IndicatorKind.choices, blank=True)
    accumulation = models.CharField(_("累计方式"), max_length=12, choices=Accumulation.choices)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("规划指标")
        verbose_name_plural = _("规划指标")
        ordering = ["plan", "row"]
        constraints = [models.UniqueConstraint(fields=["plan", "row"], name="plan_indicator_row_once")]

    def __str__(self) -> str:
        return f"{self.number or self.row}.{self.wording}"

    @property
    def by_hand(self) -> bool:
        return not self.catalogue_key


class TaskLevel(models.TextChoices):
    SECTION = "section", _("部分")
    TASK = "task", pgettext_lazy("plan", "任务")
    SUBTASK = "subtask", _("子任务")


class PlanTask(models.Model):
    """A node of the plan's task tree: a section (「三、重点任务」), a task
    (「（一）…」) or a sub-task (「1.…」, 「①」), with the units the plan names for it."""

    plan = models.ForeignKey(Plan, models.CASCADE, related_name="tasks", verbose_name=_("规划"))
    parent = models.ForeignKey("self", models.CASCADE, null=True, blank=True, related_name="children",
                               verbose_name=_("上级"))
    level = models.CharField(_("层级"), max_length=10, choices=TaskLevel.choices)
    position = models.PositiveIntegerField(_("顺序"))  # order within the whole plan
    number = models.CharField(_("原文编号"), max_length=20, blank=True)  # as printed: 三、 （一） 1.
    title = models.CharField(_("标题"), max_length=300)
    line = models.PositiveIntegerField(_("原文行号"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("规划任务")
        verbose_name_plural = _("规划任务")
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "position"], name="plan_task_position_once")]

    def __str__(self) -> str:
        return f"{self.number}{self.title}"


class UnitRole(models.TextChoices):
    LEAD = "lead", _("牵头单位")
    PARTICIPATING = "participating", _("参与单位")
    # Some plans name 责任单位 without telling the lead from the others.
    RESPONSIBLE = "responsible", _("责任单位")


class TaskUnit(models.Model):
    task = models.ForeignKey(PlanTask, models.CASCADE, related_name="units", verbose_name=_("规划任务"))
    role = models.CharField(_("职责"), max_length=15, choices=UnitRole.choices)
    position = models.PositiveSmallIntegerField(_("顺序"))  # order as printed
    name = models.CharField(_("单位"), max_length=100)

    class Meta:
        verbose_name = _("任务单位")
        verbose_name_plural = _("任务单位")
        ordering = ["task", "role", "position"]
        indexes = [models.Index(fields=["name", "role"])]

    def __str__(self) -> str:
        return self.name


class ProgressStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未启动")
    ON_SCHEDULE = "on_schedule", _("按进度推进")
    BEHIND = "behind", _("滞后于进度")
    COMPLETED = "completed", _("已完成")


class TaskProgress(models.Model):
    """A progress report on one task, for one region and year, by one of the units the
    plan puts in charge of it (entered by a user who may report in that region).
    Reports are kept: the latest is the task's current state, the others its history."""

    task = models.ForeignKey(PlanTask, models.CASCADE, related_name="progress", verbose_name=_("规划任务"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("报告地区"))
    year = models.PositiveSmallIntegerField(_("报告年度"))
    unit = models.CharField(_("报告单位"), max_length=100)
    status = models.CharField(_("进展状态"), max_length=20, choices=ProgressStatus.choices)
    summary = models.TextField(_("进展情况"))
    problems = models.TextField(_("存在问题"), blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+",
                                    verbose_name=_("填报人"))
    reported_at = models.DateTimeField(_("填报时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("任务进展报告")
        verbose_name_plural = _("任务进展报告")
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["task", "region"])]

    def __str__(self) -> str:
        return f"{self.task} {self.year} {self.unit}"
