"""The one rule for free text that people type: no control characters.

Control characters are invisible on screen, break the XML of spreadsheets and make log
lines and audit entries misleading; lone surrogates (which a JSON body can carry as
``"\\ud800"``) cannot even be encoded in a response. Forms (``validator``), the API
(its JSON parser and text fields) and imports (``check_text``) all refuse them here,
with the same code and message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yangguang.core.errors import Problem, ValidationFailed

CODE = "text_invalid"
MESSAGE = _("{label}不能包含控制字符或无效字符")

#: One line of text, as a regular expression that schema languages take too (OpenAPI,
#: pydantic): no C0 or C1 control character, no DEL.
LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
# The same, plus lone surrogates and the two non-characters XML refuses.
_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# The same, but tab, line feed and carriage return are allowed in text of several lines.
_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_clean(value: str, *, multiline: bool = False) -> bool:
    """Whether ``value`` holds no character this rule refuses."""
    return not (_LINES if multiline else _LINE).search(value)


def has_surrogate(value: str) -> bool:
    """Whether ``value`` holds a lone surrogate (only a decoded JSON string can)."""
    return bool(_SURROGATE.search(value))


def problem(field: str, label: Any) -> Problem:
    """The problem this rule reports for ``field``."""
    return Problem(CODE, field, MESSAGE, {"label": label})


def check_text(value: Any, *, field: str, label: Any, multiline: bool = False) -> Any:
    """``value`` unchanged if it is not text or breaks no rule; else ``ValidationFailed``."""
    if isinstance(value, str) and not is_clean(value, multiline=multiline):
        raise ValidationFailed([problem(field, label)])
    return value


def validator(label: Any, *, multiline: bool = False) -> Callable[[Any], None]:
    """A form field validator applying this rule, its message naming ``label``."""

    def validate(value: Any) -> None:
        if isinstance(value, str) and not is_clean(value, multiline=multiline):
            raise ValidationError(MESSAGE.format(label=label), code=CODE)

    return validate


__all__ = ["CODE", "LINE_PATTERN", "MESSAGE", "check_text", "has_surrogate", "is_clean", "problem", "validator"]
