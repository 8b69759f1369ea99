"""The English translation is complete, and the compiled catalogue matches it.

Chinese (zh-hans) is the source language in the code; every text a user can see has
an English entry in ``locale/en/LC_MESSAGES/django.po``. The compiled ``.mo`` is
committed so that running the platform needs no gettext tools, so these tests also
check that it was recompiled after the ``.po`` changed.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import translation
from django.utils.translation.template import templatize

from yangguang.registry.models import Sex

PACKAGE = Path(__file__).resolve().parents[2]
PO = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

# The functions whose string arguments `makemessages` extracts from Python code
# (xgettext's defaults for Python plus the keywords Django adds).
SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop"}
PLURAL = {"ngettext", "ngettext_lazy"}
CONTEXT = {"pgettext", "pgettext_lazy"}
CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}
FUNCTIONS = SINGULAR | PLURAL | CONTEXT | CONTEXT_PLURAL


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        """The key the message has in a compiled catalogue."""
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """The live entries of a PO file (obsolete ``#~`` entries are left out)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # which field a continuation line extends

    def start(number: int) -> Entry:
        nonlocal entry
        if entry is None or entry.msgstr:
            entry = Entry(line=number)
            entries.append(entry)
        return entry

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            start(number).flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            start(number)
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if match:
            keyword, index, value = match.groups()
            current = start(number) if keyword in ("msgctxt", "msgid") else entry
            assert current is not None, f"{path}:{number}: {keyword} before msgid"
            target = (keyword, int(index or 0))
            if keyword == "msgstr":
                current.msgstr[int(index or 0)] = _unquote(value)
            else:
                setattr(current, keyword, _unquote(value))
            continue
        assert line.startswith('"') and entry is not None and target, f"{path}:{number}: {raw}"
        keyword, index = target
        if keyword == "msgstr":
            entry.msgstr[index] += _unquote(line)
        else:
            setattr(entry, keyword, getattr(entry, keyword) + _unquote(line))
    return entries


def messages_in_python(path: Path) -> set[tuple[str | None, str]]:
    """(context, msgid) of every translatable literal in a Python file."""
    found: set[tuple[str | None, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in FUNCTIONS:
            continue
        literals = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                    for a in node.args]
        if name in CONTEXT | CONTEXT_PLURAL:
            if len(literals) >= 2 and literals[0] is not None and literals[1] is not None:
                found.add((literals[0], literals[1]))
        elif literals and literals[0] is not None:
            found.add((None, literals[0]))
    return found


_TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\(((?:\s*u?'(?:[^'\\]|\\.)*'\s*,?)+)")
_LITERAL = re.compile(r"u?'(?:[^'\\]|\\.)*'")


def messages_in_template(path: Path) -> set[tuple[str | None, str]]:
    """(context, msgid) of every translatable text in a template, as makemessages sees it."""
    found: set[tuple[str | None, str]] = set()
    for match in _TEMPLATE_CALL.finditer(templatize(path.read_text(encoding="utf-8"))):
        name = match.group(1)
        literals = [ast.literal_eval(lit) for lit in _LITERAL.findall(match.group(2))]
        if name.startswith(("pgettext", "npgettext")):
            found.add((literals[0], literals[1]))
        else:
            found.add((None, literals[0]))
    return found


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = parse_po(PO)

    assert len(entries) > 100
    problems = []
    for entry in entries:
        where = f"{PO.name}:{entry.line} {entry.msgid!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"{where} is fuzzy")
        expected = 2 if entry.msgid_plural is not None else 1
        if len(entry.msgstr) != expected or not all(s.strip() for s in entry.msgstr.values()):
            problems.append(f"{where} has no translation")
    assert problems == []


def test_the_compiled_catalogue_matches_the_po():
    with open(MO, "rb") as f:
        catalogue = gettext.GNUTranslations(f)._catalog  # noqa: SLF001 - the parsed .mo

    for entry in parse_po(PO):
        if entry.msgid == "":
            continue  # the header
        if entry.msgid_plural is None:
            assert catalogue.get(entry.key) == entry.msgstr[0], (
                f"{MO.name} is stale for {entry.msgid!r}: run `yangguang compilemessages`"
            )
        else:
            for index, text in entry.msgstr.items():
                assert catalogue.get((entry.key, index)) == text, entry.msgid


def test_every_translatable_text_in_the_code_is_in_the_po():
    in_po = {(e.msgctxt, e.msgid) for e in parse_po(PO)}
    in_code: dict[tuple[str | None, str], Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for message in messages_in_python(path):
            in_code.setdefault(message, path)
    for path in sorted(PACKAGE.rglob("templates/**/*.html")):
        for message in messages_in_template(path):
            in_code.setdefault(message, path)

    missing = sorted(f"{path.relative_to(PACKAGE)}: {msgid!r}"
                     for (ctx, msgid), path in in_code.items() if (ctx, msgid) not in in_po)
    assert missing == [], "run `yangguang makemessages -l en` and translate the new entries"


def test_translation_functions_are_imported_under_names_makemessages_knows():
    # `from django.utils.translation import gettext as _g` hides every `_g("…")` text
    # from makemessages, so it would never be translated.
    hidden = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                hidden += [f"{path.relative_to(PACKAGE)}: {a.name} as {a.asname}"
                           for a in node.names
                           if a.name in FUNCTIONS and a.asname and a.asname not in FUNCTIONS]
    assert hidden == [], "import it as `_` or by its own name"


def test_english_is_served_from_the_catalogue():
    with translation.override("en"):
        assert str(Sex.MALE.label) == "Male"
    with translation.override("zh-hans"):
        assert str(Sex.MALE.label) == "男"
