"""Computing a plan's rows for its region and every region below it down to township.

``compute(plan, as_of, snapshot_dir, engine)``: the catalogue's expressions over the
snapshot grouped by region on DuckDB (embedded, the default) or Spark (local mode),
each region's numerator and denominator as whole counts, the value and status worked
out here once (so both engines give the same results), stored through services.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis

from yangguang.analytics import catalogue, snapshot
from yangguang.analytics.selectors import plan_regions, result_code
from yangguang.analytics.status import status
from yangguang.plans.models import Operator, Plan, PlanIndicator
from yangguang.regions.models import RegionLevel

#: Significant code prefix per region level.
PREFIX = {RegionLevel.PROVINCE: 2, RegionLevel.PREFECTURE: 4, RegionLevel.COUNTY: 6, RegionLevel.TOWNSHIP: 9}
ENGINES = ("duckdb", "spark")


@dataclass
class Row:
    indicator: PlanIndicator
    region_code: str  # as output: 6 digits for a county and above, 12 for a township
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    compared_with: Decimal | None
    status: str
    version: str
    by_hand: bool

    def as_json(self) -> dict[str, Any]:
        ind = self.indicator
        target: dict[str, Any] = {"op": ind.target_op, "value": _num(ind.target_value), "text": ind.target_text}
        if ind.target_op == Operator.RELATIVE:
            target["compared_with"] = _num(self.compared_with)
        return {"row": ind.row, "indicator": ind.catalogue_key or "by_hand", "region": self.region_code,
                "value": _num(self.value), "numerator": _num(self.numerator),
                "denominator": _num(self.denominator), "target": target, "status": self.status}


def _num(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def connect(engine: str, snapshot_dir: Path) -> Any:
    """An Ibis connection with the snapshot's tables (``snapshot.TABLES``)."""
    if engine == "duckdb":
        # Read once into memory: every definition scans the same tables again.
        con = ibis.duckdb.connect()
        for name in snapshot.TABLES:
            path = str(snapshot_dir / f"{name}.parquet").replace("'", "''")
            con.raw_sql(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
        return con
    if engine == "spark":
        from yangguang.core import spark

        session = spark.session()
        con = ibis.pyspark.connect(session)
        for name in snapshot.TABLES:
            session.read.parquet(str(snapshot_dir / f"{name}.parquet")).createOrReplaceTempView(name)
        return con
    raise ValueError(engine)


def sums(con: Any, definition: catalogue.Definition, *, as_of: datetime.date, start_year: int, options: dict,
         levels: list[int]) -> dict[str, dict[str, int]]:
    """Region prefix → the definition's sums (whole numbers) for each of ``levels``: one
    query grouped by the finest level's prefix, added up to the others here (whole
    numbers: exact, the same on every engine)."""
    tables = catalogue.Tables(*(con.table(name) for name in snapshot.TABLES), as_of=as_of,
                              start_year=start_year, options=options)
    expr = definition.build(tables)
    finest = max(PREFIX[level] for level in levels)
    grouped = (expr.mutate(region=expr.region_code.substr(0, finest)).group_by("region")
               .aggregate(**{name: expr[name].cast("int64").sum() for name in definition.sums}))
    found: dict[str, dict[str, int]] = {}
    for row in grouped.to_pyarrow().to_pylist():
        if row["region"] is None:
            continue
        for level in levels:
            into = found.setdefault(row["region"][:PREFIX[level]], dict.fromkeys(definition.sums, 0))
            for name in definition.sums:
                into[name] += int(row[name] or 0)
    return found


def compute(plan: Plan, as_of: datetime.date, snapshot_dir: Path, engine: str = "duckdb") -> list[Row]:
    """Every row of ``plan`` for its regions (not stored: services.store_results does)."""
    from yangguang.analytics.models import HandValue

    con = connect(engine, snapshot_dir)
    regions = list(plan_regions(plan).order_by("level", "code"))
    levels = sorted({r.level for r in regions})
    hand = {(h.indicator_id, h.region_code, h.compared_with): h.value
            for h in HandValue.objects.filter(indicator__plan=plan, year=as_of.year)}
    rows: list[Row] = []
    for ind in plan.indicators.order_by("row"):
        definition = catalogue.CATALOGUE.get(ind.catalogue_key)
        found = (sums(con, definition, as_of=as_of, start_year=plan.start_year, options=ind.options,
                      levels=levels) if definition else {})
        for region in regions:
            code = result_code(region)
            compared = hand.get((ind.pk, code, True))
            num = den = value = None
            if definition is None:
                value = hand.get((ind.pk, code, False))
            elif region.short_code in found:
                value, num, den = definition.result(found[region.short_code])
            rows.append(Row(ind, code, value, num, den, compared,
                            status(value=value, op=ind.target_op, target=ind.target_value,
                                   accumulation=ind.accumulation, as_of=as_of, start_year=plan.start_year,
                                   end_year=plan.end_year, compared_with=compared),
                            definition.version if definition else "", definition is None))
    return rows
