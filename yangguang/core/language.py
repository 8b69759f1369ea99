"""Names kept in data files in two languages: the one shown is the request's."""

from __future__ import annotations

from django.utils import translation


def english() -> bool:
    """Whether the active language is English (the interface is Chinese otherwise)."""
    return (translation.get_language() or "").startswith("en")


def in_language(zh: str, en: str) -> str:
    """``en`` on English pages when the data file gives it, else ``zh``."""
    return en if en and english() else zh
