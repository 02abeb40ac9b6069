"""Training: point-in-time training set, LightGBM, isotonic calibration, versioned artifact.

Labels are partial, delayed and mostly positive. Decision (evaluated in the
report): an account's latest label confirmed before the as-of date applies to
all its account-days in the window; unlabeled account-days count as benign
with a low weight, since nearly all traffic is benign; unlabeled members of a
cluster that holds a confirmed attacker are left out rather than taught as
benign, because reviewers confirm only part of each campaign; so are unlabeled
account-days that the cold-start rules flag.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import lightgbm as lgb
import numpy as np
import polars as pl

from features.daily import feature_columns
from models.rules import score_rules
from models.spec import ModelSpec


class NotEnoughLabels(RuntimeError):
    """Too few confirmed labels before the as-of date to train a model."""


def as_of_instant(as_of: date) -> datetime:
    """Labels confirmed strictly before the start of the as-of day are usable."""
    return datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)


def check_enough_labels(labels: pl.DataFrame, as_of: date, spec: ModelSpec) -> None:
    """Raise NotEnoughLabels unless the labels usable at ``as_of`` meet the spec's minimums."""
    pos = usable_labels(labels, as_of).filter(pl.col("label") == 1)
    accounts, campaigns = pos.height, pos["campaign_id"].drop_nulls().n_unique()
    if accounts < spec.min_positive_accounts or campaigns < spec.min_positive_campaigns:
        raise NotEnoughLabels(
            f"{accounts} confirmed attacker account(s) in {campaigns} campaign(s) before {as_of}; "
            f"need {spec.min_positive_accounts} in {spec.min_positive_campaigns}"
        )


