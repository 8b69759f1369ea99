"""The probabilistic pass: Splink on DuckDB, with the model in ``data/model.json``.

``link`` takes the list's rows and the registry's persons as plain records (no
database of ours: the benchmark calls it directly), prepares the compared columns
(standard name, pinyin, birth date and its month/day swap, sex, region code) and
returns each list row's best candidate with its match weight, probability and the
comparison levels behind it. Nothing is downloaded: DuckDB runs in process and the
model's m and u probabilities are fixed in the data file (so a run is reproducible,
and a small list does not train a model of its own).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from yangguang.matching import names

MODEL_FILE = Path(__file__).parent / "data" / "model.json"


@cache
def model() -> dict[str, Any]:
    with open(MODEL_FILE, encoding="utf-8") as f:
        return json.load(f)


@dataclass(frozen=True)
class Record:
    """What the pass compares of a list row or a person."""

    key: int
    name: str
    sex: int | None
    birth_date: dt.date | None
    region: str


@dataclass(frozen=True)
class Level:
    comparison: str
    label: str
    weight: float

    def to_json(self) -> dict[str, Any]:
        return {"comparison": self.comparison, "label": self.label, "weight": round(self.weight, 2)}


@dataclass(frozen=True)
class Link:
    row_key: int
    person_key: int
    weight: float
    probability: float
    levels: tuple[Level, ...]
    #: Another person came within ``ambiguity_weight`` of this one.
    ambiguous: bool = False


@lru_cache(maxsize=200_000)
def _name_columns(name: str) -> tuple[str, str]:
    return names.standard_name(name), names.pinyin(name)


#: The columns ``link_table`` takes, of the list's rows and of the persons alike.
RAW_COLUMNS = (("unique_id", "int64"), ("name", "string"), ("sex", "int64"),
               ("birth_date", "date32"), ("region", "string"))


def raw_table(records: Iterable[Record]) -> Any:
    """Records as the Arrow table ``link_table`` takes."""
    import pyarrow as pa

    columns: dict[str, list[Any]] = {name: [] for name, _ in RAW_COLUMNS}
    for r in records:
        columns["unique_id"].append(r.key)
        columns["name"].append(r.name)
        columns["sex"].append(r.sex)
        columns["birth_date"].append(r.birth_date)
        columns["region"].append(r.region)
    return pa.table(columns, schema=pa.schema([(name, getattr(pa, kind)()) for name, kind in RAW_COLUMNS]))


def _names(column: Any) -> tuple[Any, Any]:
    """The standard name and pinyin of a name column, computed once per distinct name."""
    import pyarrow as pa
    import pyarrow.compute as pc

    distinct = pc.unique(column)
    computed = [_name_columns(name or "") for name in distinct.to_pylist()]
    where = pc.index_in(column, value_set=distinct)
    return (pa.array([std or None for std, _ in computed], pa.string()).take(where),
            pa.array([py or None for _, py in computed], pa.string()).take(where))


#: The compared columns from the raw ones: birth dates as ISO text and with month and
#: day swapped (when the day could be a month and differs from it).
_PREPARE = """
    SELECT unique_id, nullif(name, '') AS name, name_std, pinyin,
           strftime(birth_date, '%Y-%m-%d') AS birth_date,
           CASE WHEN day(birth_date) <= 12 AND day(birth_date) <> month(birth_date)
                THEN strftime(make_date(year(birth_date), day(birth_date), month(birth_date)), '%Y-%m-%d')
           END AS birth_swapped,
           sex, nullif(region, '') AS region
    FROM raw"""


def _prepared(con: Any, table: Any) -> Any:
    std, py = _names(table["name"])
    con.register("raw", table.append_column("name_std", std).append_column("pinyin", py))
    try:
        return con.sql(_PREPARE).to_arrow_table()
    finally:
        con.unregister("raw")


def _labels(settings: dict[str, Any]) -> dict[str, tuple[str, dict[int, str]]]:
    """Comparison column → (its description, gamma value → level label).

    Splink numbers a comparison's levels from the most alike (highest) down to 0 for
    the last, the null level being -1."""
    out = {}
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        gammas = {len(levels) - 1 - i: lv["label_for_charts"] for i, lv in enumerate(levels)}
        null = next((lv["label_for_charts"] for lv in comparison["comparison_levels"]
                     if lv.get("is_null_level")), "")
        gammas[-1] = null
        out[comparison["output_column_name"]] = (comparison["comparison_description"], gammas)
    return out


def link(rows: Iterable[Record], persons: Iterable[Record]) -> dict[int, Link]:
    """Each list row's best candidate at or above the review threshold (row key →
    link); rows without one are absent."""
    return link_table(raw_table(rows), raw_table(persons))


#: Each list row's best pair and the weight of its second best, from Splink's
#: predictions (``{gammas}``: the comparison columns' gamma and weight columns).
_BEST = """
    SELECT row_key, person_key, match_weight, match_probability, second, {gammas}
    FROM (SELECT *, row_number() OVER w AS rank, lead(match_weight) OVER w AS second
          FROM (SELECT CASE WHEN source_dataset_l = 'list_rows' THEN unique_id_l ELSE unique_id_r END
                           AS row_key,
                       CASE WHEN source_dataset_l = 'list_rows' THEN unique_id_r ELSE unique_id_l END
                           AS person_key, *
                FROM predictions)
          WINDOW w AS (PARTITION BY row_key ORDER BY match_weight DESC, person_key))
    WHERE rank = 1"""


def link_table(rows: Any, persons: Any) -> dict[int, Link]:
    """``link`` on Arrow tables of ``RAW_COLUMNS`` (``unique_id``: the row's or the
    person's key). The names' standard form and pinyin are computed once per distinct
    name; the rest of the preparation, the comparisons and the choice of each row's
    best candidate run in DuckDB."""
    if rows.num_rows == 0 or persons.num_rows == 0:
        return {}
    import duckdb
    from splink import DuckDBAPI, Linker

    config = model()
    settings = json.loads(json.dumps(config["splink"]))
    settings["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": rule, "sql_dialect": "duckdb"}
        for rule in settings["blocking_rules_to_generate_predictions"]]
    con = duckdb.connect()
    db = DuckDBAPI(con)
    left = db.register(_prepared(con, rows), table_name="list_rows")
    right = db.register(_prepared(con, persons), table_name="persons")
    linker = Linker([left, right], settings, log_level=logging.WARNING)
    predictions = linker.inference.predict(threshold_match_weight=config["review_weight"])
    labels = _labels(config["splink"])
    con.register("predictions", predictions.as_duckdbpyrelation())
    best = con.sql(_BEST.format(gammas=", ".join(f"gamma_{c}, mw_{c}" for c in labels))).fetchall()
    margin = config["ambiguity_weight"]
    levels: dict[tuple[str, int, float], Level] = {}
    out = {}
    for row_key, person_key, weight, probability, second, *gammas in best:
        found = []
        for i, (column, (description, label_of)) in enumerate(labels.items()):
            gamma, mw = int(gammas[2 * i]), float(gammas[2 * i + 1] or 0.0)
            level = levels.get((column, gamma, mw))
            if level is None:
                level = levels[(column, gamma, mw)] = Level(description, label_of.get(gamma, ""), mw)
            found.append(level)
        out[row_key] = Link(row_key, person_key, float(weight), float(probability), tuple(found),
                            second is not None and weight - second < margin)
    return out


def classify(weight: float) -> str:
    """``probable`` at or above the upper threshold, ``review`` between the two."""
    return "probable" if weight >= model()["probable_weight"] else "review"
