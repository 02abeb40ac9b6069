"""Scoring stage: the detector model (retrained on a schedule), account and cluster scores, policy actions."""


from datetime import date, timedelta

import dagster as dg
import polars as pl
from pydantic import Field

from models import training
from models.policy import POLICY_INPUTS, active_allowlist, apply_policy, prior_evidence
from models.scoring import score_accounts, score_clusters
from models.spec import load_policy, load_spec
from pipelines.features import account_features
from pipelines.ingest import partition_day
from pipelines.partitions import daily_asset
from pipelines.resources import EnforcementWarehouse, RawLogWarehouse

COMMON = daily_asset("scoring")


class TrainConfig(dg.Config):
    as_of: str = Field(default="", description="Train on account-days before this date (YYYY-MM-DD) and labels confirmed before it; empty: the day after the latest featured day.")


@dg.asset(group_name="model", description="The LightGBM detector, trained point-in-time on stored account features and reviewed labels, calibrated on held-out days.")
def detector_model(context: dg.AssetExecutionContext, config: TrainConfig, raw: RawLogWarehouse, warehouse: EnforcementWarehouse) -> dg.MaterializeResult:
    store = warehouse.store()
    featured = store.days("account_features")
    if not featured:
        raise dg.Failure("no account features stored yet; run some days before training")
    as_of = date.fromisoformat(config.as_of) if config.as_of else featured[-1] + timedelta(days=1)
    spec = load_spec()
    features = store.read("account_features", as_of - timedelta(days=spec.training_window_days), as_of - timedelta(days=1))
    label_files = raw.warehouse().files("labels")
    if features is None or not label_files:
        raise dg.Failure(f"nothing to train on before {as_of}: features {'missing' if features is None else 'present'}, {len(label_files)} label file(s)")
    labels = pl.read_parquet(label_files, hive_partitioning=False)
    try:
        model = training.train(features, labels, as_of, spec)
    except training.NotEnoughLabels as exc:
        raise dg.Failure(str(exc)) from exc
    folder = training.save(model, warehouse.models_dir)
    meta = model.metadata
    return dg.MaterializeResult(metadata={
        "version": meta["version"], "as_of": meta["as_of"], "artifact": dg.MetadataValue.path(str(folder)),
        "validation_auc": meta["metrics"]["validation_auc"] or 0.0, "best_iteration": meta["best_iteration"],
        "positive_accounts": meta["label_counts"]["positive_accounts"], "account_days": meta["label_counts"]["account_days"],
    })


@dg.asset(deps=[account_features, detector_model], description="Calibrated score per active account and per cluster, with plain-language reasons (cold-start rules until a model exists).", **COMMON)
def account_scores(context: dg.AssetExecutionContext, warehouse: EnforcementWarehouse) -> dg.MaterializeResult:
    day = partition_day(context)
    store = warehouse.store()
    feats = store.read("account_features", day, day)
    model = training.load(warehouse.models_dir)
    scores = score_accounts(feats, model)
    inputs = [c for c in POLICY_INPUTS if c in feats.columns]  # days featured before an input existed lack it
    scored = feats.select("account_id", "org_id", "cluster_id", *inputs).join(scores, on="account_id")
    clusters = score_clusters(store.read("clusters", day, day), scored, store.read("cluster_members", day, day))
    store.write("scored", day, scored)
    store.write("clusters_scored", day, clusters)
    bins = scored.select((pl.col("score") * 10).floor().clip(upper_bound=9).cast(pl.Int32).alias("decile")).group_by("decile").len().sort("decile")
    histogram = "| score | accounts |\n|---|---|\n" + "\n".join(f"| {d / 10:.1f}-{(d + 1) / 10:.1f} | {n} |" for d, n in bins.iter_rows())
    return dg.MaterializeResult(metadata={
        "model_version": scores["model_version"][0] if scores.height else "none",
        "score_distribution": dg.MetadataValue.md(histogram),
        "accounts": scored.height, "mean_score": float(scored["score"].mean() or 0),
        "accounts_over_0.5": int((scored["score"] >= 0.5).sum()),
        "high_risk_clusters": int((clusters["score"] >= 0.6).sum()) if clusters.height else 0,
    })


@dg.asset(deps=[account_scores], description="Graduated actions from the declarative policy (models/policy.yaml): bands, corroboration, persistence, cluster escalation, allowlist and tenure protections.", **COMMON)
def enforcement_actions(context: dg.AssetExecutionContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse) -> dg.MaterializeResult:
    day = partition_day(context)
    store = warehouse.store()
    allow_files = raw.warehouse().files("allowlist")
    allowlist = pl.read_parquet(allow_files, hive_partitioning=False) if allow_files else None
    policy = load_policy()
    # Persistence and earlier strong actions: what was published for the days before this one.
    lookback = max(policy.persistence.lookback_days, policy.first_strong_action.already_enforced_lookback_days)
    earlier = [warehouse.read_published(t, day - timedelta(days=lookback), day - timedelta(days=1))
               for t in ("account_scores", "enforcement_actions")]
    scores, actions = apply_policy(
        policy, day, context.run_id, store.read("scored", day, day), store.read("clusters_scored", day, day),
        active_allowlist(allowlist, day), prior_evidence(policy, day, *earlier),
    )
    store.write("account_scores", day, scores)
    store.write("enforcement_actions", day, actions)
    counts = actions.group_by("action").len().sort("action")
    return dg.MaterializeResult(metadata={
        "actions": actions.height, **{f"action_{a}": int(n) for a, n in counts.iter_rows()},
    })
