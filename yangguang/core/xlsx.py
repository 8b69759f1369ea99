"""Writing stored text into XLSX files safely, whatever a user typed.

Every spreadsheet the platform writes goes through these functions, because openpyxl,
given a plain ``str``, turns ``=HYPERLINK(…)`` into a live formula cell, ``#N/A`` into an
error cell, and raises ``IllegalCharacterError`` on a control character (one sign-in
attempt with such a user name used to break every audit export over its period).

The rules:

- Text is always a string cell (``t="inlineStr"``), never a formula or an error, and is
  written as typed, so an error report or export can be imported again unchanged.
- Text that a spreadsheet would read as a formula when the cell is edited (it begins with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, as OWASP's CSV-injection guidance
  lists) also gets the cell's *quote prefix*: Excel and LibreOffice show it as text and keep
  it text after the cell is edited, without an apostrophe being added to the value.
- Characters XML 1.0 cannot hold (C0 controls other than tab, line feed and carriage
  return; lone surrogates; U+FFFE/U+FFFF) are replaced by a visible escape such as ``\\x0b``,
  so the reader sees that something was there.
- A text longer than a cell holds (32,767 characters) is cut, ending with ``…``, instead of
  producing a file Excel has to repair.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# The characters XML 1.0 forbids (tab, LF and CR are allowed).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# What makes a spreadsheet read the text as a formula when the cell is entered again.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32767
_ERROR_CODES = frozenset(ERROR_CODES)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean_text(value: str) -> str:
    """``value`` with the characters XML cannot hold made visible escapes, cut to a cell's
    length."""
    value = _ILLEGAL.sub(_escape, value)
    if len(value) > MAX_CELL_TEXT:
        value = value[:MAX_CELL_TEXT - 1] + "…"
    return value


def _needs_cell(value: str) -> bool:
    return value.startswith(FORMULA_TRIGGERS) or value in _ERROR_CODES


def set_value(cell: WriteOnlyCell, value: Any) -> WriteOnlyCell:
    """Give ``cell`` (possibly one reused row after row) the value, text stored as text."""
    if not isinstance(value, str):
        cell.value = value
        cell.quotePrefix = False
        return cell
    value = clean_text(value)
    cell.value = value
    cell.data_type = "s"  # never "f" (formula) or "e" (error)
    cell.quotePrefix = value.startswith(FORMULA_TRIGGERS)
    return cell


def cell(sheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """A write-only cell holding ``value`` safely (text as text)."""
    return set_value(WriteOnlyCell(sheet), value)


def safe(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """``value`` ready for ``sheet.append``: unchanged when openpyxl would store it as is
    (the fast path for the many plain values), else a safe cell."""
    if isinstance(value, str) and (_needs_cell(value) or _ILLEGAL.search(value)
                                   or len(value) > MAX_CELL_TEXT):
        return cell(sheet, value)
    return value


def row(sheet: WriteOnlyWorksheet, values: Iterable[Any]) -> list[Any]:
    """A row of values ready for ``sheet.append`` (see ``safe``)."""
    return [safe(sheet, value) for value in values]


__all__ = ["FORMULA_TRIGGERS", "MAX_CELL_TEXT", "cell", "clean_text", "row", "safe", "set_value"]