def usable_labels(labels: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Each account's latest label confirmed before ``as_of`` (point-in-time)."""
    cutoff = as_of_instant(as_of)
    return (
        labels.filter(pl.col("confirmed_at") < cutoff)
        .sort("account_id", "confirmed_at", "label")
        .group_by("account_id", maintain_order=True)
        .last()
        .select("account_id", pl.col("label").cast(pl.Int8), "campaign_id", "confirmed_at")
    )


def build_training_set(features: pl.DataFrame, labels: pl.DataFrame, as_of: date, spec: ModelSpec) -> pl.DataFrame:
    """Account-days before ``as_of`` with ``label`` and ``weight`` columns."""
    lo = as_of - timedelta(days=spec.training_window_days)
    rows = features.filter((pl.col("date") < as_of) & (pl.col("date") >= lo))
    lab = usable_labels(labels, as_of)
    rows = rows.join(lab.select("account_id", pl.col("label").alias("_label")), on="account_id", how="left")
    if spec.exclude_unlabeled_in_positive_clusters:
        positive_clusters = (
            rows.filter((pl.col("_label") == 1) & pl.col("cluster_id").is_not_null())
            .select("date", "cluster_id")
            .unique()
        )
        ambiguous = rows.filter(pl.col("_label").is_null()).join(
            positive_clusters, on=["date", "cluster_id"], how="semi"
        )
        rows = rows.join(ambiguous.select("date", "account_id"), on=["date", "account_id"], how="anti")
    if "rules_score" in rows.columns:
        rows = rows.filter(
            pl.col("_label").is_not_null() | (pl.col("rules_score") < spec.exclude_unlabeled_rules_score_at_least)
        )
    return (
        rows.with_columns(
            label=pl.col("_label").fill_null(0).cast(pl.Int8),
            weight=pl.when(pl.col("_label").is_null()).then(pl.lit(spec.unlabeled_weight)).otherwise(1.0),
            labeled=pl.col("_label").is_not_null(),
        )
        .drop("_label")
        .sort("date", "account_id")
    )


# --- calibration -----------------------------------------------------------------------------------


def fit_isotonic(raw: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict:
    """Pool-adjacent-violators isotonic regression; returns breakpoints for interpolation."""
    order = np.argsort(raw, kind="stable")
    x, yy, ww = raw[order], y[order].astype(float), w[order].astype(float)
    blocks: list[list[float]] = []  # [sum_wy, sum_w, x_min, x_max]
    for xi, yi, wi in zip(x, yy, ww, strict=False):
        blocks.append([wi * yi, wi, xi, xi])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            b = blocks.pop()
            blocks[-1][0] += b[0]
            blocks[-1][1] += b[1]
            blocks[-1][3] = b[3]
    xs, ys = [], []
    for swy, sw, x0, x1 in blocks:
        xs += [x0, x1]
        ys += [swy / sw, swy / sw]
    return {"x": [float(v) for v in xs], "y": [float(v) for v in ys]}


def apply_calibration(calibration: dict, raw: np.ndarray) -> np.ndarray:
    """The isotonic step for ``raw``, plus ``tie_break`` times ``raw`` (artifacts trained without it have none)."""
    stepped = np.interp(raw, calibration["x"], calibration["y"])
    return np.clip(stepped + calibration.get("tie_break", 0.0) * raw, 0.0, 1.0)


# --- training -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainedModel:
    version: str
    booster: lgb.Booster
    calibration: dict
    metadata: dict

    def inputs(self, frame: pl.DataFrame) -> pl.DataFrame:
        needs_rules = RULE_SCORE in self.metadata["features"] and RULE_SCORE not in frame.columns
        return with_rule_score(frame) if needs_rules else frame

    def predict_raw(self, frame: pl.DataFrame) -> np.ndarray:
        return self.booster.predict(
            _matrix(self.inputs(frame), self.metadata["features"]), num_threads=self.metadata["num_threads"]
        )

    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        return apply_calibration(self.calibration, self.predict_raw(frame))

    def contributions(self, frame: pl.DataFrame) -> np.ndarray:
        """Per-feature contributions (log-odds), last column the bias."""
        return self.booster.predict(
            _matrix(self.inputs(frame), self.metadata["features"]),
            pred_contrib=True,
            num_threads=self.metadata["num_threads"],
        )


RULE_SCORE = "rules_score"


def with_rule_score(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds the cold-start rule score (stacked as a model input)."""
    rules = score_rules(frame.select(pl.exclude(RULE_SCORE)))["score"]
    return frame.with_columns(rules.alias(RULE_SCORE))


def _matrix(frame: pl.DataFrame, cols: list[str]) -> np.ndarray:
    missing = [c for c in cols if c not in frame.columns]
    frame = frame.with_columns([pl.lit(None, dtype=pl.Float64).alias(c) for c in missing])
    return frame.select([pl.col(c).cast(pl.Float64) for c in cols]).to_numpy()


def _params(spec: ModelSpec) -> dict:
    return {
        **spec.lightgbm,
        "seed": spec.seed,
        "num_threads": spec.num_threads,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
        "feature_pre_filter": False,
    }


# The training recipe reads top to bottom (window, labels, split, fit, calibrate, metrics); kept whole so the order
# shows.
def train(features: pl.DataFrame, labels: pl.DataFrame, as_of: date, spec: ModelSpec) -> TrainedModel:
    check_enough_labels(labels, as_of, spec)
    if spec.stack_rule_score:
        features = with_rule_score(features)
    data = build_training_set(features, labels, as_of, spec)
    positives = data.filter(pl.col("label") == 1)["account_id"].n_unique()
    if positives == 0:
        raise NotEnoughLabels(f"no confirmed attacker was active in the training window before {as_of}")
    cols = [c for c in feature_columns(features) if c not in spec.exclude_features]
    days = sorted(data["date"].unique())
    val_days = days[-spec.validation_days :] if len(days) > spec.validation_days else days[-1:]
    fit, val = data.filter(~pl.col("date").is_in(val_days)), data.filter(pl.col("date").is_in(val_days))
    in_sample = fit.filter(pl.col("label") == 1).is_empty() or val.filter(pl.col("label") == 1).is_empty()
    if in_sample:
        fit = val = data  # too few labelled days to hold some out; calibration is then in-sample (recorded)
    # Class balance: positives weigh as much as all benign rows together, capped to stay sane.
    pos_w = float(
        min(
            50.0,
            fit.filter(pl.col("label") == 0)["weight"].sum()
            / max(1.0, fit.filter(pl.col("label") == 1)["weight"].sum()),
        )
    )
    fit_w = np.where(fit["label"].to_numpy() == 1, pos_w, fit["weight"].to_numpy())
    val_w = np.where(val["label"].to_numpy() == 1, pos_w, val["weight"].to_numpy())
    params = _params(spec)
    if spec.monotone_decreasing:
        params["monotone_constraints"] = [-1 if c in spec.monotone_decreasing else 0 for c in cols]
    dtrain = lgb.Dataset(
        _matrix(fit, cols), fit["label"].to_numpy(), weight=fit_w, feature_name=cols, free_raw_data=False
    )
    dval = lgb.Dataset(_matrix(val, cols), val["label"].to_numpy(), weight=val_w, reference=dtrain)
    booster = lgb.train(
        params,
        dtrain,
        num_boost_round=spec.num_boost_round,
        valid_sets=[dval],
        callbacks=[lgb.early_stopping(spec.early_stopping_rounds, verbose=False)],
    )
    raw_val = booster.predict(_matrix(val, cols), num_iteration=booster.best_iteration)
    calibration = fit_isotonic(raw_val, val["label"].to_numpy(), val["weight"].to_numpy())
    if spec.calibration_tie_break:
        calibration["tie_break"] = spec.calibration_tie_break
    model_text = booster.model_to_string(num_iteration=booster.best_iteration)
    digest = hashlib.sha256((model_text + json.dumps(calibration, sort_keys=True)).encode()).hexdigest()[:10]
    version = f"lgbm-{as_of:%Y%m%d}-{digest}"
    booster = lgb.Booster(model_str=model_text)
    metadata = {
        "version": version,
        "spec_name": spec.name,
        "owner": spec.owner,
        "as_of": as_of.isoformat(),
        "label_cutoff": as_of_instant(as_of).isoformat(),
        "labels_seen_until": _labels_seen_until(labels, as_of),
        "training_window": [min(days).isoformat(), max(days).isoformat()],
        "validation_days": [d.isoformat() for d in val_days],
        "features": cols,
        "params": params,
        "num_threads": spec.num_threads,
        "best_iteration": int(booster.current_iteration()),
        "positive_weight": pos_w,
        "label_counts": {
            "positive_accounts": int(positives),
            "benign_reviewed_accounts": int(
                data.filter(pl.col("labeled") & (pl.col("label") == 0))["account_id"].n_unique()
            ),
            "unlabeled_account_days": int(data.filter(~pl.col("labeled")).height),
            "account_days": int(data.height),
        },
        "metrics": _metrics(val["label"].to_numpy(), apply_calibration(calibration, raw_val), spec, in_sample),
    }
    return TrainedModel(version, booster, calibration, metadata)


def _labels_seen_until(labels: pl.DataFrame, as_of: date) -> str | None:
    """The latest confirmation time among the labels this training could use (the labels sensor's mark)."""
    seen = labels.filter(pl.col("confirmed_at") < as_of_instant(as_of))["confirmed_at"].max()
    return seen.isoformat() if seen is not None else None


def _metrics(y: np.ndarray, p: np.ndarray, spec: ModelSpec, in_sample: bool) -> dict:
    """Validation metrics; AUC and Brier are None (unmeasured) when validation holds too few of either class
    or was in-sample, because a perfect score on one positive says nothing."""
    from models.evaluation import roc_auc

    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    gate = spec.promotion_gate
    measurable = positives >= gate.min_validation_positives and negatives >= gate.min_validation_negatives
    measurable = measurable and not in_sample
    return {
        "validation_rows": int(len(y)),
        "validation_positives": positives,
        "validation_negatives": negatives,
        "validation_in_sample": in_sample,
        "validation_measured": measurable,
        "validation_auc": roc_auc(y, p) if measurable else None,
        "validation_brier": float(np.mean((p - y) ** 2)) if measurable else None,
    }


# --- artifacts (written by models.registry) ---------------------------------------------------------------------------


def load(models_dir: Path, version: str | None = None) -> TrainedModel | None:
    """The named version, or the one ``current.json`` points at; None when no model was ever promoted."""
    models_dir = Path(models_dir)
    if version is None:
        pointer = models_dir / "current.json"
        if not pointer.exists():
            return None
        version = json.loads(pointer.read_text())["version"]
    folder = models_dir / version
    return TrainedModel(
        version,
        lgb.Booster(model_file=str(folder / "model.txt")),
        json.loads((folder / "calibration.json").read_text()),
        json.loads((folder / "metadata.json").read_text()),
    )
