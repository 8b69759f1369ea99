"""What the platform's management commands share: translated help, a progress bar,
and the way a command refuses input (a message in the user's language, exit status 2)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, OutputWrapper
from django.utils.translation import gettext as _
from tqdm import tqdm

from yangguang.core.errors import ValidationFailed

#: Exit status for input the command refuses (unknown user, invalid password, …).
INVALID = 2


class TranslatedCommand(BaseCommand):
    """A command whose ``help`` may be a lazy translation (argparse wants plain text)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):  # type: ignore[override]
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)


class _Bar(tqdm):
    # No monitor thread (it only tunes how often a stalled bar redraws): an import
    # forks its worker process only from a process without other threads.
    monitor_interval = 0


def progress_bar(force: bool = False) -> tuple[tqdm, Callable[[int, int | None], None]]:
    """A progress bar on standard error (shown on a terminal, or when forced) and the
    ``progress(done, total)`` callback that imports call."""
    bar = _Bar(total=None, unit=_("行"), desc=_("导入"), file=sys.stderr,
               disable=not (force or sys.stderr.isatty()))

    def advance(done: int, total: int | None) -> None:
        if total is not None and bar.total != total:
            bar.total = total
            bar.refresh()
        if total is not None and done >= total:
            # Every row is read; writing the last ones and committing may take a while.
            bar.set_description_str(_("写入数据库"), refresh=False)
        bar.update(done - bar.n)

    return bar, advance


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
