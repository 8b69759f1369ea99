"""What the registry's commands share. The leading underscore keeps Django from
taking this module for a command."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from tqdm import tqdm

from yangguang.audit.services import Actor


def cli_actor() -> Actor:
    """The audit actor of a command: ``cli:`` and the login name of who ran it."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor the user database
        user = "unknown"
    return Actor(f"cli:{user}")


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


class TranslatedCommand(BaseCommand):
    """A command whose ``help`` may be a lazy translation (argparse wants plain text)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):  # type: ignore[override]
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)
