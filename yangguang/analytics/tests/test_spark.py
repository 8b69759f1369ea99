"""DuckDB and Spark (local mode) give the same results on the same snapshot — every
catalogue entry, on the world with households, grants, services and providers (Spark
needs Java 17: .ci/run installs it)."""

from __future__ import annotations

import pytest

from yangguang.analytics import catalogue, engine, snapshot
from yangguang.analytics.tests.conftest import AS_OF
from yangguang.regions.models import RegionLevel


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.django_db
def test_duckdb_and_spark_agree(more, tmp_path):
    snapshot.write(AS_OF, tmp_path)
    duck = [r.as_json() for r in engine.compute(more, AS_OF, tmp_path, "duckdb")]
    spark = [r.as_json() for r in engine.compute(more, AS_OF, tmp_path, "spark")]
    assert duck == spark
    computed = {r["indicator"] for r in spark if r["value"] is not None}
    assert computed == {d for d in catalogue.CATALOGUE if d != "township_service_coverage"}
    # every entry's sums at every level, township coverage too (not a row of 五台's plan)
    levels = [RegionLevel.COUNTY, RegionLevel.TOWNSHIP]
    cons = {name: engine.connect(name, tmp_path) for name in engine.ENGINES}
    for definition in catalogue.CATALOGUE.values():
        found = {name: engine.sums(con, definition, as_of=AS_OF, start_year=2021, options={}, levels=levels)
                 for name, con in cons.items()}
        assert found["duckdb"] == found["spark"], definition.key
        assert found["duckdb"], definition.key
