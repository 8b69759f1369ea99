"""Checking an import's rows a block at a time, by columns (polars).

A block of a file's rows becomes a frame of text columns, one per template column.
``check`` applies the field rules of ``validation.py`` to the whole block: the rules
run once per *distinct* value of a column (a file of a hundred thousand persons
holds a few hundred region codes, categories and issue dates), and the rules that
tell every row apart — the ID number's format, check digit and birth date, the
certificate number's agreement with the ID, category and level — are computed on
the columns themselves.

The columns only ever *accept* a row. Whenever a row is not plainly good (any
problem, a cell of a type other than text, an ID that needs upgrading or cleaning)
it is handed back, and ``rules.parse_row`` checks it: so every problem and its
message come from ``parse_row`` alone, and for every row both accept they give the
same person (``test_columnar.py`` compares the two on generated and mutated rows).

Every pattern and limit here is ``validation``'s own (``ID_NUMBER``,
``EARLIEST_BIRTH_YEAR``, ``ID_CHECK_WEIGHTS``, ``CERTIFICATE_NUMBER``, ``PHONE``,
``PLAIN_NAME`` …): this module adds none, so the two paths cannot drift apart
(``test_columnar`` checks edge values through both).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from yangguang.core.errors import ValidationFailed
from yangguang.registry import validation as v
from yangguang.registry import vocabulary
from yangguang.registry.models import Sex
from yangguang.registry.services import CertificateData, PersonData

#: The template's columns, which a block's frame carries.
KEYS = tuple(key for key, _header, _required in vocabulary.COLUMNS)
_DATE_KEYS = frozenset(("issue_date", "birth_date"))
_UNCONVERTED = object()


def cell_text(key: str, cell: Any) -> Any:
    """A cell as the text the rules read it as; ``_UNCONVERTED`` when the rules read it
    otherwise (a number in a date or ID column, an uncomputed formula, a truth value):
    its row is then checked by ``parse_row``.

    Every rule begins with ``clean_text``, which makes ``4.0`` ``4`` and a blank ``""``;
    a date is read as the day it names, in the ISO form ``parse_date`` reads as that day.
    """
    if type(cell) is str:
        return cell
    if cell is None:
        return ""
    if key in _DATE_KEYS:
        if type(cell) is dt.datetime:
            return cell.date().isoformat()
        if type(cell) is dt.date:
            return cell.isoformat()
        return _UNCONVERTED
    if key != "id_number" and type(cell) in (int, float):
        return v.clean_text(cell)
    return _UNCONVERTED


@dataclass
class Block:
    """Rows of a file: their spreadsheet row numbers, a frame of their cells as text
    (``KEYS`` columns and ``_unconverted``: a row with a cell ``cell_text`` could not
    read), and how to get a row's cells as the file gave them (by index in the block)."""

    numbers: list[int]
    frame: pl.DataFrame
    cells: Callable[[int], dict[str, Any]]

    def __len__(self) -> int:
        return len(self.numbers)


def block_of(numbers: list[int], rows: list[dict[str, Any]]) -> Block:
    """A block of rows given as dicts by column key (cells of any type)."""
    columns: dict[str, list[Any]] = {}
    unconverted = [False] * len(rows)
    for key in KEYS:
        texts = []
        for i, cells in enumerate(rows):
            text = cell_text(key, cells.get(key))
            if text is _UNCONVERTED:
                unconverted[i] = True
                text = ""
            texts.append(text)
        columns[key] = texts
    frame = pl.DataFrame({**columns, "_unconverted": unconverted},
                         schema={**dict.fromkeys(KEYS, pl.String), "_unconverted": pl.Boolean})
    return Block(numbers, frame, rows.__getitem__)


def text_block(numbers: list[int], frame: pl.DataFrame) -> Block:
    """A block of text cells (a CSV file's): ``frame`` has a String column per key it
    has (blank cells ""), and lacks the others."""
    frame = frame.with_columns(
        *[pl.lit("", pl.String).alias(k) for k in KEYS if k not in frame.columns],
        pl.lit(False).alias("_unconverted"),
    ).select(*KEYS, "_unconverted")

    def cells(i: int) -> dict[str, Any]:
        return dict(zip(KEYS, frame.row(i), strict=False))

    return Block(numbers, frame, cells)


# ---------------------------------------------------------------------------
# Checking


@dataclass
class Checked:
    """What ``check`` found in a block: the rows accepted, as typed columns (``i``: the
    row's index in the block), and the indexes of the others, in order."""

    accepted: pl.DataFrame
    others: list[int]


