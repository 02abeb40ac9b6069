"""Account and cluster scores with reasons: the trained model when one exists, transparent rules before.

Cold start (a fresh install, or too few labels): each rule below that fires
contributes its weight, combined as a noisy-OR (tenure protections live in the
policy, not here). Reasons are the rules that fired, strongest first. The
model_version column says which scorer produced a row. Once a model exists the
rule score still travels with every row: it is a model input, and the policy
gives a floor to accounts the rules recognise (behaviours absent from labels).
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np
import polars as pl

from models.reasons import sentence
from models.training import RULE_SCORE, TrainedModel

COLD_START_VERSION = "rules-v1"
MAX_REASONS = 3


@dataclass(frozen=True)
class Rule:
    name: str
    weight: float
    when: pl.Expr
    features: tuple[str, ...]  # the features whose sentences explain the rule


RULES: list[Rule] = [
    Rule("reasoning_reconstruction", 0.55, (pl.col("acct_cot_rate_1d") >= 0.3) & (pl.col("acct_req_count_1d") >= 20),
         ("acct_cot_rate_1d", "acct_req_count_1d")),
    Rule("rubric_grading", 0.45, (pl.col("acct_rubric_rate_1d") >= 0.3) & (pl.col("acct_req_count_1d") >= 50),
         ("acct_rubric_rate_1d",)),
    Rule("extraction_probing", 0.55, (pl.col("acct_probe_rate_1d") >= 0.2) & (pl.col("acct_req_count_1d") >= 20),
         ("acct_probe_rate_1d", "acct_4xx_share_1d")),
    Rule("censorship_rewrite_harvest", 0.55, (pl.col("acct_rewrite_rate_1d") >= 0.3) & (pl.col("acct_req_count_1d") >= 50),
         ("acct_rewrite_rate_1d",)),
    Rule("language_coercion", 0.3, pl.col("acct_lang_coercion_rate_1d") >= 0.2, ("acct_lang_coercion_rate_1d",)),
    Rule("harvesting_reasoning", 0.3, (pl.col("acct_thinking_share_1d") >= 0.8) & (pl.col("acct_near_max_share_1d") >= 0.15),
         ("acct_thinking_share_1d", "acct_near_max_share_1d")),
    Rule("templated_volume", 0.25, (pl.col("acct_req_count_1d") >= 200) & (pl.col("acct_top_template_share_1d") >= 0.5),
         ("acct_top_template_share_1d",)),
    # A fresh heavy account of an organisation with its own corporate domain and verified accounts is a roll-out.
    Rule("fresh_heavy_account", 0.25, (pl.col("acct_age_days") < 14) & (pl.col("acct_req_count_1d") >= 100)
         & ~((pl.col("org_corporate_domain") == 1) & (pl.col("org_verified_share") >= 0.5)).fill_null(False),
         ("acct_age_days", "acct_req_count_1d")),
    Rule("coordinated_fresh_cluster", 0.45, (pl.col("cluster_n_orgs") >= 5) & (pl.col("cluster_fresh_share") >= 0.5),
         ("cluster_n_accounts", "cluster_fresh_share")),
    # One card paying for accounts across organisations; one corporate card inside one organisation is normal.
    Rule("shared_payment_pool", 0.3, (pl.col("acct_payment_orgs") >= 3).fill_null(False)
         | ((pl.col("cluster_payment_max_shared") >= 3) & (pl.col("cluster_n_orgs") >= 3)),
         ("acct_payment_orgs",)),
    Rule("linked_to_enforced", 0.5, pl.col("acct_enforced_link_count") >= 1, ("acct_enforced_link_count",)),
    Rule("proxy_rotation", 0.25, pl.col("acct_distinct_asns_1d") >= 5, ("acct_distinct_asns_1d",)),
]


def _rule_hits(features: pl.DataFrame) -> np.ndarray:
    # Features stored before a rule's input existed (older backfilled days) simply do not fire it.
    needed = {c for r in RULES for c in r.when.meta.root_names()}
    features = features.with_columns([pl.lit(None, dtype=pl.Float64).alias(c) for c in sorted(needed - set(features.columns))])
    return features.select([r.when.fill_null(False).alias(r.name) for r in RULES]).to_numpy().astype(bool)


def rule_reasons(features: pl.DataFrame) -> list[list[str]]:
    """Sentences for the rules that fired on each row, strongest rule first."""
    hits = _rule_hits(features)
    order = np.argsort(-np.array([r.weight for r in RULES]), kind="stable")
    return [[sentence(RULES[k].features[0], row) for k in order if hits[i, k]] for i, row in enumerate(features.to_dicts())]


def score_rules(features: pl.DataFrame) -> pl.DataFrame:
    """Cold-start scores: (account_id, score, reasons, model_version)."""
    if features.is_empty():
        return _empty()
    hits = _rule_hits(features)
    weights = np.array([r.weight for r in RULES])
    score = 1.0 - np.prod(np.where(hits, 1.0 - weights, 1.0), axis=1)
    reasons = [texts[:MAX_REASONS] for texts in rule_reasons(features)]
    return pl.DataFrame({
        "account_id": features["account_id"], "score": score.astype(float),
        "reasons": pl.Series(reasons, dtype=pl.List(pl.String)), "model_version": COLD_START_VERSION,
    })


def score_model(features: pl.DataFrame, model: TrainedModel, fired: list[list[str]]) -> pl.DataFrame:
    """Calibrated model scores with the top positive contributions as reasons.

    ``features`` carries ``rules_score``; ``fired`` holds each row's rule sentences, which explain it.
    """
    if features.is_empty():
        return _empty()
    score = model.predict(features)
    contrib = model.contributions(features)[:, :-1]
    cols = model.metadata["features"]
    rows = features.to_dicts()
    reasons = []
    for i, row in enumerate(rows):
        top = np.argsort(-contrib[i], kind="stable")[:MAX_REASONS]
        texts = []
        for k in top:
            if contrib[i, k] <= 0:
                continue
            # The stacked rule score is explained by the rules that fired.
            texts += fired[i][:1] if cols[k] == "rules_score" else [sentence(cols[k], row)]
        reasons.append(list(dict.fromkeys(texts)))
    return pl.DataFrame({
        "account_id": features["account_id"], "score": score.astype(float),
        "reasons": pl.Series(reasons, dtype=pl.List(pl.String)), "model_version": model.version,
    })


def score_accounts(features: pl.DataFrame, model: TrainedModel | None) -> pl.DataFrame:
    """Scores with reasons, plus the rule score (``rules_score``) and the rules' own sentences (``rule_reasons``)
    the policy reads; rules run once."""
    rules = score_rules(features)
    if model is None:
        return rules.with_columns(rules_score=pl.col("score"), rule_reasons=pl.col("reasons"))
    inputs = features.with_columns(rules["score"].alias(RULE_SCORE))
    return score_model(inputs, model, rules["reasons"].to_list()).with_columns(
        rules_score=rules["score"], rule_reasons=rules["reasons"])


def score_clusters(clusters: pl.DataFrame, account_scores: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Cluster score: the 75th percentile of its active members' scores (robust to a few camouflaged members)."""
    scored = members.join(account_scores.select("account_id", "score"), on="account_id")
    agg = scored.group_by("cluster_id").agg(score=pl.col("score").quantile(0.75, interpolation="linear"))
    return clusters.join(agg, on="cluster_id", how="left").with_columns(pl.col("score").fill_null(0.0))


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema={"account_id": pl.String, "score": pl.Float64, "reasons": pl.List(pl.String), "model_version": pl.String})



# Account columns the policy reads beside the score (tenure protections and content evidence).
def score_day(features: pl.DataFrame, clusters: pl.DataFrame, members: pl.DataFrame,
              model: TrainedModel | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One day's policy inputs: (scored accounts, scored clusters). The scoring asset and the promotion gate
    both come through here, so the gate replays exactly what publication would do."""
    from models.policy import POLICY_INPUTS

    scores = score_accounts(features, model)
    inputs = [c for c in POLICY_INPUTS if c in features.columns]  # days featured before an input existed lack it
    scored = features.select("account_id", "org_id", "cluster_id", *inputs).join(scores, on="account_id")
    return scored, score_clusters(clusters, scored, members)
