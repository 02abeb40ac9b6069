"""Scoring stage: the detector model (retrained on a schedule), account and cluster scores, policy actions."""

from datetime import date, timedelta

import dagster as dg
import duckdb
import polars as pl
from pydantic import Field

from features import contract, daily, objectstore
from models import training
from models.policy import active_allowlist, apply_policy
from models.scoring import score_day
from models.spec import load_policy, load_spec
from pipelines import model_registry
from pipelines.features import INTERMEDIATE
from pipelines.history import ReplaySettings
from pipelines.ingest import partition_day
from pipelines.partitions import daily_multi_asset
from pipelines.resources import EnforcementWarehouse, RawLogWarehouse
from pipelines.tables import PUBLISHED, STORE, owned_store, store_table, table_spec

CLUSTER_COLUMNS = ["date", "cluster_id", "n_accounts", "score", "indicators"]  # the published column order


class TrainConfig(dg.Config):
    as_of: str = Field(
        default="",
        description=(
            "Train on account-days before this date (YYYY-MM-DD) and labels confirmed before it; empty: the day "
            "after the latest featured day."
        ),
    )


@dg.asset(
    kinds={"lightgbm"},
    group_name="model",
    owners=["team:detection"],
    description="The LightGBM detector, trained point-in-time on stored account features "
    "and reviewed labels, calibrated on held-out days; registered, and promoted to current only when the "
    "promotion gate passes.",
    check_specs=[
        dg.AssetCheckSpec(
            "promotion_gate",
            asset="detector_model",
            description="Blocking checks before "
            "a trained model becomes current (models/spec.yaml promotion_gate); a failure "
            "keeps the current model.",
        )
    ],
)
def detector_model(
    context: dg.AssetExecutionContext, config: TrainConfig, raw: RawLogWarehouse, warehouse: EnforcementWarehouse
) -> dg.MaterializeResult:
    store = warehouse.store()
    check_training_inputs(raw)
    featured = store.days("account_features")
    if not featured:
        raise dg.Failure("no account features stored yet; run some days before training")
    as_of = date.fromisoformat(config.as_of) if config.as_of else featured[-1] + timedelta(days=1)
    spec = load_spec()
    features = store.read(
        "account_features", as_of - timedelta(days=spec.training_window_days), as_of - timedelta(days=1)
    )
    labels = model_registry.read_labels(raw.warehouse())
    if features is None or labels is None:
        have = {"features": features is not None, "labels": labels is not None}
        raise dg.Failure(
            f"nothing to train on before {as_of}: "
            + ", ".join(f"{k} {'present' if v else 'missing'}" for k, v in have.items())
        )
    try:
        model = training.train(features, labels, as_of, spec)
    except training.NotEnoughLabels as exc:
        raise dg.Failure(str(exc)) from exc
    outcome = model_registry.register_and_gate(
        warehouse, raw.warehouse(), model, labels, spec, load_policy(), by=f"detector_model run {context.run_id}"
    )
    verdict = outcome["verdict"]
    meta, metrics = model.metadata, model.metadata["metrics"]
    kept = f"not promoted, {outcome['previous'] or 'the cold-start rules'} keeps scoring: {verdict.explain()}"
    return dg.MaterializeResult(
        metadata={
            "version": meta["version"],
            "as_of": meta["as_of"],
            "artifact": dg.MetadataValue.path(str(outcome["folder"])),
            "validation_auc": "unmeasured" if metrics["validation_auc"] is None else metrics["validation_auc"],
            "validation_positives": metrics["validation_positives"],
            "validation_negatives": metrics["validation_negatives"],
            "best_iteration": meta["best_iteration"],
            "positive_accounts": meta["label_counts"]["positive_accounts"],
            "account_days": meta["label_counts"]["account_days"],
            "promoted": verdict.passed,
            "current": outcome["current"] or "none (cold-start rules)",
            "previous": outcome["previous"] or "none",
            "gate": dg.MetadataValue.md("\n".join(f"- {f}" for f in verdict.failures) or "passed"),
            **{f"gate_{k}": v for k, v in verdict.figures.items()},
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="promotion_gate",
                passed=verdict.passed,
                severity=dg.AssetCheckSeverity.ERROR,
                description="promoted to current" if verdict.passed else kept,
                metadata=dict(verdict.figures),
            )
        ],
    )


