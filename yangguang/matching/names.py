"""What the probabilistic pass compares a name by: the name with common variant
characters made standard (``data/variants.csv``: 异体字, traditional forms, old
glyphs), and its toneless pinyin (homophones and most mistyped characters agree).
"""

from __future__ import annotations

import csv
import unicodedata
from functools import cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin

VARIANTS_FILE = Path(__file__).parent / "data" / "variants.csv"


@cache
def variants() -> dict[str, str]:
    """Variant character → standard character."""
    with open(VARIANTS_FILE, encoding="utf-8", newline="") as f:
        return {row["variant"]: row["standard"] for row in csv.DictReader(f)}


def standard_name(name: str) -> str:
    """The name with spaces and the middle dot dropped, full-width forms folded and
    variant characters made standard."""
    text = unicodedata.normalize("NFKC", name or "")
    table = variants()
    return "".join(table.get(ch, ch) for ch in text if not ch.isspace() and ch not in "·•・.")


def pinyin(name: str) -> str:
    """Toneless pinyin of the standard name, syllables joined (``zhangzhe``)."""
    return "".join(lazy_pinyin(standard_name(name), style=Style.NORMAL, errors="default"))
