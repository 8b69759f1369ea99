"""What the account commands share. The leading underscore keeps Django from taking
this module for a command."""

from __future__ import annotations

import getpass
import sys
from typing import Any, NoReturn

from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from yangguang.core.errors import ValidationFailed

#: Exit status for input the command refuses (unknown user, invalid password, …).
INVALID = 2


def fail(stderr: OutputWrapper, error: ValidationFailed | str) -> NoReturn:
    """Print the problems, in the user's language, and exit with ``INVALID``."""
    messages = [p.message for p in error.problems] if isinstance(error, ValidationFailed) else [error]
    for message in messages:
        stderr.write(_("错误：{message}").format(message=message))
    sys.exit(INVALID)


def read_password(options: dict[str, Any], stderr: OutputWrapper) -> str:
    """The new password: one line from standard input with ``--password-stdin``,
    otherwise typed twice at a prompt that does not echo."""
    if options["password_stdin"]:
        stdin = options.get("stdin") or sys.stdin
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass(_("密码："))
    if first != getpass.getpass(_("再次输入密码：")):
        fail(stderr, _("两次输入的密码不一致"))
    return first
