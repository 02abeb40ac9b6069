"""Request ids unique across all days (CONTRACT.md), at a cost that does not grow with history.

Each published day leaves a compact digest of its ids (the 128-bit MD5 of each id as two UBIGINT columns,
16 bytes a request) and sets the ids' bits in one fixed-size Bloom filter. Checking a new day costs one pass
over its ids plus one read of the filter, whatever the history's length. Only ids the filter flags as
possibly seen (a re-sent day, a reused id, a rerun of the same day, or a rare false positive) are looked up
exactly in the earlier days' digests, which also names the earlier day.

Sizing: with m filter bits and k = ``BLOOM_HASHES`` probes the false-positive rate after n ids is about
(1 - e^(-k n / m))^k; the default 2^27 bits (16 MiB) give 0.04% at 5M ids and 4% at 20M. A false candidate
costs an exact digest lookup, never a wrong refusal; raise ``bits`` for larger traffic.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow.parquet as pq

from features import objectstore

DEFAULT_BITS = 1 << 27  # 16 MiB on disk
BLOOM_HASHES = 4
# Ids per pass over the filter: k probes cost 8k bytes an id and several temporaries, so a day is read in
# batches (30M ids at once held about 4 GB while publishing).
BATCH_ROWS = 1_000_000
HASH_SQL = "select request_id, md5_number_lower(request_id) as lo, md5_number_upper(request_id) as hi from {source}"


def _hashed_sql(con: duckdb.DuckDBPyConnection, files: list[str]) -> str:
    """A query of the files' request ids with their 128-bit digest; local or object-store files alike."""
    return HASH_SQL.format(source=objectstore.parquet_view(con, files, "id_rows"))


def _hashed_batches(con: duckdb.DuckDBPyConnection, files: list[str]) -> Iterator[pl.DataFrame]:
    for batch in con.sql(_hashed_sql(con, files)).fetch_record_batch(BATCH_ROWS):
        yield pl.from_arrow(batch)


@dataclass(frozen=True)
class RequestIdIndex:
    root: Path  # <warehouse>/request_ids
    bits: int = DEFAULT_BITS  # a power of two; fixed once the filter exists

    @property
    def _bloom_path(self) -> Path:
        return Path(self.root) / "bloom.bin"

    def _digest_path(self, day: date) -> Path:
        return Path(self.root) / f"date={day.isoformat()}" / "ids.parquet"

    def _bloom(self) -> np.ndarray:
        if self._bloom_path.exists():
            return np.fromfile(self._bloom_path, dtype=np.uint8)
        return np.zeros(self.bits // 8, dtype=np.uint8)

    def seen_before(self, con: duckdb.DuckDBPyConnection, files: list[str], day: date) -> list[tuple[date, int, str]]:
        """(earlier day, ids of ``files`` already published on it, an example id), earliest day first."""
        digests = sorted(str(p) for p in Path(self.root).glob("date=*/ids.parquet") if p != self._digest_path(day))
        if not digests or not self._bloom_path.exists():
            return []
        bloom = self._bloom()
        flagged = []
        for ids in _hashed_batches(con, files):
            positions = _positions(ids, bloom.size * 8)
            maybe = np.all((bloom[positions >> 3] >> (positions & 7).astype(np.uint8)) & 1, axis=1)
            flagged.append(ids.filter(pl.Series(maybe)))
        candidates = pl.concat(flagged) if flagged else pl.DataFrame()
        if candidates.is_empty():
            return []
        con.register("id_candidates", candidates.to_arrow())
        try:
            rows = con.execute(
                "select d.day, count(*), min(c.request_id) from id_candidates as c "
                "join read_parquet($digests, hive_partitioning = false) as d on d.lo = c.lo and d.hi = c.hi "
                "group by d.day order by d.day",
                {"digests": digests},
            ).fetchall()
        finally:
            con.unregister("id_candidates")
        return [(d, n, example) for d, n, example in rows]

    def record(self, con: duckdb.DuckDBPyConnection, files: list[str], day: date) -> int:
        """Keep the day's digest and set its bits (the caller holds the warehouse's writer lock).
        The digest is sorted and written by DuckDB within its memory limit, then read back in batches."""
        path = self._digest_path(day)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".ids-{uuid.uuid4().hex}.parquet.tmp"
        con.execute(
            f"copy (select lo, hi, date '{day.isoformat()}' as day from ({_hashed_sql(con, files)}) order by lo, hi) "
            f"to '{objectstore.quote(str(tmp))}' (format parquet, compression zstd)"
        )
        bloom = self._bloom()
        digest = pq.ParquetFile(tmp)
        for batch in digest.iter_batches(BATCH_ROWS, columns=["lo", "hi"]):
            positions = _positions(pl.from_arrow(batch), bloom.size * 8).ravel()
            np.bitwise_or.at(bloom, positions >> 3, (np.uint8(1) << (positions & 7).astype(np.uint8)))
        os.replace(tmp, path)
        tmp = self._bloom_path.parent / f".bloom-{uuid.uuid4().hex}.bin.tmp"
        bloom.tofile(tmp)
        os.replace(tmp, self._bloom_path)
        return digest.metadata.num_rows


def _positions(ids: pl.DataFrame, bits: int) -> np.ndarray:
    """Bit positions (n, k) by double hashing of the two MD5 halves."""
    lo = ids["lo"].to_numpy().astype(np.uint64)
    hi = ids["hi"].to_numpy().astype(np.uint64)
    steps = np.arange(BLOOM_HASHES, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return (lo[:, None] + steps[None, :] * hi[:, None]) & np.uint64(bits - 1)
