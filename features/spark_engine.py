"""The Spark engine: per-request derivations and account-day features on Apache Spark (PySpark 4.x).

Imported only when a run chooses Spark (features/engine.py). The logic is not copied: each executor runs the
embedded engine's ``derive_requests`` (features/derivations.py) on Arrow batches of its partition, so template ids,
signatures and markers are the embedded engine's, bit for bit; the account-day SQL is ``sql/features`` translated
by features/spark_sql.py. Executors therefore run this project's Python environment (docs/scale.md).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import polars as pl
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from features import contract, reference
from features.daily import MODEL_USE, release_calendar
from features.derivations import derive_requests
from features.engine import DERIVED_KIND, SPARK_SUBFOLDER
from features.raw import RawWarehouse
from features.spark_sql import spark_sql
from features.store import Store

RETENTION_DAYS = 3
LOCAL_PARTITIONS_PER_CORE = 4
SCRATCH_ENV = "DISTILL_GUARD_SPARK_SCRATCH"
SPARK_TYPES = {
    pa.string(): "string",
    contract.TS: "timestamp",
    pa.int32(): "int",
    pa.int16(): "smallint",
    pa.int8(): "tinyint",
    pa.bool_(): "boolean",
}


def derived_schema() -> pa.Schema:
    """The derived rows' Arrow schema, as the embedded engine writes them (strings as Spark's Arrow strings)."""
    empty = pa.schema([pa.field(c, t) for c, (t, _) in contract.REQUESTS.items()]).empty_table()
    schema = derive_requests(pl.from_arrow(empty).lazy()).collect().to_arrow().schema
    return pa.schema([pa.field(f.name, pa.string() if _is_text(f.type) else f.type) for f in schema])


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def derive_batches(schema: pa.Schema) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The embedded engine's ``derive_requests`` on each Arrow batch an executor holds: one source of the
    normalisation, hashes and markers, so template ids and signatures are the same on both engines."""

    def derive(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield from derive_requests(pl.from_arrow(batch).lazy()).collect().to_arrow().cast(schema).to_batches()

    return derive


def derive_frame(requests: DataFrame) -> DataFrame:
    """The day's derived rows: each partition's requests through the embedded derivations (Arrow, no pickled rows)."""
    schema = derived_schema()
    return requests.mapInArrow(derive_batches(schema), from_arrow_schema(schema))


def spark_uri(path: str) -> str:
    """Hadoop's S3 connector is ``s3a://``; the raw warehouse names objects ``s3://``."""
    return "s3a://" + path[len("s3://") :] if path.startswith("s3://") else path


def builder(master: str = "") -> SparkSession.Builder:
    """The session's settings: ``master`` (``sc://`` for Spark Connect), else Spark's own configuration
    (spark-defaults.conf, spark-submit), which defaults to local[*]. Time zone UTC, as the contract's timestamps."""
    # Executors run the derivations in Python: unless $PYSPARK_PYTHON (spark-submit: spark.pyspark.python) names
    # the cluster's environment, local workers run this interpreter, which has polars and this project.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    out = SparkSession.builder.appName("distill-guard")
    if master.startswith("sc://"):
        out = out.remote(master)
    elif master:
        out = out.master(master)
    if cores := local_cores(master):
        # Spark's default of 200 shuffle partitions is sized for clusters: on one machine each day's few shuffle
        # stages then pay for hundreds of tiny tasks (on a sample day 10.9 s of account-day features, 6.8 s at 8).
        out = out.config("spark.sql.shuffle.partitions", str(LOCAL_PARTITIONS_PER_CORE * cores))
    return (
        out.config("spark.sql.session.timeZone", "UTC")
        # derived rows as the embedded engine writes them: UTC microseconds, not INT96
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.ui.showConsoleProgress", "false")
    )


def local_cores(master: str) -> int | None:
    """Cores of a ``local``, ``local[N]``, ``local[*]`` or ``local[N,F]`` master; None for any other."""
    found = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\d+)?\])?", master)
    if not found:
        return None
    if found.group(1) == "*":
        return os.cpu_count() or 1
    return int(found.group(1) or 1)


def session(master: str = "") -> SparkSession:
    """The process's Spark session (``builder``)."""
    return builder(master).getOrCreate()


def read_contract(spark: SparkSession, files: list[str], spec: dict) -> DataFrame:
    """The contract's columns of ``files`` with the contract's types; columns some files lack are null."""
    frame = spark.read.option("mergeSchema", "true").parquet(*(spark_uri(f) for f in files))
    present = set(frame.columns)
    return frame.select(
        *((F.col(c) if c in present else F.lit(None)).cast(SPARK_TYPES[t]).alias(c) for c, (t, _) in spec.items())
    )


