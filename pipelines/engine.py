"""The feature engine of a run as a Dagster resource (chosen per run: `distill-guard run --engine spark`)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from features.engine import ENGINE_ENV, MASTER_ENV, Engine, engine_name, make_engine


class FeatureEngine(dg.ConfigurableResource):
    """Who runs the per-request derivations and account-day features: the embedded engine (Polars and DuckDB in
    the run's process) or Apache Spark. Later stages run on account-level rows and stay embedded."""

    name: str = Field(default="", description=f"'embedded' or 'spark' (empty: ${ENGINE_ENV}, else embedded).")
    spark_master: str = Field(
        default="",
        description=f"Spark master URL, or sc://host:port for Spark Connect "
        f"(empty: ${MASTER_ENV}, else Spark's configuration, else "
        "local[*]).",
    )

    def engine(self) -> Engine:
        """The engine; a Spark session is created (or reused) on first use, so embedded runs start no JVM."""
        return make_engine(self.name, self.spark_master)

    @property
    def chosen(self) -> str:
        return engine_name(self.name)
