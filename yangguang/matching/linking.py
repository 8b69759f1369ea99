"""The probabilistic pass: Splink, with the model in ``data/model.json``.

``link`` takes the list's rows and the registry's persons as plain records (no
database of ours: the benchmark calls it directly), prepares the compared columns
(standard name, pinyin, birth date and its month/day swap, sex, region code) and
returns each list row's best candidate with its match weight, probability and the
comparison levels behind it. Nothing is downloaded: the model's m and u probabilities
are fixed in the data file (so a run is reproducible, and a small list does not train
a model of its own).

Two engines run the same model (``ENGINES``): DuckDB, in process, the default; and
Spark in local mode (``core.spark``: the ``spark`` extra and Java 17) for national
scale. The columns are prepared in DuckDB for both; Splink's comparisons and the
choice of each row's best candidate (``_BEST``) run on the engine. The model's SQL is
common to both but for its two similarity functions, which it writes
``{jaro_winkler}`` and ``{damerau_levenshtein}`` and the engine's Splink dialect names
(DuckDB's own functions; on Spark the UDFs of the JAR shipped inside Splink).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from yangguang.matching import names

MODEL_FILE = Path(__file__).parent / "data" / "model.json"
#: The engines the pass runs on (the setting ``YANGGUANG_MATCHING_ENGINE`` chooses).
ENGINES = ("duckdb", "spark")
#: Weights are compared rounded to this many places, so that the engines' last bits of
#: floating point never decide between equally good candidates or at a threshold.
PLACES = 6


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


def link(rows: Iterable[Record], persons: Iterable[Record], engine: str = "duckdb") -> dict[int, Link]:
    """Each list row's best candidate at or above the review threshold (row key →
    link); rows without one are absent."""
    return link_table(raw_table(rows), raw_table(persons), engine)


class EngineUnavailable(RuntimeError):
    """The chosen engine cannot run here (Spark without PySpark or Java, or a name
    that is no engine); ``str()`` is the message for the user, ``msgid`` and
    ``params`` what a job stores."""

    def __init__(self, msgid: str, **params: Any) -> None:
        from django.utils.translation import gettext

        super().__init__(gettext(msgid).format(**params))
        self.msgid, self.params = msgid, params


def check_engine(engine: str) -> None:
    """Raises ``EngineUnavailable`` unless ``engine`` can run here."""
    from django.utils.translation import gettext_noop

    if engine not in ENGINES:
        raise EngineUnavailable(gettext_noop("没有名为“{engine}”的比对引擎：应为 duckdb 或 spark"
                                             "（命令的 --engine 或设置 YANGGUANG_MATCHING_ENGINE）"), engine=engine)
    if engine == "spark":
        from yangguang.core import spark

        msgid = spark.missing()
        if msgid:
            raise EngineUnavailable(msgid)


def settings(sql_dialect: Any) -> dict[str, Any]:
    """The model's Splink settings for a database API's dialect: the similarity
    functions named, the blocking rules tagged with the dialect."""
    functions = {"jaro_winkler": sql_dialect.jaro_winkler_function_name,
                 "damerau_levenshtein": sql_dialect.damerau_levenshtein_function_name}
    out = json.loads(json.dumps(model()["splink"]))
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = level["sql_condition"].format_map(functions)
    out["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": rule.format_map(functions), "sql_dialect": sql_dialect.sql_dialect_str}
        for rule in out["blocking_rules_to_generate_predictions"]]
    return out


#: Each list row's best pair and the weight of its second best, from Splink's
#: predictions (``{predictions}``: their table; ``{gammas}``: the comparison columns'
#: gamma and weight columns), in SQL both engines run. Of equal weights (to ``PLACES``)
#: the lower person key comes first, whatever order the engine gives.
_BEST = """
    SELECT row_key, person_key, match_weight, match_probability, second, {gammas}
    FROM (SELECT *, row_number() OVER w AS rank, lead(match_weight) OVER w AS second
          FROM (SELECT CASE WHEN source_dataset_l = 'list_rows' THEN unique_id_l ELSE unique_id_r END
                           AS row_key,
                       CASE WHEN source_dataset_l = 'list_rows' THEN unique_id_r ELSE unique_id_l END
                           AS person_key, *
                FROM {predictions})
          WINDOW w AS (PARTITION BY row_key ORDER BY round(match_weight, {places}) DESC, person_key))
    WHERE rank = 1"""


def link_table(rows: Any, persons: Any, engine: str = "duckdb") -> dict[int, Link]:
    """``link`` on Arrow tables of ``RAW_COLUMNS`` (``unique_id``: the row's or the
    person's key). The names' standard form and pinyin are computed once per distinct
    name; the rest of the preparation runs in DuckDB, the comparisons and the choice of
    each row's best candidate on ``engine``."""
    check_engine(engine)
    if rows.num_rows == 0 or persons.num_rows == 0:
        return {}
    import duckdb

    config = model()
    labels = _labels(config["splink"])
    con = duckdb.connect()
    rows, persons = _prepared(con, rows), _prepared(con, persons)
    gammas = ", ".join(f"gamma_{c}, mw_{c}" for c in labels)
    if engine == "spark":
        best = _best_on_spark(rows, persons, gammas)
    else:
        from splink import DuckDBAPI

        db = DuckDBAPI(con)
        predictions = _predict(db, rows, persons)
        con.register("predictions", predictions.as_duckdbpyrelation())
        best = con.sql(_BEST.format(predictions="predictions", gammas=gammas, places=PLACES)).fetchall()
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
                            second is not None and round(weight - second, PLACES) < margin)
    return out


def _predict(db: Any, rows: Any, persons: Any) -> Any:
    """Splink's predicted pairs at or above the review threshold, on ``db``'s engine."""
    from splink import Linker

    left = db.register(rows, table_name="list_rows")
    right = db.register(persons, table_name="persons")
    linker = Linker([left, right], settings(db.sql_dialect), log_level=logging.WARNING)
    return linker.inference.predict(threshold_match_weight=model()["review_weight"])


#: One Spark pass at a time in a process: the local session's core is one, and a pass
#: drops the temporary views it made, which must not be another pass's.
_SPARK_LOCK = threading.Lock()


def _best_on_spark(rows: Any, persons: Any, gammas: str) -> list[Any]:
    from splink.backends.spark import SparkAPI

    from yangguang.core import spark

    with _SPARK_LOCK:
        session = spark.session()
        before = {t.name for t in session.catalog.listTables() if t.isTemporary}
        try:
            # Splink registers the similarity UDFs of the JAR the session loaded; its
            # tables stay in memory (local mode has no checkpoint directory).
            db = SparkAPI(spark_session=session, break_lineage_method="persist")
            predictions = _predict(db, rows, persons)
            return session.sql(_BEST.format(predictions=predictions.physical_name, gammas=gammas,
                                            places=PLACES)).collect()
        finally:
            # Dropping a view also frees what Splink persisted of it.
            for t in session.catalog.listTables():
                if t.isTemporary and t.name not in before:
                    session.catalog.dropTempView(t.name)


def classify(weight: float) -> str:
    """``probable`` at or above the upper threshold, ``review`` between the two."""
    return "probable" if round(weight, PLACES) >= model()["probable_weight"] else "review"
