"""Intermediate day partitions (derived requests, account-day features, templates, clusters).

Each partition is one Parquet file written to a temporary name and renamed
into place, so a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl


@dataclass(frozen=True)
class Store:
    root: Path

    def path(self, kind: str, day: date) -> Path:
        return Path(self.root) / kind / f"date={day.isoformat()}" / "part.parquet"

    def write(self, kind: str, day: date, frame: pl.DataFrame | duckdb.DuckDBPyRelation) -> Path:
        """Write the partition; a DuckDB relation is written by DuckDB itself, never loaded into Python."""
        path = self.path(kind, day)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".part-{uuid.uuid4().hex}.parquet.tmp"
        frame.write_parquet(str(tmp), compression="zstd")
        tmp.replace(path)
        return path

    def has(self, kind: str, day: date) -> bool:
        return self.path(kind, day).exists()

    def days(self, kind: str) -> list[date]:
        """Days that have a partition of ``kind``, in order."""
        return sorted(
            date.fromisoformat(p.parent.name.split("=", 1)[1])
            for p in (Path(self.root) / kind).glob("date=*/part.parquet")
        )

    def drop(self, kind: str, day: date) -> None:
        """Delete the partition of ``kind`` for ``day`` (per-request rows once the day is published)."""
        folder = self.path(kind, day).parent
        if folder.is_dir():
            shutil.rmtree(folder)

    def prune(self, kind: str, before: date) -> None:
        """Delete the partitions of ``kind`` for days before ``before``."""
        for folder in (Path(self.root) / kind).glob("date=*"):
            if date.fromisoformat(folder.name.split("=", 1)[1]) < before:
                shutil.rmtree(folder)

    def files(self, kind: str, first: date, last: date) -> list[str]:
        """Partition files of the days ``first``..``last`` that exist, in day order."""
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        return [str(self.path(kind, d)) for d in days if self.has(kind, d)]

    def read(self, kind: str, first: date, last: date) -> pl.DataFrame | None:
        """Rows of the days ``first``..``last`` that exist, in day order; None when there are none."""
        scan = self.scan(kind, first, last)
        return scan.collect() if scan is not None else None

    def scan(self, kind: str, first: date, last: date) -> pl.LazyFrame | None:
        """``read`` without loading: for tables too large to hold whole (template use at tens of millions of
        requests a day), read in streaming passes."""
        files = self.files(kind, first, last)
        if not files:
            return None
        # Instants in UTC whatever zone name a partition was written with (DuckDB's session zone in older ones).
        utc = pl.col(pl.Datetime(time_zone="*")).dt.convert_time_zone("UTC")
        return pl.concat([pl.scan_parquet(f).with_columns(utc) for f in files], how="diagonal_relaxed")
