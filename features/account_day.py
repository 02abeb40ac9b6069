"""Account-day features: derivations through Polars, aggregation through the SQL files in ``sql/features``.

Inputs are file lists and frames, outputs are frames and Parquet files; no
orchestration here, so the same calls serve Dagster, tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq

from features import contract, objectstore, reference
from features.derivations import derive_requests
from features.raw import scan_contract
from features.releases import empty as empty_releases

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
DERIVED_COLUMNS = [
    "request_id",
    "ts",
    "account_id",
    "org_id",
    "api_key_id",
    "ip",
    "asn",
    "country",
    "user_agent",
    "model",
    "endpoint",
    "input_tokens",
    "output_tokens",
    "max_tokens",
    "thinking_budget",
    "status",
    "latency_ms",
]


def sql(name: str) -> str:
    """Text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text()


# DuckDB spills to disk past this; measured on an 8.5M-request day: 7.8 GB peak without a limit,
# 3.2 GB with 3 GB, at the same speed. 2.8 GB keeps a 30M-request day and its Great Expectations checker
# process within 4 GB together (3,899 MB); at 3 GB the run's own process alone peaked 198 MB higher
# (3,807 against 3,609 MB; benchmarks/results.md).
DEFAULT_MEMORY_LIMIT = "2.8GB"


