"""Users. Roles and region scopes come with the staff-workspace issue; the custom user
model exists from the first migration so that they can be added without a data move."""

from django.contrib.auth.models import AbstractUser
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
