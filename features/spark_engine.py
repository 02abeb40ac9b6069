"""The Spark engine: per-request derivations and account-day features on Apache Spark (PySpark 4.x).

Imported only when a run chooses Spark (features/engine.py). The logic is not copied: the phrasings and
normalisers come from ``features/markers.yaml`` (applied with Spark SQL's regex functions, no Python UDFs) and
the account-day SQL is ``sql/features`` translated by features/spark_sql.py. Spark's hash (xxhash64) is not
Polars', so template ids and signatures differ between engines; what they feed (shares, counts, matches) does not.
Regexes run with ``(?U)``: Java's ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are ASCII-only without it, Rust's are Unicode.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import polars as pl
import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from features import contract, reference
from features.derivations import (
    CAPABILITIES,
    DERIVED_ORDER,
    HEAD_CHARS,
    SPEC,
    TAIL_CHARS,
    TEMPLATE_HEAD_CHARS,
    TEMPLATE_TAIL_CHARS,
    Marker,
)
from features.engine import DERIVED_KIND, SPARK_SUBFOLDER
from features.prefilter import literals
from features.raw import RawWarehouse
from features.releases import load_releases
from features.spark_sql import spark_sql
from features.store import Store

RETENTION_DAYS = 3
SCRATCH_ENV = "DISTILL_GUARD_SPARK_SCRATCH"
SPARK_TYPES = {
    pa.string(): "string",
    contract.TS: "timestamp",
    pa.int32(): "int",
    pa.int16(): "smallint",
    pa.int8(): "tinyint",
    pa.bool_(): "boolean",
}


def _re(pattern: str) -> str:
    return f"(?U){pattern}"


def normalise(text: Column) -> Column:
    out = text
    for n in SPEC.normalisers:
        out = F.regexp_replace(out, _re(n.pattern), n.replace)
    return F.trim(F.regexp_replace(F.lower(out), _re(r"\s{2,}|[^\S ]"), " "))


def template_key(norm: Column) -> Column:
    short = F.char_length(norm) <= TEMPLATE_HEAD_CHARS + TEMPLATE_TAIL_CHARS
    ends = F.concat(
        F.substring(norm, 1, TEMPLATE_HEAD_CHARS),
        F.lit(" … "),
        F.substring(norm, -TEMPLATE_TAIL_CHARS, TEMPLATE_TAIL_CHARS),
    )
    return F.when(short, norm).otherwise(ends)


def near_dup_signature(text: Column, lower: Column, k: int = 3) -> Column:
    fields = F.array_join(
        F.transform(
            F.regexp_extract_all(text, F.lit(_re(SPEC.payload_field)), F.lit(0)),
            lambda f: F.regexp_replace(f, "^[^:]*:", ""),
        ),
        " ",
    )
    lowered = F.when(F.octet_length(fields) > 20, F.lower(fields)).otherwise(lower)
    words = F.regexp_extract_all(lowered, F.lit(_re(SPEC.signature_word)), F.lit(0))
    smallest = F.slice(F.array_sort(F.array_distinct(F.transform(words, lambda w: F.xxhash64(w)))), 1, k)
    return F.xxhash64(F.array_join(F.transform(smallest, lambda h: h.cast("string")), "-"))


def _needs_non_ascii(phrasings: list[str]) -> bool:
    """Whether every match of ``phrasings`` holds a character outside ASCII (each of their literals does)."""
    lits = literals(phrasings)
    return lits is not None and all(not s.isascii() for s in lits)


def marker(lower: Column, m: Marker, non_ascii: Column) -> Column:
    """Whether any phrasing of ``m`` matches. Java's regexes scan a prompt once per pattern, so the languages whose
    phrasings all need a non-ASCII character (Chinese, Japanese, Korean, Russian) run only on prompts holding one;
    the result is the same as matching every prompt."""
    hits = []
    for phrasings in [m.phrasings, *m.languages.values()]:
        hit = lower.rlike(_re("|".join(phrasings)))
        hits.append(non_ascii & hit if _needs_non_ascii(phrasings) else hit)
    return _any(hits)


def capability(norm: Column) -> Column:
    expr = F.lit("chat")
    for cap in reversed(CAPABILITIES[:-1]):
        expr = F.when(norm.rlike(_re("|".join(SPEC.capabilities[cap]))), F.lit(cap)).otherwise(expr)
    return expr


def _cut(prompt: Column) -> Column:
    long = F.char_length(prompt) > HEAD_CHARS + TAIL_CHARS
    ends = F.concat(F.substring(prompt, 1, HEAD_CHARS), F.lit("\n"), F.substring(prompt, -TAIL_CHARS, TAIL_CHARS))
    return F.when(long, ends).otherwise(prompt)


def text_features(texts: DataFrame) -> DataFrame:
    """Per distinct cut text (``_text``): template, prefix, signature, capability, markers."""
    norm, lower = F.col("_norm"), F.col("_lower")
    non_ascii = F.col("_non_ascii")
    markers = {f"m_{name}": marker(lower, m, non_ascii) for name, m in SPEC.markers.items()}
    derived = {
        "_norm": normalise(F.col("_text")),
        "_lower": F.lower(F.col("_text")),
        "_non_ascii": F.col("_text").rlike("[^\\x00-\\x7f]"),
    }
    return texts.withColumns(derived).select(
        "_text",
        F.xxhash64(template_key(norm)).alias("template_id"),
        F.xxhash64(F.substring(norm, 1, TEMPLATE_HEAD_CHARS)).alias("prefix_id"),
        near_dup_signature(F.col("_text"), lower).alias("neardup_sig"),
        capability(norm).alias("capability"),
        *(expr.alias(name) for name, expr in markers.items()),
    )


def _any(columns) -> Column:
    columns = list(columns)
    out = columns[0]
    for c in columns[1:]:
        out = out | c
    return out


def derive_requests(requests: DataFrame) -> DataFrame:
    """The embedded engine's derived columns, text work once per distinct cut prompt and system prompt."""
    keep = [c for c in requests.columns if c not in ("prompt", "system_prompt")]
    rows = requests.withColumns({"_text": _cut(F.col("prompt")), "prompt_chars": F.char_length("prompt").cast("int")})
    texts = text_features(rows.select("_text").distinct())
    present = F.col("_sp").isNotNull()
    systems = (
        rows.select(F.col("system_prompt").alias("_sp"))
        .distinct()
        .select(
            "_sp",
            F.when(present, F.xxhash64("_sp")).alias("system_prompt_id"),
            F.when(present, F.xxhash64(normalise(F.col("_sp")))).alias("system_template_id"),
        )
    )
    joined = rows.join(texts, on="_text", how="left").join(
        systems, rows["system_prompt"].eqNullSafe(systems["_sp"]), how="left"
    )
    return joined.select(*keep, *DERIVED_ORDER)


