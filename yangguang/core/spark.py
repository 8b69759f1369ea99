"""The platform's Spark: one local-mode session per process, shared by every engine
that runs on Spark (analytics' indicators, matching's probabilistic pass), so a test
process starts Spark once.

PySpark is the ``spark`` extra (``pip install 'yangguang[spark]'``; ``make setup``
installs it, ``make run`` does not) and needs Java 17. Nothing is downloaded at run
time: the only JAR the session loads is the string-similarity one shipped inside
Splink (``similarity_jar_location()``: ``jaro_winkler``, ``damerau_levenshtein`` …,
which matching's model calls), loaded whoever starts the session first.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from functools import cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

NO_PYSPARK = gettext_noop("Spark 引擎需要 PySpark 和 Java 17：pip install 'yangguang[spark]'（开发环境 make setup "
                          "已安装），或改用 DuckDB 引擎（--engine duckdb）")
NO_JAVA = gettext_noop("Spark 引擎需要 Java 17：找不到 java（请安装 Java 17 或设置 JAVA_HOME），"
                       "或改用 DuckDB 引擎（--engine duckdb）")


def missing() -> str | None:
    """What Spark lacks here (``NO_PYSPARK`` or ``NO_JAVA``, a msgid), or None."""
    if importlib.util.find_spec("pyspark") is None:
        return NO_PYSPARK
    home = os.environ.get("JAVA_HOME")
    if not ((home and os.access(os.path.join(home, "bin", "java"), os.X_OK)) or shutil.which("java")):
        return NO_JAVA
    return None


def unavailable() -> str | None:
    """Why Spark cannot run here (the message for the user, translated), or None."""
    msgid = missing()
    return _(msgid) if msgid else None


@cache
def session() -> Any:
    """The process's local Spark session (made on first use; later calls return it).
    ``YANGGUANG_SPARK_MASTER`` (default ``local[1]``) and ``YANGGUANG_SPARK_PARTITIONS``
    (shuffle partitions, default 1) size it for a larger machine."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    return (SparkSession.builder.master(os.environ.get("YANGGUANG_SPARK_MASTER", "local[1]"))
            .appName("yangguang")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", os.environ.get("YANGGUANG_SPARK_PARTITIONS", "1"))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate())
