"""The authentication backend: Django's model backend that also refuses locked accounts.

Counting failures, locking and auditing happen in ``accounts.services.check_password_login``,
which the login page calls; this backend makes sure that nothing else that calls
``django.contrib.auth.authenticate`` lets a locked account in.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone


class StaffBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        locked_until = getattr(user, "locked_until", None)
        if locked_until is not None and locked_until > timezone.now():
            return False
        return super().user_can_authenticate(user)
