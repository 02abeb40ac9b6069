"""Account and cluster scores with reasons: the trained model when one exists, transparent rules before.

Cold start (a fresh install, or too few labels): the rules of models/rules.yaml
(models/rules.py) score alone. Reasons are the rules that fired, strongest first. The
model_version column says which scorer produced a row. Once a model exists the
rule score still travels with every row: it is a model input, and the policy
gives a floor to accounts the rules recognise (behaviours absent from labels).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from models.reasons import sentence
from models.rules import MAX_REASONS, empty_scores, rule_reasons, rules, score_rules
from models.training import RULE_SCORE, TrainedModel

__all__ = ["COLD_START_VERSION", "rule_reasons", "score_accounts", "score_clusters", "score_day", "score_rules"]
COLD_START_VERSION = rules().version


# Accounts per scoring pass: reasons read each row as a dict of its ~100 features, so a 520,000-account day
# (30M requests) scored at once held 4.2 GB; rows are scored independently, so batches change nothing.
SCORE_BATCH_ROWS = 50_000


def score_model(features: pl.DataFrame, model: TrainedModel, fired: list[list[str]]) -> pl.DataFrame:
    """Calibrated model scores with the top positive contributions as reasons.

    ``features`` carries ``rules_score``; ``fired`` holds each row's rule sentences, which explain it.
    """
    if features.is_empty():
        return empty_scores()
    parts, start = [], 0
    for batch in features.iter_slices(SCORE_BATCH_ROWS):
        parts.append(_score_batch(batch, model, fired[start : start + batch.height]))
        start += batch.height
    return pl.concat(parts)


def _score_batch(features: pl.DataFrame, model: TrainedModel, fired: list[list[str]]) -> pl.DataFrame:
    score = model.predict(features)
    contrib = model.contributions(features)[:, :-1]
    cols = model.metadata["features"]
    reasons = []
    for i, row in enumerate(features.iter_rows(named=True)):
        texts: list[str] = []
        for k in np.argsort(-contrib[i], kind="stable"):
            if contrib[i, k] <= 0 or len(texts) == MAX_REASONS:
                break
            if row.get(cols[k]) is None:  # a missing value explains nothing to an analyst
                continue
            # The stacked rule score is explained by the rules that fired.
            texts += fired[i][:1] if cols[k] == "rules_score" else [sentence(cols[k], row)]
        reasons.append(list(dict.fromkeys(texts)))
    return pl.DataFrame(
        {
            "account_id": features["account_id"],
            "score": score.astype(float),
            "reasons": pl.Series(reasons, dtype=pl.List(pl.String)),
            "model_version": model.version,
        }
    )


def score_accounts(features: pl.DataFrame, model: TrainedModel | None) -> pl.DataFrame:
    """Scores with reasons, plus the rule score (``rules_score``) and the rules' own sentences (``rule_reasons``)
    the policy reads; rules run once."""
    rules = score_rules(features)
    if model is None:
        return rules.with_columns(rules_score=pl.col("score"), rule_reasons=pl.col("reasons"))
    inputs = features.with_columns(rules["score"].alias(RULE_SCORE))
    return score_model(inputs, model, rules["reasons"].to_list()).with_columns(
        rules_score=rules["score"], rule_reasons=rules["reasons"]
    )


def score_clusters(clusters: pl.DataFrame, account_scores: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Cluster score: the 75th percentile of its active members' scores (robust to a few camouflaged members)."""
    scored = members.join(account_scores.select("account_id", "score"), on="account_id")
    agg = scored.group_by("cluster_id").agg(score=pl.col("score").quantile(0.75, interpolation="linear"))
    return clusters.join(agg, on="cluster_id", how="left").with_columns(pl.col("score").fill_null(0.0))


# Account columns the policy reads beside the score (tenure protections and content evidence).
def score_day(
    features: pl.DataFrame, clusters: pl.DataFrame, members: pl.DataFrame, model: TrainedModel | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One day's policy inputs: (scored accounts, scored clusters). The scoring asset and the promotion gate
    both come through here, so the gate replays exactly what publication would do."""
    from models.policy import POLICY_INPUTS

    scores = score_accounts(features, model)
    inputs = [c for c in POLICY_INPUTS if c in features.columns]  # days featured before an input existed lack it
    scored = features.select("account_id", "org_id", "cluster_id", *inputs).join(scores, on="account_id")
    return scored, score_clusters(clusters, scored, members)
