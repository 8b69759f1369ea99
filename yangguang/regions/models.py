"""The administrative division tree (GB/T 2260 with NBS 12-digit statistical codes)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


def code_prefix(path: str) -> str:
    """The code prefix of the subtree at ``path`` (``63/6301/`` → ``6301``): the
    ``short_code`` of the region at that path, for callers that hold only paths.

    Every region whose path starts with ``path`` has a code starting with this
    prefix, and no other region has (a test checks it on the shipped data), so a
    subtree of persons is a prefix match on their region code: no join with the
    region table.
    """
    return path.rstrip("/").rsplit("/", 1)[-1]


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("省级")
    PREFECTURE = 2, _("地级")
    COUNTY = 3, _("县级")
    TOWNSHIP = 4, _("乡级")
    VILLAGE = 5, _("村级")


class Region(models.Model):
    """One division, keyed by its 12-digit statistical code.

    ``path`` lists the significant code prefixes from the province down, ending with
    "/" (``63/6301/630102/``), so a subtree is ``path__startswith=region.path``.
    Divisions that were renamed or merged away keep their row with ``valid_until``
    set, so historical ID birthplaces and old records still resolve.
    """

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("级别"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("上级区划"),
    )
    path = models.CharField(_("路径"), max_length=64)
    valid_from = models.DateField(_("启用日期"), null=True, blank=True)
    valid_until = models.DateField(_("停用日期"), null=True, blank=True)
    urban_rural_class = models.CharField(_("城乡分类代码"), max_length=3, blank=True)
    former_names = models.CharField(_("曾用名"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["level", "code"]),
            # LIKE 'prefix%' on PostgreSQL needs the pattern operator class.
            models.Index(
                fields=["path"], name="region_path_like", opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def short_code(self) -> str:
        """The significant prefix: 2 digits for a province, 4, 6, 9 or 12 below it."""
        return self.code[: (0, 2, 4, 6, 9, 12)[self.level]]

    @property
    def is_current(self) -> bool:
        return self.valid_until is None
