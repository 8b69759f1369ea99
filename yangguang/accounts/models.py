"""Users, their roles and the regions each role is scoped to."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from yangguang.regions.models import Region


class Role(models.TextChoices):
    REGISTRAR = "registrar", _("录入员")
    REVIEWER = "reviewer", _("审核员")
    CIVIL_AFFAIRS = "civil_affairs", _("民政审定员")
    ANALYST = "analyst", _("统计员")
    MONITOR = "monitor", _("规划监测员")
    AUDITOR = "auditor", _("审计员")
    ADMINISTRATOR = "administrator", _("系统管理员")


class User(AbstractUser):
    failed_logins = models.PositiveSmallIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    # Sealed with AES-GCM (accounts.totp), never stored in clear.
    totp_secret = models.CharField(_("动态口令密钥"), max_length=128, blank=True)
    totp_enabled = models.BooleanField(_("启用动态口令"), default=False)
    # The time step of the last code accepted: a code is good once, even within its 30 s.
    totp_last_step = models.BigIntegerField(_("最近使用的动态口令时段"), default=0)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")


class RoleAssignment(models.Model):
    """One role of a user over one region and everything under it."""

    user = models.ForeignKey(User, models.CASCADE, related_name="roles", verbose_name=_("用户"))
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("地区"))
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region"], name="role_once_per_region"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} {self.region_id}"


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    name = models.CharField(_("用途"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("前缀"), max_length=8)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked = models.BooleanField(_("已吊销"), default=False)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"
