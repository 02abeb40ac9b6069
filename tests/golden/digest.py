"""Digests of published tables: row count, columns and a sha256 over the rows in key order.

Everything published is covered except ``run_id`` (a new id per run). The action windows (``effective_from``,
``expires_at``) are derived from the traffic day, not the wall clock, so they are covered too. Keyed fingerprints
in text (``payment:0cab97504a36c84f``) depend on the warehouse's own key (features/privacy.py), so each distinct
one is renumbered in order of first appearance (``payment:#1``): which rows share a fingerprint still counts.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import polars as pl

GOLDEN = Path(__file__).with_name("sample_published.json")
WRITE_ENV = "DISTILL_GUARD_WRITE_GOLDEN"
REGENERATE = (
    f"{WRITE_ENV}=1 PYTHONPATH=$PWD .venv/bin/python -m pytest tests/test_published_golden.py "
    "(only after a deliberate detection change; commit the new tests/golden/sample_published.json with it)"
)
# One row per key in every published table (docs/warehouse.md).
KEYS = {
    "account_features": ("date", "account_id"),
    "account_scores": ("date", "account_id"),
    "clusters": ("date", "cluster_id"),
    "cluster_members": ("date", "cluster_id", "account_id"),
    "enforcement_actions": ("date", "account_id"),
}
VOLATILE = ("run_id",)
FINGERPRINT = re.compile(r"\b([a-z_]+):([0-9a-f]{16})\b")
FLOAT_DIGITS = 12  # significant digits: a changed published value shows, float formatting noise does not


def digest(frame: pl.DataFrame, key: tuple[str, ...]) -> dict:
    """Row count, column names and types, and a sha256 over the rows sorted by ``key`` (CSV, lists joined)."""
    frame = frame.drop([c for c in VOLATILE if c in frame.columns])
    dupes = frame.height - frame.select(key).n_unique()
    if dupes:
        raise ValueError(f"{dupes} rows share a key {key}; the digest needs one row per key")
    flat = frame.sort(list(key)).with_columns(
        pl.col(c).cast(pl.List(pl.String)).list.join("\x1f") for c, t in frame.schema.items() if t == pl.List
    )
    text = unkeyed(flat.write_csv(float_scientific=True, float_precision=FLOAT_DIGITS - 1))
    return {
        "rows": frame.height,
        "columns": [f"{c}:{t}" for c, t in frame.schema.items()],
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def unkeyed(text: str) -> str:
    """Fingerprints replaced by their order of first appearance, independent of the warehouse key."""
    seen: dict[str, int] = {}
    return FINGERPRINT.sub(lambda m: f"{m[1]}:#{seen.setdefault(m[2], len(seen) + 1)}", text)


def digests(tables: dict[str, pl.DataFrame]) -> dict[str, dict]:
    return {t: digest(tables[t], key) for t, key in KEYS.items()}


def load() -> dict[str, dict]:
    return json.loads(GOLDEN.read_text())


def write(found: dict[str, dict]) -> None:
    GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
