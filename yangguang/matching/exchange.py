"""Privacy-preserving exchange: a department replaces identity numbers by keyed
hashes before it sends a list, and the platform matches on the hashes.

The hash is HMAC-SHA256 under the exchange key over the normalised 18-digit number
(full-width digits and spaces folded, a lower-case x made upper-case, a legacy
15-digit number upgraded first: ``registry.validation.parse_id_number``), in lower-
case hex. The key (32 random bytes, base64 in a one-line file) is made by
``yangguang matching new-key`` and exchanged out of band (docs/matching.md); the
platform keeps no key and no raw number of a hashed list: the registry's side is
hashed under the key given to the run, in memory.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from yangguang.core.crypto import HmacSha256, decrypt_id
from yangguang.core.errors import ValidationFailed
from yangguang.registry import validation as v

ID_HEADER = "公民身份号码"
HASH_HEADER = "身份号码摘要"


class ExchangeError(ValueError):
    """The key or the file cannot be used."""


def new_key() -> str:
    """A fresh exchange key, base64 (what the key file holds)."""
    return encode_key(os.urandom(32)).strip()


def parse_key(text: str | bytes) -> bytes:
    """The exchange key a key file holds (base64 of 32 bytes, surrounding blanks ignored)."""
    try:
        if isinstance(text, bytes):
            text = text.decode("ascii")
        key = base64.b64decode(text.strip(), validate=True)
    except (UnicodeDecodeError, binascii.Error) as exc:
        raise ExchangeError(_("无法读取密钥文件：{error}").format(error=exc)) from None
    if len(key) < 32:
        raise ExchangeError(_("密钥太短：应为32字节随机数的base64（yangguang matching new-key 生成）"))
    return key


#: What a key's fingerprint is the HMAC of (any fixed text would do; never change it).
FINGERPRINT_TEXT = b"yangguang exchange key fingerprint v1"


def fingerprint(key: bytes) -> str:
    """The key's fingerprint: the first 16 hex digits of HMAC-SHA256 under the key of a
    fixed text. Two keys are told apart by it; it reveals neither, nor any hash."""
    return HmacSha256(key).hex(FINGERPRINT_TEXT)[:16]


def encode_key(key: bytes) -> str:
    """A key file's content for ``key``."""
    return base64.b64encode(key).decode("ascii") + "\n"


def read_key(path: str | Path) -> bytes:
    """The exchange key in the file ``path``."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ExchangeError(_("无法读取密钥文件：{error}").format(error=exc)) from None
    return parse_key(data)


def normalised(value: Any) -> str | None:
    """The 18-digit number (legacy 15-digit ones upgraded); None if missing or invalid."""
    if value is None or v.clean_text(value) == "":
        return None
    try:
        return v.parse_id_number(value).normalized
    except ValidationFailed:
        return None


class Hasher:
    """HMAC-SHA256 of normalised numbers under one exchange key."""

    def __init__(self, key: bytes) -> None:
        self._mac = HmacSha256(key).hex

    def of(self, value: Any) -> str:
        """The hash of a number as written; empty when it is missing or invalid."""
        number = normalised(value)
        return self._mac(number.encode("ascii")) if number else ""

    def of_normalised(self, number: str) -> str:
        return self._mac(number.encode("ascii"))

    def of_encrypted(self, rows: Iterable[tuple[Any, bytes]]) -> Iterator[tuple[str, Any]]:
        """(hash, key) of each registry (key, encrypted number), decrypted in memory."""
        mac = self._mac
        for key, blob in rows:
            yield mac(decrypt_id(blob).encode("ascii")), key


def _read_rows(path: Path) -> list[list[Any]]:
    if path.suffix.lower() in (".xlsx", ".xls"):
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        return [list(r) for r in book.get_sheet_by_index(0).to_python(skip_empty_area=False)]
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ExchangeError(_("无法识别文件的字符编码：请存为 UTF-8 或 GB18030 的 CSV"))
    return [row for row in csv.reader(io.StringIO(text))]


def hash_list(source: str | Path, key: bytes, out: str | Path) -> tuple[int, int]:
    """Write ``source`` to ``out`` with its 公民身份号码 column replaced by 身份号码摘要
    (empty for a missing or invalid number); every other column as it was. CSV out
    unless ``out`` ends in .xlsx. Returns (data rows, rows hashed)."""
    source, out = Path(source), Path(out)
    rows = _read_rows(source)
    if not rows:
        raise ExchangeError(_("文件是空的"))
    header = [v.clean_text(h) for h in rows[0]]
    if ID_HEADER not in header:
        raise ExchangeError(_("第1行没有“{header}”列").format(header=ID_HEADER))
    column = header.index(ID_HEADER)
    hasher = Hasher(key)
    header[column] = HASH_HEADER
    written, hashed = [header], 0
    for row in rows[1:]:
        row = list(row) + [None] * (len(header) - len(row))
        digest = hasher.of(row[column])
        hashed += bool(digest)
        row[column] = digest
        written.append(["" if c is None else c for c in row])
    if out.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("名单")
        for row in written:
            sheet.append(row)
        book.save(out)
    else:
        with open(out, "w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(written)
    return len(written) - 1, hashed
