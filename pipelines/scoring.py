"""Scoring stage: the detector model (retrained on a schedule), account and cluster scores, policy actions."""

from datetime import date, timedelta

import dagster as dg
import duckdb
import polars as pl
from pydantic import Field

from features import contract, objectstore
from models import training
from models.policy import active_allowlist, apply_policy
from models.scoring import score_day
from models.spec import load_policy, load_spec
from pipelines import model_registry
from pipelines.features import account_features
from pipelines.history import ReplaySettings
from pipelines.ingest import partition_day
from pipelines.partitions import daily_asset
from pipelines.resources import EnforcementWarehouse, RawLogWarehouse

COMMON = daily_asset("scoring")


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


@dg.asset(
    kinds={"lightgbm", "polars"},
    deps=[account_features, detector_model],
    description="Calibrated score per active account and per cluster, "
    "with plain-language reasons, by the model chosen point-in-time (cold-start rules until a model exists).",
    **COMMON,
)
def account_scores(
    context: dg.AssetExecutionContext, warehouse: EnforcementWarehouse, replay: ReplaySettings
) -> dg.MaterializeResult:
    day = partition_day(context)
    store = warehouse.store()
    feats = store.read("account_features", day, day)
    version, why = model_registry.model_for_day(warehouse, day, replay.model)
    scored, clusters = score_day(
        feats,
        store.read("clusters", day, day),
        store.read("cluster_members", day, day),
        model_registry.load_model(warehouse, version),
    )
    store.write("scored", day, scored)
    store.write("clusters_scored", day, clusters)
    bins = (
        scored.select((pl.col("score") * 10).floor().clip(upper_bound=9).cast(pl.Int32).alias("decile"))
        .group_by("decile")
        .len()
        .sort("decile")
    )
    histogram = "| score | accounts |\n|---|---|\n" + "\n".join(
        f"| {d / 10:.1f}-{(d + 1) / 10:.1f} | {n} |" for d, n in bins.iter_rows()
    )
    return dg.MaterializeResult(
        metadata={
            "model_version": scored["model_version"][0] if scored.height else "none",
            "model_choice": why,
            "score_distribution": dg.MetadataValue.md(histogram),
            "accounts": scored.height,
            "mean_score": float(scored["score"].mean() or 0),
            "accounts_over_0.5": int((scored["score"] >= 0.5).sum()),
            "high_risk_clusters": int((clusters["score"] >= 0.6).sum()) if clusters.height else 0,
        }
    )


@dg.asset(
    kinds={"polars"},
    deps=[account_scores],
    description=(
        "Graduated actions from the declarative policy (models/policy.yaml): bands, corroboration, persistence, "
        "cluster escalation, allowlist and tenure protections."
    ),
    **COMMON,
)
def enforcement_actions(
    context: dg.AssetExecutionContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse
) -> dg.MaterializeResult:
    day = partition_day(context)
    store = warehouse.store()
    allow_files = raw.warehouse().files("allowlist")
    allowlist = objectstore.read_parquet(allow_files) if allow_files else None
    policy = load_policy()
    scores, actions = apply_policy(
        policy,
        day,
        context.run_id,
        store.read("scored", day, day),
        store.read("clusters_scored", day, day),
        active_allowlist(allowlist, day),
        model_registry.published_prior(warehouse, policy, day),
    )
    store.write("account_scores", day, scores)
    store.write("enforcement_actions", day, actions)
    counts = actions.group_by("action").len().sort("action")
    return dg.MaterializeResult(
        metadata={
            "actions": actions.height,
            **{f"action_{a}": int(n) for a, n in counts.iter_rows()},
        }
    )
