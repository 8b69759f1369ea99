"""What the registry's commands share. The leading underscore keeps Django from
taking this module for a command."""

from __future__ import annotations

import getpass

from yangguang.audit.services import Actor


def cli_actor() -> Actor:
    """The audit actor of a command: ``cli:`` and the login name of who ran it."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor the user database
        user = "unknown"
    return Actor(f"cli:{user}")
