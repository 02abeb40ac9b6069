"""Account-day features: derivations through Polars, aggregation through the SQL files in ``sql/features``.

Inputs are file lists and frames, outputs are frames and Parquet files; no
orchestration here, so the same calls serve Dagster, tests and benchmarks.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from features import reference
from features.derivations import derive_requests
from features.releases import empty as empty_releases

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
DERIVED_COLUMNS = [
    "request_id", "ts", "account_id", "org_id", "api_key_id", "ip", "asn", "country", "user_agent", "model",
    "endpoint", "input_tokens", "output_tokens", "max_tokens", "thinking_budget", "status", "latency_ms",
]


def sql(name: str) -> str:
    """Text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text()


# DuckDB spills to disk past this; measured on an 8.5M-request day: 7.8 GB peak without a limit,
# 3.2 GB with this one, at the same speed (benchmarks/results.md).
DEFAULT_MEMORY_LIMIT = "3GB"


def connect(threads: int | None = None, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the reference tables registered."""
    config = {"threads": threads, "memory_limit": memory_limit or DEFAULT_MEMORY_LIMIT}
    con = duckdb.connect(config={k: v for k, v in config.items() if v})
    for name, frame in reference.tables().items():
        con.register(name, frame.to_arrow())
    return con


def derive_day(request_files: list[str], out_path: Path) -> Path:
    """Stream the day's requests through the derivations into one Parquet file (bounded memory)."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".tmp")
    derive_requests(pl.scan_parquet(request_files, hive_partitioning=False)).sink_parquet(tmp, compression="zstd")
    tmp.replace(out_path)
    return out_path


def _run(con: duckdb.DuckDBPyConnection, name: str, day: date) -> pl.DataFrame:
    return con.sql(sql(name), params={"day": day}).pl()


def account_day(con: duckdb.DuckDBPyConnection, derived: Path, account_files: list[str], day: date,
                releases: pl.DataFrame | None = None) -> dict[str, pl.DataFrame]:
    """The day's account features (1-day part, with organisation and release context), template use and lockstep
    buckets."""
    con.read_parquet(str(derived)).create_view("derived", replace=True)
    con.read_parquet(account_files, hive_partitioning=False).create_view("accounts", replace=True)
    con.register("releases", (releases if releases is not None else empty_releases()).to_arrow())
    out = {
        "features_1d": _run(con, "features/feat_account_day", day),
        "templates": _run(con, "features/feat_account_templates", day),
        "sync": _run(con, "features/feat_sync_buckets", day),
    }
    ua = con.sql(sql("features/feat_account_user_agent")).pl()
    org = _run(con, "features/feat_org", day)
    release = _run(con, "features/feat_release", day)
    con.unregister("releases")
    out["features_1d"] = (
        out["features_1d"].join(ua, on="account_id", how="left").join(org, on="account_id", how="left")
        .join(release, on="account_id", how="left").sort("account_id")
    )
    return out


def account_window(con: duckdb.DuckDBPyConnection, history: pl.DataFrame, templates: pl.DataFrame, day: date) -> pl.DataFrame:
    """Trailing 7-day features from account-day and template history (rows after ``day`` are ignored)."""
    con.register("account_day_history", history.to_arrow())
    con.register("template_history", templates.to_arrow())
    try:
        return _run(con, "features/feat_account_window", day)
    finally:
        con.unregister("account_day_history")
        con.unregister("template_history")