class Rules:
    """The rules of ``parse_row`` by column, each applied once per distinct value (its
    answers remembered for the rest of the import)."""

    def __init__(self, today: dt.date):
        self.today = today
        self.rules: dict[str, tuple[Callable[[Any], Any], Any]] = {
            "name": (v.parse_name, pl.String),
            "category": (v.parse_category, pl.Int16),
            "level": (v.parse_level, pl.Int16),
            "hukou_region": (lambda x: v.parse_region_code(
                x, field="hukou_region", label=v.HUKOU_LABEL), pl.String),
            "residence_region": (lambda x: v.parse_region_code(
                x, field="residence_region", label=v.RESIDENCE_LABEL, required=False), pl.String),
            "issue_date": (lambda x: v.parse_date(
                x, field="issue_date", label=v.ISSUE_DATE_LABEL, today=today), pl.Date),
            "birth_date": (v.given_birth_date, pl.Date),
            "sex": (lambda x: _int_or_none(v.given_sex(x)), pl.Int16),
            "ethnicity": (v.parse_ethnicity, pl.String),
            "phone": (v.parse_phone, pl.String),
            "household_number": (v.parse_household_number, pl.String),
            "relation_to_head": (v.parse_relation, pl.String),
        }
        # Values that are, plainly, their own clean value (for dates: the ISO form of a
        # day not after the one given, as ``parse_date`` reads it), recognised on the
        # column, so the rule need not see them. Each pattern admits only values its
        # rule returns unchanged (``test_columnar`` checks this).
        self.plain: dict[str, str | dt.date] = {
            **PLAIN, "issue_date": today, "birth_date": dt.date.today(),  # (parse_date's "today")
        }
        self.answers: dict[str, dict[Any, Any]] = {key: {} for key in self.rules}
        self.components: dict[tuple[str, int, int], Any] = {}
        self.birthplaces: dict[tuple[str, int], bool] = {}

    def plain_value(self, key: str) -> tuple[pl.Expr, pl.Expr] | None:
        """(whether a cell is plain, its clean value) for a column with plain values."""
        plain, column = self.plain.get(key), pl.col(key)
        if plain is None:
            return None
        if isinstance(plain, str):
            return column.str.contains(plain), column
        day = column.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        return (column.str.contains(_ISO_DATE) & (day <= plain)).fill_null(False), day

    def learn(self, key: str, values: list[Any]) -> tuple[dict[Any, Any], list[Any]]:
        """The rule's answers for ``values``: {value: clean value} of the good ones, and
        the bad ones."""
        rule, answers = self.rules[key][0], self.answers[key]
        good, bad = {}, []
        for value in values:
            answer = answers.get(value, _MISSING)
            if answer is _MISSING:
                try:
                    answer = rule(value)
                except ValidationFailed:
                    answer = _BAD
                answers[value] = answer
            if answer is _BAD:
                bad.append(value)
            else:
                good[value] = answer
        if len(answers) > _REMEMBERED:  # (names, phone numbers: nearly one per row)
            answers.clear()
        return good, bad

    def components_json(self, keys: Iterable[tuple[str, int, int]]) -> dict[tuple, Any]:
        """(text, category, level) → the components as canonical JSON text, or _BAD."""
        found = self.components
        for key in keys:
            if key not in found:
                try:
                    found[key] = json.dumps(v.parse_components(*key), ensure_ascii=False)
                except ValidationFailed:
                    found[key] = _BAD
        return found

    def birthplace_valid(self, code: str, year: int) -> bool:
        key = (code, year)
        valid = self.birthplaces.get(key)
        if valid is None:
            valid = self.birthplaces[key] = v.catalog.birthplace_valid(code, year)
        return valid