def check_training_inputs(raw: RawLogWarehouse) -> None:
    """Labels and allowlist pass the same contract gates as in daily runs before training reads them."""
    wh = raw.warehouse()
    with duckdb.connect() as con:
        violations = contract.check_labels(con, wh.files("labels"))
        violations += contract.check_allowlist(con, wh.files("allowlist"))
    if violations:
        raise dg.Failure(
            description=f"training inputs break the contract: {contract.ContractError(violations)}", allow_retries=False
        )


@dg.multi_asset(
    name="scores",
    specs=[
        table_spec(
            "model_scores",
            STORE,
            INTERMEDIATE,
            "Calibrated score per active account with plain-language reasons, by the model chosen point-in-time "
            "(cold-start rules until a model exists), before the policy.",
            {"lightgbm", "polars"},
            deps=["account_features", "cluster_members", daily.CLUSTERS, detector_model],
        ),
        table_spec(
            "clusters",
            PUBLISHED,
            "scoring",
            "Coordinated clusters of the day with their score (75th percentile of the members') and what the "
            "accounts share (published).",
            {"lightgbm", "polars"},
            deps=["account_features", "cluster_members", daily.CLUSTERS, detector_model],
        ),
    ],
    **daily_multi_asset(),
)
def scores(context: dg.AssetExecutionContext, warehouse: EnforcementWarehouse, replay: ReplaySettings):
    day = partition_day(context)
    store = owned_store(context, warehouse.store())
    version, why = model_registry.model_for_day(warehouse, day, replay.model)
    scored, clusters = score_day(
        store.read("account_features", day, day),
        store.read(daily.CLUSTERS, day, day),
        store.read("cluster_members", day, day),
        model_registry.load_model(warehouse, version),
    )
    clusters = clusters.select(CLUSTER_COLUMNS + [c for c in clusters.columns if c not in CLUSTER_COLUMNS])
    rows = (
        scored.select((pl.col("score") * 10).floor().clip(upper_bound=9).cast(pl.Int32).alias("decile"))
        .group_by("decile")
        .len()
        .sort("decile")
        .rows()
    )
    yield store_table(
        store,
        "model_scores",
        day,
        scored,
        model_version=scored["model_version"][0] if scored.height else "none",
        model_choice=why,
        score_distribution=dg.MetadataValue.table(
            records=[dg.TableRecord({"score": f"{d / 10:.1f}-{(d + 1) / 10:.1f}", "accounts": n}) for d, n in rows],
            schema=dg.TableSchema(columns=[dg.TableColumn("score", "string"), dg.TableColumn("accounts", "int")]),
        ),
        mean_score=float(scored["score"].mean() or 0),
        **{"accounts_over_0.5": int((scored["score"] >= 0.5).sum())},
    )
    high = int((clusters["score"] >= 0.6).sum()) if clusters.height else 0
    yield store_table(store, "clusters", day, clusters, high_risk_clusters=high)


@dg.multi_asset(
    name="policy",
    specs=[
        table_spec(
            "account_scores",
            PUBLISHED,
            "scoring",
            "Score, risk band, cluster and reasons per active account after the declarative policy "
            "(models/policy.yaml) (published).",
            {"polars"},
            deps=["model_scores", "clusters"],
        ),
        table_spec(
            "enforcement_actions",
            PUBLISHED,
            "scoring",
            "Graduated actions from the declarative policy (models/policy.yaml): bands, corroboration, persistence, "
            "cluster escalation, allowlist and tenure protections (published).",
            {"polars"},
            deps=["model_scores", "clusters"],
        ),
    ],
    **daily_multi_asset(),
)
def policy(context: dg.AssetExecutionContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse):
    day = partition_day(context)
    store = owned_store(context, warehouse.store())
    allow_files = raw.warehouse().files("allowlist")
    allowlist = objectstore.read_parquet(allow_files) if allow_files else None
    spec = load_policy()
    account_scores, actions = apply_policy(
        spec,
        day,
        context.run_id,
        store.read("model_scores", day, day),
        store.read("clusters", day, day),
        active_allowlist(allowlist, day),
        model_registry.published_prior(warehouse, spec, day),
    )
    yield store_table(store, "account_scores", day, account_scores)
    counts = dict(actions.group_by("action").len().iter_rows()) if actions.height else {}
    by_action = {f"action_{a}": int(counts.get(a, 0)) for a in spec.strength_order()}
    yield store_table(store, "enforcement_actions", day, actions, **by_action)
