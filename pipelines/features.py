"""Feature stage assets: thin wrappers over the ``features`` library, each named after the table(s) it owns."""

from datetime import timedelta

import dagster as dg
import polars as pl

from features import daily
from features.coordination import WINDOW_DAYS
from features.coordination_config import coordination_config
from features.privacy import user_agent_family
from pipelines.engine import FeatureEngine
from pipelines.ingest import partition_day, raw_partition
from pipelines.partitions import daily_asset, daily_multi_asset
from pipelines.resources import EnforcementWarehouse, RawLogWarehouse
from pipelines.sharing import partner_indicators
from pipelines.tables import PUBLISHED, STORE, owned_store, reported, store_table, table_spec, table_tags

INTERMEDIATE = "intermediate"  # working tables the published ones are computed from


@dg.asset(
    kinds={"polars", "spark"},
    deps=[raw_partition],
    tags=table_tags(STORE),
    description=(
        "Per-request derivations: template id, near-duplicate signature, markers, capability (Polars streamed, or "
        "Spark). Kept for the run only: dropped once the day is published."
    ),
    **daily_asset(INTERMEDIATE),
)
def request_derivations(
    context: dg.AssetExecutionContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse, engine: FeatureEngine
) -> dg.MaterializeResult:
    day = partition_day(context)
    summary = engine.engine().derive(raw.warehouse(), owned_store(context, warehouse.store()), day)
    metadata = {k: (float(v) if isinstance(v, float) else int(v)) for k, v in summary.items()}
    return dg.MaterializeResult(
        metadata={**metadata, "dagster/row_count": int(summary["requests"]), "engine": engine.chosen}
    )


@dg.multi_asset(
    name="account_day_features",
    specs=[
        table_spec(
            daily.MODEL_USE,
            STORE,
            INTERMEDIATE,
            "Requests per model of the day and the first of them: the traffic dates the releases the calendar "
            "(<raw>/releases) does not list (features/releases.py).",
            {"duckdb", "sql", "spark"},
            deps=[request_derivations],
        ),
        table_spec(
            "features_1d",
            STORE,
            INTERMEDIATE,
            "Account-day features (volume, timing, errors, infrastructure, metadata, content) from sql/features.",
            {"duckdb", "sql", "spark"},
            deps=[request_derivations],
        ),
        table_spec(
            "templates",
            STORE,
            INTERMEDIATE,
            "Requests per account and prompt template of the day (template history, coordination).",
            {"duckdb", "sql", "spark"},
            deps=[request_derivations],
        ),
        table_spec(
            "sync",
            STORE,
            INTERMEDIATE,
            "Requests per account, shared template and 10-minute bucket of the day (lockstep timing).",
            {"duckdb", "sql", "spark"},
            deps=[request_derivations],
        ),
    ],
    **daily_multi_asset(),
)
def account_day_features(
    context: dg.AssetExecutionContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse, engine: FeatureEngine
):
    day = partition_day(context)
    store = owned_store(context, warehouse.store())
    with warehouse.compute() as con:  # the engine writes the three tables through the owned store
        feats = engine.engine().account_features_1d(con, raw.warehouse(), store, day)
    yield reported(
        "features_1d",
        feats,
        requests=int(feats["acct_req_count_1d"].sum()),
        median_top_template_share=float(feats["acct_top_template_share_1d"].median() or 0),
        engine=engine.chosen,
    )
    for table in (daily.MODEL_USE, "templates", "sync"):  # scanned: their row counts come from the Parquet footers
        yield reported(table, store.scan(table, day, day))


@dg.multi_asset(
    name="coordination",
    specs=[
        table_spec(
            "cluster_members",
            PUBLISHED,
            "features",
            "Accounts of each coordinated cluster of the day (published).",
            {"polars", "scipy"},
            deps=["features_1d", "templates", "sync"],
        ),
        table_spec(
            daily.CLUSTERS,
            STORE,
            INTERMEDIATE,
            f"Coordinated clusters over the trailing {WINDOW_DAYS} days, before scoring: shared payment, networks, "
            "templates, lockstep timing, links to enforced pools.",
            {"polars", "scipy"},
            deps=["features_1d", "templates", "sync"],
        ),
        table_spec(
            "cluster_context",
            STORE,
            INTERMEDIATE,
            "Per-account cluster features of the day (the cluster context joined into account_features).",
            {"polars", "scipy"},
            deps=["features_1d", "templates", "sync"],
        ),
    ],
    **daily_multi_asset(),
)
def coordination(context: dg.AssetExecutionContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse):
    day = partition_day(context)
    hydra = coordination_config().hydra  # features/coordination.yaml
    enforced = warehouse.read_published(
        "enforcement_actions", day - timedelta(days=hydra.memory_days), day - timedelta(days=1)
    )
    if enforced is not None:
        enforced = enforced.filter(pl.col("action").is_in(list(hydra.enforced_actions))).select("account_id").unique()
    partner = partner_indicators(warehouse, day)
    store = owned_store(context, warehouse.store())
    result = daily.coordination(raw.warehouse(), store, day, enforced, partner, key=warehouse.fingerprint_key())
    top = result.clusters.sort(["n_accounts", "cluster_id"], descending=[True, False]).head(5)
    yield store_table(store, "cluster_members", day, result.members)
    yield store_table(
        store,
        daily.CLUSTERS,
        day,
        result.clusters,
        largest_clusters=dg.MetadataValue.table(
            records=[
                dg.TableRecord({**r, "indicators": "; ".join(r["indicators"] or [])})
                for r in top.select("cluster_id", "n_accounts", "indicators").iter_rows(named=True)
            ],
            schema=dg.TableSchema(
                columns=[
                    dg.TableColumn("cluster_id", "string"),
                    dg.TableColumn("n_accounts", "int"),
                    dg.TableColumn("indicators", "string"),
                ]
            ),
        ),
    )
    yield store_table(store, "cluster_context", day, result.context)


@dg.asset(
    kinds={"duckdb", "polars"},
    deps=["features_1d", "templates", "cluster_context"],
    tags=table_tags(PUBLISHED),
    description=(
        f"Model-ready account features: 1-day, {WINDOW_DAYS}-day and cluster context, one row per active account; "
        "client families, not raw client strings (published)."
    ),
    **daily_asset("features"),
)
def account_features(context: dg.AssetExecutionContext, warehouse: EnforcementWarehouse) -> dg.MaterializeResult:
    day = partition_day(context)
    store = owned_store(context, warehouse.store())
    cluster_context = store.read("cluster_context", day, day)
    if cluster_context is None:
        raise dg.Failure(f"no cluster_context stored for {day}; materialise the coordination step first")
    with warehouse.compute() as con:
        feats = daily.account_features(con, store, day, cluster_context)
    # Client families only: raw client strings stay in features_1d, a working table that is never published.
    feats = feats.with_columns(user_agent_family("acct_top_user_agent_1d"))
    return store_table(store, "account_features", day, feats, columns=len(feats.columns))
