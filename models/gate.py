"""Promotion gate: the blocking checks a newly trained model passes before it becomes current.

Pure functions over frames; the detector_model asset gathers the inputs (the model's validation metrics, the
last published days, reviewed labels) and the registry records the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from models.policy import apply_policy
from models.scoring import score_day
from models.spec import Policy, PromotionGate
from models.training import TrainedModel


@dataclass(frozen=True)
class PublishedDay:
    """What publication holds for one day: the inputs to scoring and the actions access control received."""

    day: date
    features: pl.DataFrame
    clusters: pl.DataFrame  # published clusters (their published score is dropped and recomputed)
    members: pl.DataFrame
    actions: pl.DataFrame  # published enforcement_actions
    allowlist: pl.DataFrame  # org_id, active that day
    prior: pl.DataFrame | None = None  # persistence evidence from the days before (models.policy.prior_evidence)


@dataclass
class Verdict:
    passed: bool
    failures: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"passed": self.passed, "failures": self.failures, "figures": self.figures}

    def explain(self) -> str:
        return "passed" if self.passed else "; ".join(self.failures)


def validation_failures(metadata: dict, gate: PromotionGate) -> list[str]:
    """Enough validation rows of each class to measure, then AUC and calibration within bounds."""
    m = metadata["metrics"]
    pos = m["validation_positives"]
    neg = m.get("validation_negatives", m["validation_rows"] - pos)
    if m.get("validation_in_sample"):
        return ["validation is in-sample (too few labelled days to hold some out): AUC unmeasured"]
    if pos < gate.min_validation_positives or neg < gate.min_validation_negatives:
        return [
            (
                f"validation AUC unmeasured: {pos} positive and {neg} negative row(s), need at least "
                f"{gate.min_validation_positives} and {gate.min_validation_negatives}"
            )
        ]
    failures = []
    if m["validation_auc"] is None or m["validation_auc"] < gate.min_validation_auc:
        failures.append(f"validation AUC {m['validation_auc']} below {gate.min_validation_auc}")
    if m["validation_brier"] is None or m["validation_brier"] > gate.max_validation_brier:
        failures.append(f"validation Brier score {m['validation_brier']} above {gate.max_validation_brier}")
    return failures


def candidate_actions(model: TrainedModel | None, days: list[PublishedDay], policy: Policy) -> pl.DataFrame:
    """The actions ``model`` would have published on ``days`` (same scoring and policy as publication)."""
    frames = []
    for d in days:
        scored, clusters = score_day(d.features, d.clusters.drop("score", strict=False), d.members, model)
        _, actions = apply_policy(policy, d.day, "gate", scored, clusters, d.allowlist, d.prior)
        frames.append(actions.select("date", "account_id", "action"))
    return (
        pl.concat(frames)
        if frames
        else pl.DataFrame(schema={"date": pl.Date, "account_id": pl.String, "action": pl.String})
    )


def action_changes(published: pl.DataFrame, candidate: pl.DataFrame, watch_only: tuple[str, ...] = ()) -> pl.DataFrame:
    """Account-days whose action differs (gained, lost or changed): date, account_id, published, candidate.
    Actions in ``watch_only`` count as no action (starting or stopping to watch an account enforces nothing)."""
    p = published.select("date", "account_id", pl.col("action").alias("published"))
    c = candidate.select("date", "account_id", pl.col("action").alias("candidate"))
    if watch_only:
        p = p.filter(~pl.col("published").is_in(watch_only))
        c = c.filter(~pl.col("candidate").is_in(watch_only))
    both = p.join(c, on=["date", "account_id"], how="full", coalesce=True)
    return both.filter(pl.col("published").ne_missing(pl.col("candidate"))).sort("date", "account_id")


def change_failures(
    model: TrainedModel | None,
    days: list[PublishedDay],
    benign_accounts: list[str],
    policy: Policy,
    gate: PromotionGate,
) -> tuple[list[str], dict]:
    """Action changes on the last published days stay under the bound; no reviewed-benign account moves up
    above ``gate.reviewed_benign_max_action``."""
    if not days:
        return [], {"replayed_days": 0}
    published = pl.concat([d.actions.select("date", "account_id", "action") for d in days])
    changes = action_changes(published, candidate_actions(model, days, policy), tuple(gate.watch_only))
    account_days = sum(d.features.height for d in days)
    share = changes.height / account_days if account_days else 0.0
    figures = {
        "replayed_days": len(days),
        "account_days": account_days,
        "action_changes": changes.height,
        "action_change_share": round(share, 4),
    }
    failures = []
    if share > gate.max_action_change_share:
        failures.append(
            f"{changes.height} of {account_days} account-days ({share:.1%}) on the last {len(days)} "
            f"published day(s) would change enforcement (watching aside); "
            f"the bound is {gate.max_action_change_share:.0%}"
        )
    rank = {a: i for i, a in enumerate(policy.ladder)}
    limit = rank[gate.reviewed_benign_max_action]
    level = pl.col("candidate").replace_strict(rank, default=-1, return_dtype=pl.Int32)
    before = pl.col("published").replace_strict(rank, default=-1, return_dtype=pl.Int32)
    moved = changes.filter(pl.col("account_id").is_in(benign_accounts) & (level > limit) & (level > before))
    figures["reviewed_benign_moved_up"] = moved.height
    if moved.height:
        sample = ", ".join(f"{r['account_id']} on {r['date']} -> {r['candidate']}" for r in moved.head(5).to_dicts())
        failures.append(
            f"{moved.height} reviewed-benign account-day(s) would move above "
            f"{gate.reviewed_benign_max_action}: {sample}"
        )
    return failures, figures


def evaluate(
    model: TrainedModel, days: list[PublishedDay], benign_accounts: list[str], policy: Policy, gate: PromotionGate
) -> Verdict:
    failures = validation_failures(model.metadata, gate)
    more, figures = change_failures(model, days, benign_accounts, policy, gate)
    return Verdict(not (failures + more), failures + more, figures)