class SparkEngine:
    """Derivations and account-day features on Spark; the small account-level outputs come back to the Store."""

    name = "spark"

    def __init__(self, master: str = ""):
        self.master = master

    @property
    def spark(self) -> SparkSession:
        spark = session(self.master)
        for name, frame in reference.tables().items():
            spark.createDataFrame(frame.to_pandas()).createOrReplaceTempView(name)
        return spark

    def derived_path(self, store: Store, day: date) -> str:
        """Where the day's derived rows go: executors must reach it, so on a cluster $DISTILL_GUARD_SPARK_SCRATCH
        (e.g. s3a://bucket/scratch; expire it with a bucket lifecycle rule), else the Store's folder (local mode)."""
        scratch = os.environ.get(SCRATCH_ENV, "").rstrip("/")
        if scratch:
            return f"{spark_uri(scratch)}/{DERIVED_KIND}/date={day.isoformat()}/{SPARK_SUBFOLDER}"
        return str(store.path(DERIVED_KIND, day).parent / SPARK_SUBFOLDER)

    def derive(self, raw: RawWarehouse, store: Store, day: date) -> dict:
        spark = self.spark
        requests = read_contract(spark, raw.ready_files("requests", day), contract.REQUESTS)
        derive_frame(requests).write.mode("overwrite").parquet(self.derived_path(store, day))
        store.prune(DERIVED_KIND, before=day - timedelta(days=RETENTION_DAYS))
        derived = spark.read.parquet(self.derived_path(store, day))
        rates = (F.avg(F.col(f"m_{m}").cast("double")).alias(f"{m}_rate") for m in ("cot", "rubric", "probe"))
        row = derived.agg(F.count("*").alias("requests"), F.count_distinct("template_id").alias("templates"), *rates)
        return row.first().asDict()

    def account_features_1d(self, con, raw: RawWarehouse, store: Store, day: date) -> pl.DataFrame:
        # UTC, as the embedded engine's DuckDB writes them: days of both engines concatenate
        utc = pl.col(pl.Datetime(time_zone="*")).dt.convert_time_zone("UTC")
        self.spark.read.parquet(self.derived_path(store, day)).createOrReplaceTempView("derived")
        use = _collect(self.spark.sql(spark_sql("features/feat_model_use"), args={"day": day}))
        store.write(MODEL_USE, day, use.with_columns(utc))  # before the calendar, which reads it back
        out = self.account_day(raw, store, day, release_calendar(raw, store, day))
        for kind in ("features_1d", "templates", "sync"):
            store.write(kind, day, out[kind].with_columns(utc))
        return out["features_1d"]

    def account_day(
        self, raw: RawWarehouse, store: Store, day: date, releases: pl.DataFrame
    ) -> dict[str, pl.DataFrame]:
        """feat_account_day, _account_org, _templates, _sync_buckets, _user_agent, feat_org and feat_release (on
        the ``releases`` calendar), as the embedded engine runs them, over the ``derived`` view of the day that
        ``account_features_1d`` made."""
        spark = self.spark
        read_contract(spark, raw.ready_files("accounts", day), contract.ACCOUNTS).createOrReplaceTempView("accounts")
        spark.createDataFrame(
            releases.to_arrow().to_pandas(), schema="model string, released_at timestamp"
        ).createOrReplaceTempView("releases")
        args = {"day": day}
        spark.sql(spark_sql("features/feat_account_day"), args=args).createOrReplaceTempView("account_day_rows")
        feats = _collect(spark.sql(spark_sql("features/feat_account_org")))
        ua = _collect(spark.sql(spark_sql("features/feat_account_user_agent")))
        org = _collect(spark.sql(spark_sql("features/feat_org"), args=args))
        release = _collect(spark.sql(spark_sql("features/feat_release"), args=args))
        features_1d = (
            feats.join(ua, on="account_id", how="left")
            .join(org, on="account_id", how="left")
            .join(release, on="account_id", how="left")
        )
        return {
            "features_1d": features_1d.sort("account_id"),
            "templates": _collect(spark.sql(spark_sql("features/feat_account_templates"), args=args)),
            "sync": _collect(spark.sql(spark_sql("features/feat_sync_buckets"), args=args)),
        }


def _collect(frame: DataFrame) -> pl.DataFrame:
    return pl.from_arrow(frame.toArrow())