_BAD = object()
_MISSING = object()
#: The columns' plain values, by ``validation``'s patterns: a cell that matches is what
#: its rule returns for it (blank, for the optional phone and household number).
PLAIN = {
    "name": v.PLAIN_NAME,
    "phone": rf"^$|^(?:{v.PHONE})$",
    "household_number": rf"^$|^(?:{v.HOUSEHOLD_NUMBER})$",
}
_ISO_DATE = rf"^{v.ISO_DATE}$"
_ID_NUMBER = rf"^{v.ID_NUMBER}$"
_CERTIFICATE_NUMBER = rf"^{v.CERTIFICATE_NUMBER}$"
_REMEMBERED = 200_000  # answers per column kept between blocks at most


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def check(block: Block, rules: Rules) -> Checked:
    """Check a block's rows; see the module's docstring."""
    col, lit = pl.col, pl.lit
    number = col("id_number")
    digits = [number.str.slice(i, 1).cast(pl.Int32, strict=False).fill_null(0) * weight
              for i, weight in enumerate(v.ID_CHECK_WEIGHTS)]
    expected = (pl.sum_horizontal(digits) % 11).replace_strict(
        list(range(11)), list(v.ID_CHECK_CHARACTERS), return_dtype=pl.String)
    year = number.str.slice(6, 4).cast(pl.Int32, strict=False).fill_null(0)
    # (The year is checked before the date is read: polars reads a year 0, Python not.)
    well_formed = (number.str.contains(_ID_NUMBER)
                   & ~number.str.starts_with(v.FOREIGN_ID_PREFIX)
                   & (number.str.slice(17, 1) == expected)
                   & (year >= v.EARLIEST_BIRTH_YEAR))
    birth = (pl.when(well_formed).then(number.str.slice(6, 8))
             .str.strptime(pl.Date, "%Y%m%d", strict=False))
    plain = {key: rules.plain_value(key) for key in rules.rules}
    frame = block.frame.with_columns(
        birth.alias("_birth"), number.str.slice(0, 6).alias("_birthplace"),
        pl.when(number.str.slice(16, 1).cast(pl.Int16, strict=False).fill_null(0) % 2 == 1)
        .then(lit(int(Sex.MALE), pl.Int16)).otherwise(lit(int(Sex.FEMALE), pl.Int16))
        .alias("_id_sex"),  # (parse_id_number: odd, male; even, female)
        *[p[0].alias(f"_plain_{key}") for key, p in plain.items() if p is not None],
    ).with_columns(
        (col("_birth").is_not_null() & (col("_birth") <= rules.today)).alias("_id_ok"))

    # The rules, on the distinct values that are not plain; the birthplaces, on the
    # distinct (code, year of birth) pairs.
    distinct = frame.select(
        *[(col(key) if plain[key] is None else col(key).filter(~col(f"_plain_{key}")))
          .unique().implode().alias(key) for key in rules.rules],
        pl.struct(col("_birthplace"), col("_birth").dt.year()).filter(col("_id_ok"))
        .unique().implode().alias("_pairs"),
    ).row(0, named=True)
    clean, ok = [], []
    for key, (_rule, dtype) in rules.rules.items():
        good, bad = rules.learn(key, distinct[key])
        value = col(key).replace_strict(list(good), list(good.values()), default=None,
                                        return_dtype=dtype)
        if plain[key] is not None:
            value = pl.when(col(f"_plain_{key}")).then(plain[key][1].cast(dtype)).otherwise(value)
        clean.append(value.alias(f"_{key}"))
        ok.append(~col(key).is_in(bad) if bad else lit(True))
    unknown = [f"{pair['_birthplace']}{pair['_birth']}" for pair in distinct["_pairs"]
               if not rules.birthplace_valid(pair["_birthplace"], pair["_birth"])]
    frame = frame.with_columns(*clean, pl.all_horizontal(ok).alias("_ok")).with_columns(
        (col("_ok") & ~col("_unconverted") & col("_id_ok")
         & ~pl.concat_str(col("_birthplace"), col("_birth").dt.year().cast(pl.String))
         .is_in(unknown)
         & (col("_sex").is_null() | (col("_sex") == col("_id_sex")))
         & (col("_birth_date").is_null() | (col("_birth_date") == col("_birth")))
         & (col("_issue_date") >= col("_birth"))
         & ((col("_relation_to_head") == "") | (col("_household_number") != ""))
         ).fill_null(False).alias("_good"),
        col("certificate_number").str.extract_groups(_CERTIFICATE_NUMBER).alias("_cert"),
    ).with_columns(
        # (As parse_certificate_number: its ID, category and level those of the row.)
        pl.when((col("_cert").struct.field("1") == number)
                & (col("_cert").struct.field("2").cast(pl.Int16) == col("_category"))
                & (col("_cert").struct.field("3").cast(pl.Int16) == col("_level")))
        .then(col("_cert").struct.field("4").cast(pl.Int16).fill_null(0))
        .alias("_reissue_count"),
    ).with_columns((col("_good") & col("_reissue_count").is_not_null()).alias("_good"))

    keys = frame.filter(col("_good")).select(
        col("components"), col("_category"), col("_level")).unique()
    found = rules.components_json(keys.iter_rows())
    known = {k: j for k, j in found.items() if j is not _BAD}
    lookup = pl.DataFrame(
        {"components": [k[0] for k in known], "_category": [k[1] for k in known],
         "_level": [k[2] for k in known], "_components": list(known.values())},
        schema={"components": pl.String, "_category": pl.Int16, "_level": pl.Int16,
                "_components": pl.String})
    frame = frame.with_row_index("i").join(
        lookup, on=["components", "_category", "_level"], how="left", maintain_order="left"
    ).with_columns(
        (col("_good") & col("_components").is_not_null()).alias("_good"),
        pl.Series("row", block.numbers, dtype=pl.Int64))
    accepted = frame.filter(col("_good")).select(
        col("i").cast(pl.Int64), "row", "id_number", col("_birth").alias("birth_date"),
        col("_id_sex").alias("sex"),
        *[col(f"_{key}").alias(key) for key in (
            "name", "hukou_region", "residence_region", "ethnicity", "phone",
            "household_number", "relation_to_head", "category", "level", "issue_date",
            "reissue_count", "components")],
    ).cast(SCHEMA)
    others = frame["_good"].not_().arg_true().to_list()
    return Checked(accepted, others)