def connect(threads: int | None = None, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the reference tables registered."""
    config = {"threads": threads, "memory_limit": memory_limit or DEFAULT_MEMORY_LIMIT}
    con = duckdb.connect(config={k: v for k, v in config.items() if v})
    for name, frame in reference.tables().items():
        con.register(name, frame.to_arrow())
    return con


# Rows per derivation batch: each batch has enough repeated prompts for the per-distinct-text work to pay off.
DERIVE_BATCH_ROWS = 250_000


def _batches(request_files: list[str], batch_rows: int) -> Iterator[pl.DataFrame]:
    """The day's requests in file order, in batches of about ``batch_rows``, one file's scan at a time: a scan reads
    ahead of a slower consumer, so one scan over the whole day held more of it the larger the day (peak 3.4 GB at
    5.7M requests, 1.6 GB file by file, same speed). Small files' rows are pooled, so batches keep their size."""
    pending: list[pl.DataFrame] = []
    rows = 0
    for file in request_files:
        for batch in scan_contract([file], contract.REQUESTS).collect_batches(chunk_size=batch_rows):
            if pending and rows + batch.height > batch_rows:
                yield pl.concat(pending)
                pending, rows = [], 0
            pending.append(batch)
            rows += batch.height
    if pending:
        yield pl.concat(pending)


def _read_ahead(batches: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """``batches``, the next one read while the caller works on the current one (one ahead, no more)."""
    with ThreadPoolExecutor(max_workers=1) as reader:
        pending = reader.submit(next, batches, None)
        while (batch := pending.result()) is not None:
            pending = reader.submit(next, batches, None)
            yield batch


def derive_day(request_files: list[str], out_path: Path, batch_rows: int = DERIVE_BATCH_ROWS) -> Path:
    """Stream the day's requests through the derivations, batch by batch, into one Parquet file.
    Reading the next batch and writing the last one overlap the derivations (1.3 of 7.4 s at 1M requests were
    spent reading and writing while the derivations waited); one batch each way, in order."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".tmp")
    writer, written = None, None
    try:
        with ThreadPoolExecutor(max_workers=1) as write:
            for batch in _read_ahead(_batches(request_files, batch_rows)):
                table = derive_requests(batch.lazy()).collect().to_arrow()
                writer = writer or pq.ParquetWriter(tmp, table.schema, compression="zstd")
                if written is not None:
                    written.result()
                written = write.submit(writer.write_table, table)
            if written is not None:
                written.result()
    finally:
        if writer is not None:
            writer.close()
    if writer is None:  # no rows: still one file with the derived schema
        derive_requests(scan_contract(request_files, contract.REQUESTS)).sink_parquet(tmp, compression="zstd")
    tmp.replace(out_path)
    return out_path


def _run(con: duckdb.DuckDBPyConnection, name: str, day: date) -> pl.DataFrame:
    return con.sql(sql(name), params={"day": day}).pl()


# Derived requests per pass of the per-account SQL. Above 3M, DuckDB spilled at its 3 GB limit and the cost per
# request grew 1.7x from 1M to 10M requests (CPU seconds); at 3M a pass still held 2.8 GB, at 1.5M 2.0 GB, for
# 5% more time on a 10M-request day (benchmarks/results.md).
ACCOUNT_DAY_BUCKET_ROWS = 1_500_000


def account_day(
    con: duckdb.DuckDBPyConnection,
    derived: Path,
    account_files: list[str],
    day: date,
    releases: pl.DataFrame | None = None,
    bucket_rows: int = ACCOUNT_DAY_BUCKET_ROWS,
) -> dict[str, pl.DataFrame | duckdb.DuckDBPyRelation]:
    """The day's account features (1-day part, with organisation and release context), then its template use and
    lockstep buckets as relations over ``con``'s view of ``derived`` (read them before ``con`` runs another day)."""
    objectstore.duckdb_relation(con, account_files).create_view("accounts", replace=True)
    con.register("releases", (releases if releases is not None else empty_releases()).to_arrow())
    out = {"features_1d": _per_account_features(con, str(derived), day, bucket_rows)}
    con.read_parquet(str(derived)).create_view("derived", replace=True)
    # Relations, written by the caller straight from DuckDB: at 30M requests template use is 16.8M rows, which
    # a Polars copy on the way to Parquet held in memory twice over.
    out["templates"] = con.sql(sql("features/feat_account_templates"), params={"day": day})
    out["sync"] = con.sql(sql("features/feat_sync_buckets"), params={"day": day})
    ua = con.sql(sql("features/feat_account_user_agent")).pl()
    org = _run(con, "features/feat_org", day)
    release = _run(con, "features/feat_release", day)
    con.unregister("releases")
    out["features_1d"] = (
        out["features_1d"]
        .join(ua, on="account_id", how="left")
        .join(org, on="account_id", how="left")
        .join(release, on="account_id", how="left")
        .sort("account_id")
    )
    return out


def model_use(con: duckdb.DuckDBPyConnection, derived: Path, day: date) -> pl.DataFrame:
    """Requests per model of the day and the first of them (``feat_model_use``), for the release calendar."""
    con.read_parquet(str(derived)).create_view("derived", replace=True)
    return _run(con, "features/feat_model_use", day)


def materialised(out: dict[str, pl.DataFrame | duckdb.DuckDBPyRelation]) -> dict[str, pl.DataFrame]:
    """``account_day``'s outputs as Polars frames, for a small day read in full (tests, a notebook)."""
    return {k: v.pl() if isinstance(v, duckdb.DuckDBPyRelation) else v for k, v in out.items()}


def _per_account_features(con: duckdb.DuckDBPyConnection, derived: str, day: date, bucket_rows: int) -> pl.DataFrame:
    """feat_account_day.sql on account-hash buckets of at most about ``bucket_rows`` requests, then org totals."""
    rows = con.read_parquet(derived).aggregate("count(*)").fetchall()[0][0]
    buckets = max(1, -(-rows // bucket_rows))
    parts = []
    for b in range(buckets):
        view = con.read_parquet(derived)
        if buckets > 1:
            view = view.filter(f"hash(account_id) % {buckets} = {b}")
        view.create_view("derived", replace=True)
        parts.append(_run(con, "features/feat_account_day", day))
    con.register("account_day_rows", pl.concat(parts).to_arrow())
    try:
        return con.sql(sql("features/feat_account_org")).pl()
    finally:
        con.unregister("account_day_rows")


# Template-use rows per pass of the 7-day window SQL: its groups per account and template held 1.4 GB at 5.6M rows
# (a 10M-request day) in one pass, 0.4 GB in account-hash buckets of this size, and whatever the window's size.
ACCOUNT_WINDOW_BUCKET_ROWS = 1_000_000


def account_window(
    con: duckdb.DuckDBPyConnection,
    history: pl.DataFrame | duckdb.DuckDBPyRelation,
    templates: pl.DataFrame | duckdb.DuckDBPyRelation,
    day: date,
    bucket_rows: int = ACCOUNT_WINDOW_BUCKET_ROWS,
) -> pl.DataFrame:
    """Trailing 7-day features from account-day and template history (rows after ``day`` are ignored).
    Relations (the stored Parquet files) are read by DuckDB within its memory limit, never loaded whole."""
    con.register("window_history", history)
    con.register("window_templates", templates)
    try:
        rows = con.table("window_templates").aggregate("count(*)").fetchall()[0][0]
        buckets = max(1, -(-rows // bucket_rows))
        parts = []
        for b in range(buckets):
            # Every window feature is per account, so the buckets' rows are the whole day's, split by account.
            where = f"hash(account_id) % {buckets} = {b}" if buckets > 1 else "true"
            con.table("window_history").filter(where).create_view("account_day_history", replace=True)
            con.table("window_templates").filter(where).create_view("template_history", replace=True)
            parts.append(_run(con, "features/feat_account_window", day))
        return pl.concat(parts).sort("account_id")
    finally:
        con.unregister("window_history")
        con.unregister("window_templates")
