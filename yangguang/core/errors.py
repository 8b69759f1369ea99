"""Validation problems with stable codes and Chinese messages.

Every input path (forms, files, API, CLI) reports problems as ``Problem`` objects:
a stable ``code`` that tools can rely on, the ``field`` it concerns, and a message
rendered in the user's language (Chinese by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Problem:
    code: str
    field: str
    template: str | Promise
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return str(self.template).format(**self.params)


class ValidationFailed(Exception):
    """Raised by a service when its input breaks a rule; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
