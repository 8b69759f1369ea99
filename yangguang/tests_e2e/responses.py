"""Reading a response's text, whatever it is: a page, JSON, CSV, a spreadsheet.

The walker looks for other counties' persons in everything a route returns, so a
file download is opened (XLSX cells are read) and JSON is decoded (its ``\\uXXXX``
escapes would hide Chinese names from a plain byte search).
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from typing import Any

from django.http import HttpResponseBase

_ENCODINGS = ("utf-8", "gb18030", "utf-16")


def body(response: HttpResponseBase) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined]


def texts(response: HttpResponseBase) -> list[str]:
    """Every reading of the response body that a person's name could hide in."""
    raw = body(response)
    out: list[str] = []
    if raw.startswith(b"PK"):  # XLSX, DOCX and other zip containers
        out.append(_zip_text(raw))
    for encoding in _ENCODINGS:
        try:
            out.append(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    content_type = response.get("Content-Type", "")
    if "json" in content_type:
        with contextlib.suppress(ValueError):
            out.append(json.dumps(json.loads(raw), ensure_ascii=False))
    for header in ("Location", "Content-Disposition", "HX-Redirect"):
        if response.has_header(header):
            out.append(response[header])
    return out


def _zip_text(raw: bytes) -> str:
    """The text in a zip container: XLSX cells (through openpyxl) or every XML member."""
    parts: list[str] = []
    try:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                parts += [str(v) for v in row if v is not None]
    except Exception:  # noqa: BLE001 - not a workbook: read the members as text below
        pass
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for member in archive.namelist():
            parts.append(archive.read(member).decode("utf-8", errors="replace"))
    return "\n".join(parts)


def leaks(response: HttpResponseBase, secrets: list[str]) -> list[str]:
    """The ``secrets`` that appear anywhere in the response."""
    found: list[str] = []
    readings = texts(response)
    for secret in secrets:
        if any(secret in text for text in readings):
            found.append(secret)
    return found


def describe(response: HttpResponseBase) -> dict[str, Any]:
    location = response.get("Location", "")
    return {"status": response.status_code, **({"location": location} if location else {})}
