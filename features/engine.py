"""The engine seam: who runs the per-request derivations and the account-day features.

``embedded`` (default) runs them in this process with Polars and DuckDB; ``spark`` runs them on Apache Spark
(features/spark_engine.py, imported only when chosen, so the default path needs no JVM). Both read the raw
partitions of the same root and leave the account-day outputs (model_use, features_1d, templates, sync) in the
same Store partitions; everything after them (coordination, scoring, policy, publication) is the same code.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Protocol

import duckdb
import polars as pl

from features import daily
from features.daily import DERIVED
from features.raw import RawWarehouse
from features.store import Store

ENGINE_ENV = "DISTILL_GUARD_ENGINE"
MASTER_ENV = "DISTILL_GUARD_SPARK_MASTER"
ENGINES = ("embedded", "spark")
# Per-request rows of a day (one table, named like the asset that owns it): the embedded engine's part.parquet,
# Spark's part files in its spark/ subfolder. Dropped once the day is published.
DERIVED_KIND = DERIVED
SPARK_SUBFOLDER = "spark"


class Engine(Protocol):
    name: str

    def derive(self, raw: RawWarehouse, store: Store, day: date) -> dict:
        """Derive the day's requests; returns a summary (requests, templates, marker rates)."""

    def account_features_1d(
        self, con: duckdb.DuckDBPyConnection, raw: RawWarehouse, store: Store, day: date
    ) -> pl.DataFrame:
        """Write the day's model_use, features_1d, templates and sync tables (the store refuses others); returns
        features_1d."""


def summarise(derived: pl.LazyFrame) -> dict:
    return (
        derived.select(
            requests=pl.len(),
            templates=pl.col("template_id").n_unique(),
            cot_rate=pl.col("m_cot").mean(),
            rubric_rate=pl.col("m_rubric").mean(),
            probe_rate=pl.col("m_probe").mean(),
        )
        .collect()
        .row(0, named=True)
    )


class EmbeddedEngine:
    """Polars and DuckDB in this process (features/daily.py)."""

    name = "embedded"

    def derive(self, raw: RawWarehouse, store: Store, day: date) -> dict:
        daily.derive(raw, store, day)
        return summarise(pl.scan_parquet(store.path(DERIVED, day)))

    def account_features_1d(self, con, raw, store, day) -> pl.DataFrame:
        return daily.account_features_1d(con, raw, store, day)


def engine_name(name: str = "") -> str:
    """The engine asked for (``name``, else $DISTILL_GUARD_ENGINE, else embedded), validated."""
    chosen = (name or os.environ.get(ENGINE_ENV) or "embedded").strip().lower()
    if chosen not in ENGINES:
        raise ValueError(f"engine {chosen!r} (from --engine or ${ENGINE_ENV}) is not one of {', '.join(ENGINES)}")
    return chosen


def make_engine(name: str = "", master: str = "") -> Engine:
    """An engine by name; ``master`` (else $DISTILL_GUARD_SPARK_MASTER, else Spark's own configuration, else
    local[*]) only for Spark."""
    if engine_name(name) == "embedded":
        return EmbeddedEngine()
    from features.spark_engine import SparkEngine  # the JVM and pyspark only when Spark is chosen

    return SparkEngine(master or os.environ.get(MASTER_ENV, ""))
