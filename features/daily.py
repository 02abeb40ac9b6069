"""One day's feature stage: derivations, account-day features, trailing windows, coordination.

Point-in-time: day D reads its own partitions and stored results of days before D, never after.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import duckdb
import polars as pl

from features import sharing
from features.account_day import account_day, account_window, derive_day
from features.contract import ACCOUNTS
from features.coordination import WINDOW_DAYS, Coordination, coordinate
from features.raw import RawWarehouse, scan_contract
from features.releases import load_releases
from features.store import Store

# Identifier and text columns that travel with the features but are not model inputs.
NON_FEATURES = {
    "date",
    "account_id",
    "org_id",
    "cluster_id",
    "acct_top_user_agent_1d",
    "acct_top_capability_1d",
    "acct_tier",
}


# Derived requests are the one per-request intermediate; older days are not read again.
DERIVED_RETENTION_DAYS = 3


def derive(raw: RawWarehouse, store: Store, day: date) -> None:
    derive_day(raw.ready_files("requests", day), store.path("derived", day))
    store.prune("derived", before=day - timedelta(days=DERIVED_RETENTION_DAYS))


def account_features_1d(con: duckdb.DuckDBPyConnection, raw: RawWarehouse, store: Store, day: date) -> pl.DataFrame:
    releases = load_releases(raw.files("releases"))
    out = account_day(con, store.path("derived", day), raw.ready_files("accounts", day), day, releases)
    store.write("features_1d", day, out["features_1d"])
    store.write("templates", day, out["templates"])
    store.write("sync", day, out["sync"])
    return out["features_1d"]


def coordination(
    raw: RawWarehouse,
    store: Store,
    day: date,
    enforced_accounts: pl.DataFrame | None,
    partner: pl.DataFrame | None = None,
    key: bytes | None = None,
) -> Coordination:
    """``partner``: indicators imported from partners' STIX bundles, valid on ``day``; ``key``: the warehouse's
    fingerprint key."""
    lo = day - timedelta(days=WINDOW_DAYS - 1)
    accounts = scan_contract(raw.ready_files("accounts", day), ACCOUNTS).collect()
    feats, templates = store.read("features_1d", lo, day), store.read("templates", lo, day)
    result = coordinate(
        day,
        accounts,
        feats,
        templates,
        _or_empty(store.read("sync", lo, day)),
        store.read("cluster_members", day - timedelta(days=1), day - timedelta(days=1)),
        enforced_accounts,
        _partner_edges(partner, accounts, feats, templates),
        key=key,
    )
    store.write("cluster_members", day, result.members)
    store.write("clusters", day, result.clusters)
    store.write("cluster_context", day, result.context)
    return result


def _partner_edges(partner, accounts, feats, templates) -> pl.DataFrame | None:
    if partner is None or partner.is_empty():
        return None
    user_agents = feats.select("account_id", pl.col("acct_top_user_agent_1d").alias("user_agent")).drop_nulls().unique()
    key = sharing.sharing_key() if os.environ.get(sharing.SHARING_KEY_ENV) else None
    return sharing.partner_edges(partner, accounts, templates, user_agents, key)


def _or_empty(frame: pl.DataFrame | None) -> pl.DataFrame:
    if frame is None:
        return pl.DataFrame(
            schema={
                "date": pl.Date,
                "template_id": pl.Int64,
                "bucket": pl.Datetime("us", "UTC"),
                "account_id": pl.String,
                "n_requests": pl.Int64,
            }
        )
    return frame


def account_features(con: duckdb.DuckDBPyConnection, store: Store, day: date, context: pl.DataFrame) -> pl.DataFrame:
    """The published ``account_features`` rows: 1-day, 7-day and cluster-context features joined."""
    lo = day - timedelta(days=WINDOW_DAYS - 1)
    window = account_window(con, store.read("features_1d", lo, day), store.read("templates", lo, day), day)
    today = store.read("features_1d", day, day)
    feats = today.join(window, on="account_id", how="left").join(context, on="account_id", how="left")
    feats = feats.sort("account_id")
    store.write("account_features", day, feats)
    return feats


def build_day(
    con: duckdb.DuckDBPyConnection,
    raw: RawWarehouse,
    store: Store,
    day: date,
    enforced_accounts: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, Coordination]:
    """The whole feature stage for ``day`` (library entry point for tests and benchmarks)."""
    derive(raw, store, day)
    account_features_1d(con, raw, store, day)
    coord = coordination(raw, store, day, enforced_accounts)
    return account_features(con, store, day, coord.context), coord


def feature_columns(frame: pl.DataFrame) -> list[str]:
    """Numeric model inputs in a fixed order."""
    return sorted(c for c, t in frame.schema.items() if c not in NON_FEATURES and t.is_numeric())
