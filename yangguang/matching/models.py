"""Department lists, match runs and their candidates.

A list (``DepartmentList``) is what one department sent on one date: its kind, the
file's SHA-256 and its rows (``ListRow``). A row keeps what matching needs and never a
raw identity number: the platform's keyed hash of the normalised 18-digit number, or,
for a list the department hashed itself (``yangguang matching hash-list``), the
department's keyed hash. A run (``MatchRun``) compares a list with the registry; each
row's best match is a ``Candidate`` with its weight and the comparison levels behind it,
and a reviewer's decision.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdState(models.TextChoices):
    VALID = "valid", _("有效")
    MISSING = "missing", _("未填")
    INVALID = "invalid", _("无效")
    HASHED = "hashed", _("部门摘要")


class DepartmentList(models.Model):
    kind = models.CharField(_("名单类型"), max_length=40)
    department = models.CharField(_("提供部门"), max_length=50)
    list_date = models.DateField(_("名单日期"))
    file_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    #: The IDs in the file are the department's keyed hashes (not raw numbers).
    hashed = models.BooleanField(_("身份号码已由部门摘要"), default=False)
    #: For a hashed list: the fingerprint (``exchange.fingerprint``) of the exchange key
    #: its hashes were made under, known from its first run that matched by them.
    key_fingerprint = models.CharField(_("交换密钥指纹"), max_length=64, blank=True)
    uploaded_by = models.CharField(_("导入人"), max_length=150)
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("部门名单")
        verbose_name_plural = _("部门名单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "sha256"], name="department_list_file_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.list_date} {self.file_name}"


class ListRow(models.Model):
    department_list = models.ForeignKey(DepartmentList, models.CASCADE, related_name="rows",
                                        verbose_name=_("部门名单"))
    row = models.PositiveIntegerField(_("行号"))
    id_state = models.CharField(_("身份号码"), max_length=10, choices=IdState.choices)
    #: The platform's keyed hash of the normalised number (``core.crypto.hash_id``), or
    #: the department's for a hashed list; empty when the row has no usable number.
    id_hash = models.CharField(_("身份号码摘要"), max_length=64, blank=True)
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.PositiveSmallIntegerField(_("性别"), null=True, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    region_code = models.CharField(_("户籍地区划代码"), max_length=12, blank=True)
    #: The kind's own columns (死亡日期, 开始日期 …), as ISO text.
    facts = models.JSONField(_("名单内容"), default=dict)

    class Meta:
        verbose_name = _("名单行")
        verbose_name_plural = _("名单行")
        ordering = ["department_list", "row"]
        constraints = [
            models.UniqueConstraint(fields=["department_list", "row"], name="list_row_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.row}）"


class MatchRun(models.Model):
    department_list = models.ForeignKey(DepartmentList, models.CASCADE, related_name="runs",
                                        verbose_name=_("部门名单"))
    actor = models.CharField(_("比对人"), max_length=150)
    #: Region code prefixes the run compared with (empty: the whole registry).
    scope = models.JSONField(_("比对范围"), default=list)
    #: The fingerprint of the exchange key the run was given (a hashed list), else empty.
    key_fingerprint = models.CharField(_("交换密钥指纹"), max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    matched_exact = models.PositiveIntegerField(_("精确匹配"), default=0)
    matched_probable = models.PositiveIntegerField(_("概率匹配"), default=0)
    review = models.PositiveIntegerField(_("待复核"), default=0)
    unmatched = models.PositiveIntegerField(_("未匹配"), default=0)
    created_at = models.DateTimeField(_("比对时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("比对")
        verbose_name_plural = _("比对")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.department_list} {self.created_at:%Y-%m-%d %H:%M}"

    def summary(self) -> dict[str, int]:
        return {"rows": self.rows, "matched_exact": self.matched_exact,
                "matched_probable": self.matched_probable, "review": self.review,
                "unmatched": self.unmatched}


class MatchType(models.TextChoices):
    EXACT = "exact", _("精确匹配")
    PROBABLE = "probable", _("概率匹配")
    REVIEW = "review", _("待复核")
    NONE = "none", _("未匹配")


class Decision(models.TextChoices):
    PENDING = "pending", _("待复核")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已否决")


class ReportCounts(models.Model):
    """The part of the home page's count of discrepancies that runs every latest run's
    report (benefits' screening included), kept per user (``reports.finding_count``):
    forgotten when a run is made or a review decided (``services``), when the user's
    regions change, or when older than ``YANGGUANG_MATCHING_COUNTS_MAX_AGE`` seconds."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, primary_key=True,
                                related_name="+", verbose_name=_("用户"))
    #: The user's region prefixes for data comparison when it was counted.
    scope = models.JSONField(_("比对范围"), default=list)
    findings = models.PositiveIntegerField(_("差异"))
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("比对差异计数")
        verbose_name_plural = _("比对差异计数")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.findings}"


class Candidate(models.Model):
    """A list row's match in one run: the person (none for an unmatched row), how it
    was found, its match weight and the comparison levels behind it, the decision and
    what applying it did."""

    run = models.ForeignKey(MatchRun, models.CASCADE, related_name="candidates",
                            verbose_name=_("比对"))
    list_row = models.ForeignKey(ListRow, models.CASCADE, related_name="candidates",
                                 verbose_name=_("名单行"))
    person = models.ForeignKey("registry.Person", models.CASCADE, null=True, blank=True,
                               related_name="+", verbose_name=_("残疾人"))
    #: The person's hukou region code, for the scope of reviews and reports.
    region_code = models.CharField(_("户籍地区划代码"), max_length=12, blank=True)
    match_type = models.CharField(_("匹配方式"), max_length=10, choices=MatchType.choices)
    weight = models.FloatField(_("匹配权重"), null=True, blank=True)
    probability = models.FloatField(_("匹配概率"), null=True, blank=True)
    #: Comparison → level label (``{"姓名": "拼音相同", …}``), with each level's weight.
    levels = models.JSONField(_("比较结果"), default=list)
    decision = models.CharField(_("复核结果"), max_length=10, choices=Decision.choices,
                                default=Decision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("复核人"))
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    #: What applying the confirmed match did (``applied``, ``unchanged``, or a reason
    #: it could not), in the kind's words.
    effect = models.CharField(_("处理结果"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("比对结果")
        verbose_name_plural = _("比对结果")
        ordering = ["run", "list_row__row"]
        indexes = [
            models.Index(fields=["match_type", "decision", "region_code"], name="candidate_queue"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "list_row"], name="candidate_row_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.list_row} → {self.person_id or '-'}（{self.match_type}）"
