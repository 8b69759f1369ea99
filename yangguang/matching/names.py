"""What the probabilistic pass compares a name by: the name with common variant
characters made standard (``data/variants.csv``: 异体字, traditional forms, old
glyphs), and its toneless pinyin (homophones and most mistyped characters agree).
"""

from __future__ import annotations

import csv
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin
from pypinyin.seg.simpleseg import seg

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
    """Toneless pinyin of the standard name, syllables joined (``zhangzhe``).

    The same as ``lazy_pinyin`` of the whole name (a test compares the two): the name
    is cut into words as ``lazy_pinyin`` cuts it (a phrase such as 单于 is read as
    one), and each word is converted once per process, not once per name."""
    return "".join(map(_word_pinyin, seg(standard_name(name))))


@lru_cache(maxsize=65_536)
def _word_pinyin(word: str) -> str:
    return "".join(lazy_pinyin(word, style=Style.NORMAL, errors="default"))
