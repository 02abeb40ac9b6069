"""The model registry seen from the pipeline: which model scores a day, the promotion gate's inputs, and the
one rule for "new labels to learn from" that the labels sensor and the replay share.

The registry itself (models/registry.py) and the gate (models/gate.py) are plain Python; this module only
reads the warehouse and the log warehouse for them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from features import objectstore
from features.raw import RawWarehouse
from models import gate
from models.policy import active_allowlist, prior_evidence
from models.registry import Registry, label_cutoff
from models.scoring import COLD_START_VERSION
from models.spec import ModelSpec, Policy
from models.training import NotEnoughLabels, TrainedModel, as_of_instant, check_enough_labels, usable_labels
from pipelines.history import first_publication
from pipelines.resources import EnforcementWarehouse

# Training needs at least this many featured days in its window (fewer: too little benign traffic).
MIN_FEATURED_DAYS = 4


def registry(warehouse: EnforcementWarehouse) -> Registry:
    return Registry(warehouse.models_dir)


def model_for_day(warehouse: EnforcementWarehouse, day: date, named: str = "") -> tuple[str | None, str]:
    """(model version or None for the cold-start rules, why). Point-in-time unless a model is named."""
    reg = registry(warehouse)
    if named:
        version = reg.current() if named == "current" else named
        if version is None:
            raise ValueError("--model current: no model has been promoted yet")
        reg.metadata(version)
        return version, f"{version} named explicitly ({named})"
    published, first = first_publication(warehouse, day)
    if published:
        version = None if first is None or first.startswith("rules-") else first
        return version, f"{day} was first published with {first}; a re-run reproduces it"
    version = reg.in_effect(day)
    if version is None:
        return None, f"no promoted model was trained on labels confirmed before {day}: {COLD_START_VERSION}"
    return version, f"{version}: the latest promoted model trained on labels confirmed before {day}"


def load_model(warehouse: EnforcementWarehouse, version: str | None) -> TrainedModel | None:
    return registry(warehouse).load(version) if version else None


def read_labels(raw: RawWarehouse) -> pl.DataFrame | None:
    files = raw.files("labels")
    return objectstore.read_parquet(files) if files else None


def labels_seen(warehouse: EnforcementWarehouse) -> datetime | None:
    """The label high-water mark of the last training, promoted or not (what it saw)."""
    latest = registry(warehouse).latest_trained()
    if latest is None:
        return None
    seen = latest.get("labels_seen_until")
    return datetime.fromisoformat(seen) if seen else label_cutoff(latest)


def new_labels(
    warehouse: EnforcementWarehouse, raw: RawWarehouse, as_of: date, spec: ModelSpec, seen: datetime | None
) -> tuple[pl.DataFrame | None, str]:
    """Labels confirmed after ``seen`` and usable by a training as of ``as_of``, when such a training is
    possible; (None, why not) otherwise. The labels sensor and the replay both decide with this."""
    store = warehouse.store()
    window = [as_of - timedelta(days=i) for i in range(1, spec.training_window_days + 1)]
    featured = sum(store.has("account_features", d) for d in window)
    if featured < MIN_FEATURED_DAYS:
        return None, f"{featured} featured day(s) before {as_of}; training needs {MIN_FEATURED_DAYS}"
    labels = read_labels(raw)
    if labels is None:
        return None, "no label files"
    fresh = labels.filter(pl.col("confirmed_at") < as_of_instant(as_of))
    if seen is not None:
        fresh = fresh.filter(pl.col("confirmed_at") > seen)
    if fresh.is_empty():
        return None, f"no label confirmed after {seen} and before {as_of}"
    try:
        check_enough_labels(labels, as_of, spec)
    except NotEnoughLabels as exc:
        return None, str(exc)
    return fresh, f"{fresh.height} label(s) confirmed after {seen} and before {as_of}"


def published_prior(warehouse: EnforcementWarehouse, policy: Policy, day: date) -> pl.DataFrame:
    """The persistence evidence publication used for ``day``: what was published for the days before it."""
    lookback = max(policy.persistence.lookback_days, policy.first_strong_action.already_enforced_lookback_days)
    earlier = [
        warehouse.read_published(t, day - timedelta(days=lookback), day - timedelta(days=1))
        for t in ("account_scores", "enforcement_actions")
    ]
    return prior_evidence(policy, day, *earlier)


def gate_verdict(
    warehouse: EnforcementWarehouse,
    raw: RawWarehouse,
    model: TrainedModel,
    labels: pl.DataFrame,
    spec: ModelSpec,
    policy: Policy,
) -> gate.Verdict:
    """The promotion gate on the last published days before the model's as-of date."""
    as_of = date.fromisoformat(model.metadata["as_of"])
    days = [d for d in warehouse.published_days() if d < as_of][-spec.promotion_gate.recent_days :]
    files = raw.files("allowlist")
    allowlist = objectstore.read_parquet(files) if files else None
    published = [
        gate.PublishedDay(
            d,
            warehouse.read_published("account_features", d, d),
            warehouse.read_published("clusters", d, d),
            warehouse.read_published("cluster_members", d, d),
            warehouse.read_published("enforcement_actions", d, d),
            active_allowlist(allowlist, d),
            published_prior(warehouse, policy, d),
        )
        for d in days
    ]
    lab = usable_labels(labels, as_of)
    benign = lab.filter(pl.col("label") == 0)["account_id"].to_list()
    return gate.evaluate(model, published, benign, policy, spec.promotion_gate)


def register_and_gate(
    warehouse: EnforcementWarehouse,
    raw: RawWarehouse,
    model: TrainedModel,
    labels: pl.DataFrame,
    spec: ModelSpec,
    policy: Policy,
    by: str,
) -> dict:
    """Register the model, record the gate's verdict, and promote it when the gate passes."""
    reg = registry(warehouse)
    folder = reg.register(model)
    verdict = gate_verdict(warehouse, raw, model, labels, spec, policy)
    reg.record_gate(model.version, verdict.as_dict())
    previous = reg.current()
    if verdict.passed and previous != model.version:
        reg.promote(model.version, by=by, reason=f"trained as of {model.metadata['as_of']}; promotion gate passed")
    return {"folder": folder, "verdict": verdict, "previous": previous, "current": reg.current()}
