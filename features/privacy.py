"""Keyed fingerprints for what the product shares: indicators name their kind and a keyed hash, never a raw value.

Payment fingerprints, e-mail domains, signup networks and client strings identify people or companies.
Published tables and summaries carry ``kind:HMAC-SHA256(key, kind, value)`` (64 bits, hex) instead: two
clusters sharing an instrument show the same fingerprint, while nobody without the warehouse key can test a
guessed value against it.
"""

from __future__ import annotations

import hashlib
import hmac

import polars as pl

FINGERPRINT_HEX = 16


def fingerprint(kind: str, value: str, key: bytes) -> str:
    digest = hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:FINGERPRINT_HEX]}"


def fingerprints(frame: pl.DataFrame, key: bytes) -> pl.Series:
    """Fingerprint of each row's (kind, value); one HMAC per distinct pair (cluster indicators, not requests)."""
    pairs = frame.select("kind", "value").unique()
    fps = [fingerprint(k, v, key) for k, v in pairs.iter_rows()]
    mapped = frame.select("kind", "value").join(
        pairs.with_columns(fp=pl.Series(fps, dtype=pl.String)), on=["kind", "value"], how="left", maintain_order="left"
    )
    return mapped["fp"]


def user_agent_family(col: str) -> pl.Expr:
    """A client string reduced to its family: 'anthropic-python/0.34.0 (linux)' -> 'anthropic-python'."""
    return pl.col(col).str.extract(r"^([^/\s;()]+)").str.to_lowercase().alias(col)
