"""Messages a job stores for later readers (its log lines and its error), kept as a
message id and its parameters, and translated when a page shows them: a job runs in a
worker under the default language, but the page that shows its log may be English.

A stored message is a JSON object ``{"m": msgid, "p": {name: value}}``; a parameter may
itself be such a message (a row's validation message inside a log line). A msgid is
marked with ``gettext_noop`` where it is written, so ``makemessages`` finds it. Text
stored before this form (plain Chinese) is shown as it is.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext


def message(msgid: str, **params: Any) -> dict[str, Any]:
    """A message to store: ``msgid`` (untranslated) and its parameters (JSON values or
    other messages)."""
    return {"m": str(msgid), "p": params}


def encode(msgid: str, **params: Any) -> str:
    """``message`` as the text a log line or an error column holds."""
    return json.dumps(message(msgid, **params), ensure_ascii=False, default=str)


def _render(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("m"), str):
        text = gettext(value["m"]) if value["m"] else ""
        params = {name: _render(v) for name, v in (value.get("p") or {}).items()}
        try:
            return text.format(**params) if params else text
        except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder
            return value["m"].format(**params)
    return value


def render(stored: str) -> str:
    """A stored message in the active language; plain text (older rows) unchanged."""
    if not stored.startswith('{"m"'):
        return stored
    try:
        value = json.loads(stored)
    except ValueError:
        return stored
    return str(_render(value))
