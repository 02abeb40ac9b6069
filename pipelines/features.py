"""Feature stage assets: thin wrappers over the ``features`` library, one per step."""

from datetime import timedelta

import dagster as dg
import polars as pl

from features import daily
from features.coordination import WINDOW_DAYS
from features.coordination_config import coordination_config
from pipelines import describe
from pipelines.engine import FeatureEngine
from pipelines.ingest import partition_day, raw_partition
from pipelines.partitions import daily_asset
from pipelines.resources import EnforcementWarehouse, RawLogWarehouse
from pipelines.sharing import partner_indicators

COMMON = daily_asset("features")


@dg.asset(
    kinds={"polars", "spark"},
    deps=[raw_partition],
    description=(
        "Per-request derivations: template id, near-duplicate signature, markers, capability (Polars streamed, or "
        "Spark)."
    ),
    **COMMON,
)
def request_derivations(
    context: dg.AssetExecutionContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse, engine: FeatureEngine
) -> dg.MaterializeResult:
    day = partition_day(context)
    summary = engine.engine().derive(raw.warehouse(), warehouse.store(), day)
    metadata = {k: (float(v) if isinstance(v, float) else int(v)) for k, v in summary.items()}
    return dg.MaterializeResult(metadata={**metadata, "engine": engine.chosen})


@dg.asset(
    kinds={"duckdb", "sql", "spark"},
    deps=[request_derivations],
    description=(
        "Account-day features (volume, timing, errors, infrastructure, metadata, content) from the SQL in sql/features."
    ),
    **COMMON,
)
def account_day_features(
    context: dg.AssetExecutionContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse, engine: FeatureEngine
) -> dg.MaterializeResult:
    day = partition_day(context)
    with warehouse.compute() as con:
        feats = engine.engine().account_features_1d(con, raw.warehouse(), warehouse.store(), day)
    return dg.MaterializeResult(
        metadata={
            "accounts": feats.height,
            "requests": int(feats["acct_req_count_1d"].sum()),
            "median_top_template_share": float(feats["acct_top_template_share_1d"].median() or 0),
            "engine": engine.chosen,
        }
    )


@dg.asset(
    kinds={"polars", "scipy"},
    deps=[account_day_features],
    description=(
        "Coordinated clusters over the trailing 7 days: shared payment, networks, templates, lockstep timing, links "
        "to enforced pools."
    ),
    **COMMON,
)
def coordination_clusters(
    context: dg.AssetExecutionContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse
) -> dg.MaterializeResult:
    day = partition_day(context)
    hydra = coordination_config().hydra  # features/coordination.yaml
    enforced = warehouse.read_published(
        "enforcement_actions", day - timedelta(days=hydra.memory_days), day - timedelta(days=1)
    )
    if enforced is not None:
        enforced = enforced.filter(pl.col("action").is_in(list(hydra.enforced_actions))).select("account_id").unique()
    partner = partner_indicators(warehouse, day)
    result = daily.coordination(
        raw.warehouse(), warehouse.store(), day, enforced, partner, key=warehouse.fingerprint_key()
    )
    top = result.clusters.sort("n_accounts", descending=True).head(5)
    return dg.MaterializeResult(
        metadata={
            "clusters": result.clusters.height,
            "clustered_accounts": result.members.height,
            "largest_clusters": dg.MetadataValue.md(
                "\n".join(
                    f"- {r['cluster_id']}: {r['n_accounts']} accounts; {'; '.join(r['indicators'] or [])}"
                    for r in top.iter_rows(named=True)
                )
                or "none"
            ),
        }
    )


@dg.asset(
    kinds={"duckdb", "polars"},
    deps=[coordination_clusters],
    description=(
        f"Model-ready account features: 1-day, {WINDOW_DAYS}-day and cluster context, one row per active account."
    ),
    **COMMON,
)
def account_features(context: dg.AssetExecutionContext, warehouse: EnforcementWarehouse) -> dg.MaterializeResult:
    day = partition_day(context)
    store = warehouse.store()
    cluster_context = store.read("cluster_context", day, day)
    if cluster_context is None:
        raise dg.Failure(f"no cluster context stored for {day}; materialise coordination_clusters first")
    with warehouse.compute() as con:
        feats = daily.account_features(con, store, day, cluster_context)
    return dg.MaterializeResult(
        metadata={
            "accounts": feats.height,
            "columns": len(feats.columns),
            "dagster/row_count": feats.height,
            "dagster/column_schema": column_schema("account_features", feats),
        }
    )


def column_schema(table: str, frame: pl.DataFrame) -> dg.TableSchema:
    """The table's columns with their types and the catalogue's descriptions (the UI's column view)."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=c, type=str(t), description=describe.description(table, c) or "")
            for c, t in frame.schema.items()
        ]
    )
