"""One day's feature stage: derivations, account-day features, trailing windows, coordination.

Point-in-time: day D reads its own partitions and stored results of days before D, never after. The stored
tables are named like the Dagster assets that own them (pipelines/tables.py); coordination and the model-ready
features return frames and their assets store them.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import duckdb
import polars as pl

from features import releases, sharing
from features.account_day import account_day, account_window, derive_day, model_use
from features.contract import ACCOUNTS
from features.coordination import WAKE, WAKE_COLUMNS, WINDOW_DAYS, Coordination, coordinate
from features.raw import RawWarehouse, scan_contract
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
DERIVED = "request_derivations"  # the stored table of per-request derivations
MODEL_USE = "model_use"  # requests per model and day, the traffic's record of releases
CLUSTERS = "coordination_clusters"  # clusters as coordination finds them, before scoring


def derive(raw: RawWarehouse, store: Store, day: date) -> None:
    derive_day(raw.ready_files("requests", day), store.path(DERIVED, day))
    store.prune(DERIVED, before=day - timedelta(days=DERIVED_RETENTION_DAYS))


def account_features_1d(con: duckdb.DuckDBPyConnection, raw: RawWarehouse, store: Store, day: date) -> pl.DataFrame:
    store.write(MODEL_USE, day, model_use(con, store.path(DERIVED, day), day))
    calendar = release_calendar(raw, store, day)
    out = account_day(con, store.path(DERIVED, day), raw.ready_files("accounts", day), day, calendar)
    store.write("features_1d", day, out["features_1d"])
    store.write("templates", day, out["templates"])
    store.write("sync", day, out["sync"])
    return out["features_1d"]


def release_calendar(raw: RawWarehouse, store: Store, day: date) -> pl.DataFrame:
    """The release calendar at the end of ``day``: ``<raw>/releases`` where it lists a model, else the dating from
    the stored model use of the days up to ``day`` (written first by each engine)."""
    use = store.read(MODEL_USE, day - timedelta(days=releases.USE_DAYS - 1), day)
    return releases.calendar(releases.load_releases(raw.files("releases")), use, day)


def coordination(
    raw: RawWarehouse,
    store: Store,
    day: date,
    enforced_accounts: pl.DataFrame | None,
    partner: pl.DataFrame | None = None,
    key: bytes | None = None,
) -> Coordination:
    """The day's clusters, members and per-account cluster context (stored by the caller). ``partner``: indicators
    imported from partners' STIX bundles, valid on ``day``; ``key``: the warehouse's fingerprint key."""
    lo = day - timedelta(days=WINDOW_DAYS - 1)
    accounts = scan_contract(raw.ready_files("accounts", day), ACCOUNTS).collect()
    feats, templates = store.read("features_1d", lo, day), store.scan("templates", lo, day)
    activity = store.scan("features_1d", day - timedelta(days=WAKE.memory_days - 1), day)
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
        activity=activity.select(WAKE_COLUMNS) if activity is not None else None,
    )
    return result


def _partner_edges(partner, accounts, feats, templates: pl.LazyFrame) -> pl.DataFrame | None:
    if partner is None or partner.is_empty():
        return None
    user_agents = feats.select("account_id", pl.col("acct_top_user_agent_1d").alias("user_agent")).drop_nulls().unique()
    key = sharing.sharing_key() if os.environ.get(sharing.SHARING_KEY_ENV) else None
    shared = partner.filter(pl.col("kind") == "template")["value"]
    used = templates.filter(pl.col("template_id").cast(pl.String).is_in(shared.implode())).collect(engine="streaming")
    return sharing.partner_edges(partner, accounts, used, user_agents, key)


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
    """The ``account_features`` rows (stored by the caller): 1-day, 7-day and cluster-context features joined."""
    lo = day - timedelta(days=WINDOW_DAYS - 1)
    window = account_window(
        con,
        con.read_parquet(store.files("features_1d", lo, day), union_by_name=True),
        con.read_parquet(store.files("templates", lo, day), union_by_name=True),
        day,
    )
    today = store.read("features_1d", day, day)
    feats = today.join(window, on="account_id", how="left").join(context, on="account_id", how="left")
    return feats.sort("account_id")


def feature_columns(frame: pl.DataFrame) -> list[str]:
    """Numeric model inputs in a fixed order."""
    return sorted(c for c, t in frame.schema.items() if c not in NON_FEATURES and t.is_numeric())
