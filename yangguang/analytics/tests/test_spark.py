"""DuckDB and Spark (local mode) give the same results on the same snapshot (Spark needs
Java 17: .ci/run installs it)."""

from __future__ import annotations

import pytest

from yangguang.analytics import engine, snapshot
from yangguang.analytics.tests.conftest import AS_OF


@pytest.mark.slow
@pytest.mark.django_db
def test_duckdb_and_spark_agree(world, tmp_path):
    snapshot.write(AS_OF, tmp_path)
    duck = [r.as_json() for r in engine.compute(world, AS_OF, tmp_path, "duckdb")]
    spark = [r.as_json() for r in engine.compute(world, AS_OF, tmp_path, "spark")]
    assert duck == spark
    assert any(r["value"] is not None for r in spark)
