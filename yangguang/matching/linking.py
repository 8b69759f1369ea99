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
import math
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


def _swapped(day: dt.date | None) -> str | None:
    if day is None or day.day > 12 or day.day == day.month:
        return None
    return f"{day.year:04d}-{day.day:02d}-{day.month:02d}"


def _table(records: Iterable[Record]) -> Any:
    import pyarrow as pa

    columns: dict[str, list[Any]] = {k: [] for k in (
        "unique_id", "name", "name_std", "pinyin", "birth_date", "birth_swapped", "sex", "region")}
    for r in records:
        std, py = _name_columns(r.name)
        columns["unique_id"].append(r.key)
        columns["name"].append(r.name or None)
        columns["name_std"].append(std or None)
        columns["pinyin"].append(py or None)
        columns["birth_date"].append(r.birth_date.isoformat() if r.birth_date else None)
        columns["birth_swapped"].append(_swapped(r.birth_date))
        columns["sex"].append(r.sex)
        columns["region"].append(r.region or None)
    schema = pa.schema([("unique_id", pa.int64()), ("name", pa.string()), ("name_std", pa.string()),
                        ("pinyin", pa.string()), ("birth_date", pa.string()),
                        ("birth_swapped", pa.string()), ("sex", pa.int64()), ("region", pa.string())])
    return pa.table(columns, schema=schema)


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
    row_table, person_table = _table(rows), _table(persons)
    if row_table.num_rows == 0 or person_table.num_rows == 0:
        return {}
    from splink import DuckDBAPI, Linker

    config = model()
    settings = json.loads(json.dumps(config["splink"]))
    settings["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": rule, "sql_dialect": "duckdb"}
        for rule in settings["blocking_rules_to_generate_predictions"]]
    db = DuckDBAPI()
    left = db.register(row_table, table_name="list_rows")
    right = db.register(person_table, table_name="persons")
    linker = Linker([left, right], settings, log_level=logging.WARNING)
    threshold = config["review_weight"]
    predictions = linker.inference.predict(threshold_match_weight=threshold)
    labels = _labels(config["splink"])
    best: dict[int, Link] = {}
    second: dict[int, float] = {}
    table = predictions.as_duckdbpyrelation().arrow()
    if hasattr(table, "read_all"):
        table = table.read_all()
    for rec in table.to_pylist():
        row_key, person_key = _sides(rec)
        weight = float(rec["match_weight"])
        current = best.get(row_key)
        if current is not None and current.weight >= weight:
            second[row_key] = max(second.get(row_key, -math.inf), weight)
            continue
        if current is not None:
            second[row_key] = max(second.get(row_key, -math.inf), current.weight)
        levels = tuple(
            Level(description, gammas.get(int(rec[f"gamma_{column}"]), ""),
                  float(rec[f"mw_{column}"] or 0.0))
            for column, (description, gammas) in labels.items())
        best[row_key] = Link(row_key, person_key, weight, float(rec["match_probability"]), levels)
    margin = config["ambiguity_weight"]
    return {key: (Link(lk.row_key, lk.person_key, lk.weight, lk.probability, lk.levels, True)
                  if lk.weight - second.get(key, -math.inf) < margin else lk)
            for key, lk in best.items()}


def _sides(rec: dict[str, Any]) -> tuple[int, int]:
    """(list row key, person key) of a predicted pair, whichever side each came on."""
    if rec["source_dataset_l"] == "list_rows":
        return int(rec["unique_id_l"]), int(rec["unique_id_r"])
    return int(rec["unique_id_r"]), int(rec["unique_id_l"])


def classify(weight: float) -> str:
    """``probable`` at or above the upper threshold, ``review`` between the two."""
    return "probable" if weight >= model()["probable_weight"] else "review"