def spark_uri(path: str) -> str:
    """Hadoop's S3 connector is ``s3a://``; the raw warehouse names objects ``s3://``."""
    return "s3a://" + path[len("s3://") :] if path.startswith("s3://") else path


def session(master: str = "") -> SparkSession:
    """The process's Spark session: ``master`` (``sc://`` for Spark Connect), else Spark's own configuration
    (spark-defaults.conf, spark-submit), which defaults to local[*]. Time zone UTC, as the contract's timestamps."""
    builder = SparkSession.builder.appName("distill-guard")
    if master.startswith("sc://"):
        builder = builder.remote(master)
    elif master:
        builder = builder.master(master)
    builder = builder.config("spark.sql.session.timeZone", "UTC").config("spark.ui.showConsoleProgress", "false")
    return builder.getOrCreate()


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
        derive_requests(requests).write.mode("overwrite").parquet(self.derived_path(store, day))
        store.prune(DERIVED_KIND, before=day - timedelta(days=RETENTION_DAYS))
        derived = spark.read.parquet(self.derived_path(store, day))
        rates = (F.avg(F.col(f"m_{m}").cast("double")).alias(f"{m}_rate") for m in ("cot", "rubric", "probe"))
        row = derived.agg(F.count("*").alias("requests"), F.count_distinct("template_id").alias("templates"), *rates)
        return row.first().asDict()

    def account_features_1d(self, con, raw: RawWarehouse, store: Store, day: date) -> pl.DataFrame:
        out = self.account_day(raw, store, day)
        # the embedded engine's time zone name (DuckDB's, e.g. Etc/UTC): days of both engines concatenate
        zone = con.execute("select current_setting('TimeZone')").fetchone()[0]
        for kind in ("features_1d", "templates", "sync"):
            frame = out[kind].with_columns(pl.col(pl.Datetime(time_zone="*")).dt.convert_time_zone(zone))
            store.write(kind, day, frame)
        return out["features_1d"]

    def account_day(self, raw: RawWarehouse, store: Store, day: date) -> dict[str, pl.DataFrame]:
        """feat_account_day, _account_org, _templates, _sync_buckets, _user_agent, feat_org and feat_release, as the
        embedded engine runs them."""
        spark = self.spark
        read_contract(spark, raw.ready_files("accounts", day), contract.ACCOUNTS).createOrReplaceTempView("accounts")
        spark.read.parquet(self.derived_path(store, day)).createOrReplaceTempView("derived")
        releases = load_releases(raw.files("releases"))
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