#: The accepted frame's columns and their types.
SCHEMA = {"i": pl.Int64, "row": pl.Int64, "id_number": pl.String, "birth_date": pl.Date,
          "sex": pl.Int16, "name": pl.String, "hukou_region": pl.String,
          "residence_region": pl.String, "ethnicity": pl.String, "phone": pl.String,
          "household_number": pl.String, "relation_to_head": pl.String,
          "category": pl.Int16, "level": pl.Int16, "issue_date": pl.Date,
          "reissue_count": pl.Int16, "components": pl.String}


def frame_of(indexes: list[int], numbers: list[int], persons: list[PersonData]) -> pl.DataFrame:
    """Persons ``parse_row`` accepted, as rows of the accepted frame."""
    return pl.DataFrame([
        (i, number, d.id_number.normalized, d.birth_date, int(d.sex), d.name, d.hukou_region,
         d.residence_region, d.ethnicity, d.phone, d.household_number, d.relation_to_head,
         d.certificate.category, d.certificate.level, d.certificate.issue_date,
         d.certificate.reissue_count,
         json.dumps(d.certificate.components, ensure_ascii=False))
        for i, number, d in zip(indexes, numbers, persons, strict=True)
    ], schema=SCHEMA, orient="row")


# ---------------------------------------------------------------------------
# Checked rows as the records the rest of the registry takes

_SEXES = {int(sex): sex for sex in Sex}


def persons(accepted: pl.DataFrame) -> list[PersonData]:
    """The accepted rows as ``PersonData``, as ``parse_row`` makes them."""
    components_of: dict[str, list[dict[str, int]]] = {}
    out = []
    for (number, birth, sex, name, hukou, residence, ethnicity, phone, household, relation,
         category, level, issue, reissue, components) in accepted.select(
            "id_number", "birth_date", "sex", "name", "hukou_region", "residence_region",
            "ethnicity", "phone", "household_number", "relation_to_head", "category",
            "level", "issue_date", "reissue_count", "components").iter_rows():
        parsed = components_of.get(components)
        if parsed is None:
            parsed = components_of[components] = json.loads(components)
        sex = _SEXES[sex]
        out.append(PersonData(
            id_number=v.IdNumber(number, birth, sex, number[:6], False), name=name, sex=sex,
            birth_date=birth, hukou_region=hukou, ethnicity=ethnicity,
            residence_region=residence, phone=phone, household_number=household,
            relation_to_head=relation,
            provided=provided(bool(ethnicity), residence is not None, bool(phone),
                              bool(household), bool(relation)),
            certificate=CertificateData(category=category, level=level, issue_date=issue,
                                        reissue_count=reissue,
                                        components=[dict(c) for c in parsed]),
        ))
    return out


_PROVIDED: dict[tuple[bool, ...], frozenset[str]] = {}


def provided(*given: bool) -> frozenset[str]:
    """``PersonData.provided`` of an import row (as ``parse_row`` makes it): name and
    hukou region always, the optional columns when given."""
    found = _PROVIDED.get(given)
    if found is None:
        found = _PROVIDED[given] = frozenset(("name", "hukou_region_id", *(
            name for name, g in zip(("ethnicity", "residence_region_id", "phone",
                                     "household_number", "relation_to_head"), given,
                                    strict=True) if g)))
    return found
