"""The registry of disabled persons (残疾人口基础信息数据库).

Models hold data and invariants only; every write goes through ``services.py``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yangguang.jobs.messages import render as render_message
from yangguang.regions.models import Region


class Sex(models.IntegerChoices):
    MALE = 1, _("男")
    FEMALE = 2, _("女")


class Category(models.IntegerChoices):
    """Disability category codes of 《残疾人证管理办法》 Art. 5."""

    VISUAL = 1, _("视力残疾")
    HEARING = 2, _("听力残疾")
    SPEECH = 3, _("言语残疾")
    PHYSICAL = 4, _("肢体残疾")
    INTELLECTUAL = 5, _("智力残疾")
    MENTAL = 6, _("精神残疾")
    MULTIPLE = 7, _("多重残疾")


class Level(models.IntegerChoices):
    """Disability levels; 1 is the most severe, 重度 = 1–2."""

    ONE = 1, _("一级")
    TWO = 2, _("二级")
    THREE = 3, _("三级")
    FOUR = 4, _("四级")


class Relation(models.TextChoices):
    """Relation to the head of the household (与户主关系)."""

    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    SIBLING = "sibling", _("兄弟姐妹")
    GRANDPARENT = "grandparent", _("祖父母/外祖父母")
    GRANDCHILD = "grandchild", _("孙子女/外孙子女")
    CHILD_IN_LAW = "child_in_law", _("儿媳/女婿")
    OTHER = "other", _("其他")


class EconomicStatus(models.TextChoices):
    DIBAO = "dibao", _("低保")
    NEAR_DIBAO = "near_dibao", _("低保边缘")
    TEKUN = "tekun", _("特困")
    LOW_INCOME = "low_income", _("低收入")
    POVERTY_EXITED = "poverty_exited", _("脱贫户")
    MONITORED = "monitored", _("防止返贫监测户")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("有效")
    EXPIRED = "expired", _("过期")
    FROZEN = "frozen", _("冻结")
    CANCELLED = "cancelled", _("注销")


class StatusReason(models.TextChoices):
    ISSUED = "issued", _("首次发证")
    RENEWED = "renewed", _("换领")
    EXPIRED = "expired", _("有效期满")
    DEATH = "death", _("死亡")
    MOVED_AWAY = "moved_away", _("户籍迁出")
    NO_LONGER_ELIGIBLE = "no_longer_eligible", _("不再符合残疾标准")
    REASSESSED = "reassessed", _("类别或等级变更")
    REISSUED = "reissued", _("挂失补办")
    VOLUNTARY = "voluntary", _("本人申请")
    RESTORED = "restored", _("恢复")
    OTHER = "other", _("其他")


class Household(models.Model):
    number = models.CharField(_("家庭编号"), max_length=32)  # unique below
    region = models.ForeignKey(  # indexed below, for the scope's prefix match
        Region, models.PROTECT, related_name="+", verbose_name=_("所在地区"), db_index=False,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("家庭")
        verbose_name_plural = _("家庭")
        # One index each, not the two (plain and LIKE) Django would make: the pattern
        # operator class serves both equality and the scope's code-prefix match.
        indexes = [models.Index(fields=["region"], name="household_region_like",
                                opclasses=["varchar_pattern_ops"])]
        constraints = [models.UniqueConstraint(fields=["number"], name="household_number_unique")]

    def __str__(self) -> str:
        return self.number


class HouseholdStatus(models.Model):
    """A period in which a household held an economic status (低保, 特困 …)."""

    household = models.ForeignKey(
        Household, models.CASCADE, related_name="statuses", verbose_name=_("家庭"),
    )
    status = models.CharField(_("经济状况"), max_length=20, choices=EconomicStatus.choices)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("家庭经济状况")
        verbose_name_plural = _("家庭经济状况")
        ordering = ["household", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="household_status_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.status} {self.start_date}–{self.end_date or ''}"


class Person(models.Model):
    """A person in the registry, identified by the resident ID number.

    The ID number is stored encrypted (AES-GCM) with a keyed hash for exact lookup;
    ``id_number_masked`` is what screens show.
    """

    id_number_encrypted = models.BinaryField(_("公民身份号码（密文）"))
    id_number_hash = models.CharField(_("公民身份号码（检索摘要）"), max_length=64)  # unique below
    id_number_masked = models.CharField(_("公民身份号码"), max_length=18)
    name = models.CharField(_("姓名"), max_length=50)  # indexed with the region below
    sex = models.PositiveSmallIntegerField(_("性别"), choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    ethnicity = models.CharField(_("民族"), max_length=2, blank=True)
    hukou_region = models.ForeignKey(  # indexed with the name below
        Region, models.PROTECT, related_name="+", verbose_name=_("户籍地"), db_index=False,
    )
    residence_region = models.ForeignKey(  # a plain index below, no LIKE index
        Region, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("居住地"), db_index=False,
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    guardian_name = models.CharField(_("监护人姓名"), max_length=50, blank=True)
    guardian_phone = models.CharField(_("监护人电话"), max_length=20, blank=True)
    guardian_relation = models.CharField(
        _("监护人关系"), max_length=20, choices=Relation.choices, blank=True,
    )
    household = models.ForeignKey(
        Household, models.PROTECT, null=True, blank=True, related_name="members",
        verbose_name=_("家庭"),
    )
    relation_to_head = models.CharField(
        _("与户主关系"), max_length=20, choices=Relation.choices, blank=True,
    )
    deceased_date = models.DateField(_("死亡日期"), null=True, blank=True)
    #: The hukou moved out of the county that holds the record, without a transfer
    #: (迁移) of the certificate: the daily job freezes and then cancels the
    #: certificate (``rules.moved_away_step``). A transfer clears it.
    moved_away_on = models.DateField(_("户籍迁出日期"), null=True, blank=True)
    moved_to_region = models.ForeignKey(
        Region, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("迁入地"), db_index=False,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("残疾人")
        verbose_name_plural = _("残疾人")
        # Every index slows the import and every write: these are the ones the reads
        # need. Scopes and region filters are prefixes of the hukou region code, and
        # both indexes end with the id, so a search is an index-only scan that sorts
        # its matches by id:
        # - (region, name, id): a county-sized scope (any part of a name is checked in
        #   the index), or listing a region;
        # - (name, region, id): what the name search used while it matched prefixes
        #   only; dropping it (a faster import) is a change to measure on its own.
        # A name's part in a prefecture, a province or the country: on PostgreSQL the
        # GIN index of its characters (person_name_characters, migration 0008).
        # The plain text indexes Django would add (and their LIKE twins) are left out.
        indexes = [
            models.Index(fields=["hukou_region", "name", "id"], name="person_region_name_id",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "int8_ops"]),
            models.Index(fields=["name", "hukou_region", "id"], name="person_name_region_id",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "int8_ops"]),
            models.Index(fields=["residence_region"], name="person_residence_region"),
            # Only the few who moved away: the daily job and the worklist read them.
            models.Index(fields=["moved_away_on"], name="person_moved_away_on",
                         condition=Q(moved_away_on__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["id_number_hash"], name="person_id_number_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"


class Certificate(models.Model):
    """A disability certificate (残疾人证).

    Its number is the holder's 18-character ID number, the category digit and the
    level digit, with ``B1``, ``B2`` … for reissues. Because the number contains the
    ID number it is never stored: it is rebuilt from the encrypted ID, the category,
    the level and ``reissue_count`` (see ``number`` / ``number_masked``).
    """

    person = models.ForeignKey(  # indexed by the number's unique constraint
        Person, models.PROTECT, related_name="certificates", verbose_name=_("持证人"),
        db_index=False,
    )
    reissue_count = models.PositiveSmallIntegerField(_("补发次数"), default=0)
    category = models.PositiveSmallIntegerField(_("残疾类别"), choices=Category.choices)
    level = models.PositiveSmallIntegerField(_("残疾等级"), choices=Level.choices)
    components = models.JSONField(
        _("多重残疾明细"), default=list, blank=True,
        help_text=_("多重残疾的各类别及等级，如 [{\"category\": 1, \"level\": 2}]"),
    )
    issue_date = models.DateField(_("发证日期"))
    valid_until = models.DateField(_("有效期至"))
    status = models.CharField(
        _("状态"), max_length=10, choices=CertificateStatus.choices,
        default=CertificateStatus.VALID,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("残疾人证")
        verbose_name_plural = _("残疾人证")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "category", "level", "reissue_count"],
                name="certificate_number_unique",
            ),
            # A person holds at most one certificate that has not been cancelled.
            models.UniqueConstraint(
                fields=["person"], condition=~Q(status="cancelled"),
                name="one_open_certificate_per_person",
            ),
            models.CheckConstraint(
                condition=Q(category__gte=1, category__lte=7), name="certificate_category_range",
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="certificate_level_range",
            ),
        ]

    def __str__(self) -> str:
        return self.number_masked

    @property
    def suffix(self) -> str:
        """What follows the ID number: category, level and any reissue suffix."""
        from yangguang.registry.rules import certificate_suffix  # (rules import the models)

        return certificate_suffix(self.category, self.level, self.reissue_count)

    @property
    def number_masked(self) -> str:
        return self.person.id_number_masked + self.suffix

    def number(self) -> str:
        """The full certificate number. Decrypts the ID: callers audit the reveal."""
        from yangguang.core.crypto import decrypt_id

        return decrypt_id(self.person.id_number_encrypted) + self.suffix


class CertificateStatusChange(models.Model):
    """The status history of a certificate; the last entry is its current status."""

    certificate = models.ForeignKey(
        Certificate, models.CASCADE, related_name="history", verbose_name=_("残疾人证"),
    )
    status = models.CharField(_("状态"), max_length=10, choices=CertificateStatus.choices)
    reason = models.CharField(_("原因"), max_length=20, choices=StatusReason.choices)
    effective_date = models.DateField(_("生效日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证件状态变更")
        verbose_name_plural = _("证件状态变更")
        ordering = ["certificate", "effective_date", "id"]

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.status} {self.effective_date}"


class Assessment(models.Model):
    """A disability assessment (残疾评定) by a designated institution."""

    person = models.ForeignKey(
        Person, models.PROTECT, related_name="assessments", verbose_name=_("评定对象"),
    )
    category = models.PositiveSmallIntegerField(_("残疾类别"), choices=Category.choices)
    level = models.PositiveSmallIntegerField(_("残疾等级"), choices=Level.choices)
    components = models.JSONField(_("多重残疾明细"), default=list, blank=True)
    institution = models.CharField(_("评定机构"), max_length=100)
    assessor = models.CharField(_("评定人"), max_length=50, blank=True)
    assessed_on = models.DateField(_("评定日期"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("残疾评定")
        verbose_name_plural = _("残疾评定")
        ordering = ["person", "assessed_on"]

    def __str__(self) -> str:
        return f"{self.person_id} {self.category}-{self.level} {self.assessed_on}"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("等待开始")
    RUNNING = "running", _("正在导入")
    DONE = "done", _("已完成")
    FAILED = "failed", _("无法导入")


class ImportJob(models.Model):
    """A file uploaded on the import page, and what importing it did.

    The uploaded file is kept under ``MEDIA_ROOT/imports`` with a random name only
    until the import has run to its end; its background ``job`` has the live progress,
    this row the outcome (counts and the first row errors, in ``result``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("导入人"),
    )
    #: The import kind (``yangguang.imports.spec``): ``persons``, ``household-statuses`` …
    kind = models.CharField(_("导入类型"), max_length=40, default="persons")
    file_name = models.CharField(_("文件名"), max_length=255)
    dry_run = models.BooleanField(_("仅检查"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=ImportJobStatus.choices,
                              default=ImportJobStatus.QUEUED)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    #: The background job that runs the import (``registry.services.import_jobs``).
    job = models.OneToOneField("jobs.Job", models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("后台任务"))

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (ImportJobStatus.DONE, ImportJobStatus.FAILED)

    @property
    def error_message(self) -> str:
        """Why the import failed, in the active language (``jobs.messages``)."""
        return render_message(self.error)
