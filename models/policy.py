"""Policy: score bands, cluster evidence, allowlist and tenure protections -> actions with durations."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import polars as pl

from models.spec import Policy

# Share-of-prompts features that count as extraction content in the account's own traffic.
CONTENT_MARKERS = ["acct_cot_rate_1d", "acct_rubric_rate_1d", "acct_probe_rate_1d", "acct_lang_coercion_rate_1d",
                   "acct_rewrite_rate_1d", "acct_maxout_rate_1d", "acct_near_max_share_1d"]
SCORES_COLUMNS = ["date", "account_id", "org_id", "score", "risk_band", "cluster_id", "reasons", "model_version", "run_id", "rules_score"]
ACTIONS_COLUMNS = ["date", "account_id", "org_id", "action", "score", "cluster_id", "reasons", "effective_from",
                   "expires_at", "model_version", "run_id", "risk_band", "rules_score", "policy_version", "protection"]


def active_allowlist(allowlist: pl.DataFrame | None, day: date) -> pl.DataFrame:
    """Organisations allowlisted at the end of ``day``."""
    if allowlist is None or allowlist.is_empty():
        return pl.DataFrame(schema={"org_id": pl.String})
    end = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1)
    return allowlist.filter(pl.col("expires_at").is_null() | (pl.col("expires_at") > end)).select("org_id").unique()


def apply_policy(
    policy: Policy,
    day: date,
    run_id: str,
    scored: pl.DataFrame,      # account_id, org_id, cluster_id, score, rules_score, reasons, model_version, tenure and CONTENT_MARKERS columns
    clusters: pl.DataFrame,    # cluster_id, n_accounts, score
    allowlist: pl.DataFrame,   # org_id (active)
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(account_scores, enforcement_actions) for the day."""
    ladder = {a: i for i, a in enumerate(policy.ladder)}
    duration = {b.action: b.duration_days for b in policy.bands}
    band_expr = pl.lit("low")
    action_expr = pl.lit(None, dtype=pl.String)
    for b in reversed(policy.bands):
        band_expr = pl.when(pl.col("score") >= b.min_score).then(pl.lit(b.name)).otherwise(band_expr)
        action_expr = pl.when(pl.col("score") >= b.min_score).then(pl.lit(b.action)).otherwise(action_expr)
    esc = policy.cluster_escalation
    tenure = policy.protections.tenured
    c = clusters.select("cluster_id", pl.col("n_accounts").alias("_c_n"), pl.col("score").alias("_c_score"))
    df = (
        scored.join(c, on="cluster_id", how="left")
        .with_columns(risk_band=band_expr, _base=action_expr)
        .with_columns(_level=pl.col("_base").replace_strict(ladder, default=-1, return_dtype=pl.Int32))
    )
    floor = policy.rules_floor
    df = df.with_columns(_level=pl.when(pl.col("rules_score") >= floor.min_rules_score)
                         .then(pl.max_horizontal("_level", pl.lit(ladder[floor.action])))
                         .otherwise(pl.col("_level")))
    risky_cluster = (pl.col("_c_score") >= esc.min_cluster_score) & (pl.col("_c_n") >= esc.min_cluster_accounts)
    top = len(policy.ladder) - 1
    df = df.with_columns(
        _escalated=risky_cluster.fill_null(False),
        _level=pl.when(risky_cluster.fill_null(False))
        .then(pl.max_horizontal(pl.col("_level") + esc.steps, pl.lit(ladder[esc.floor_action])).clip(upper_bound=top))
        .otherwise(pl.col("_level")),
    )
    inv = {i: a for a, i in ladder.items()}
    df = df.with_columns(action=pl.col("_level").replace_strict(inv, default=None, return_dtype=pl.String))
    tenured = (pl.col("acct_age_days") >= tenure.min_age_days)
    if tenure.require_verified:
        tenured &= pl.col("acct_verified") == 1
    if tenure.require_payment:
        tenured &= pl.col("acct_payment_present") == 1
    allow = pl.col("org_id").is_in(allowlist["org_id"].implode())
    evidence = policy.protections.content_evidence
    has_content = pl.max_horizontal([pl.col(c).fill_null(0) for c in CONTENT_MARKERS]) >= evidence.min_marker_rate
    df = df.with_columns(
        protection=pl.when(allow & (pl.col("action") == "suspend")).then(pl.lit("allowlisted_org"))
        .when(tenured.fill_null(False) & (pl.col("_level") > ladder[tenure.max_automatic_action])).then(pl.lit("tenured_customer"))
        .when(~has_content & (pl.col("_level") > ladder[evidence.max_action_without])).then(pl.lit("no_content_evidence"))
    ).with_columns(
        action=pl.when(pl.col("protection") == "allowlisted_org").then(pl.lit(policy.protections.allowlisted_org_instead_of_suspend))
        .when(pl.col("protection") == "tenured_customer").then(pl.lit(tenure.above_max_goes_to))
        .when(pl.col("protection") == "no_content_evidence").then(pl.lit(evidence.max_action_without))
        .otherwise(pl.col("action")),
        reasons=pl.when(pl.col("_escalated") & (pl.col("_base").is_null() | (pl.col("_level") > pl.col("_base").replace_strict(ladder, default=-1, return_dtype=pl.Int32))))
        .then(pl.concat_list(pl.col("reasons"), pl.concat_str([
            pl.lit("member of cluster "), pl.col("cluster_id"), pl.lit(" ("), pl.col("_c_n").cast(pl.String),
            pl.lit(" accounts, cluster score "), pl.col("_c_score").round(2).cast(pl.String), pl.lit(")")])))
        .otherwise(pl.col("reasons")),
        date=pl.lit(day), run_id=pl.lit(run_id),
    )
    scores = df.select(SCORES_COLUMNS).sort("account_id")
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1)
    days_for = {**duration, "human_review": 7}
    actions = (
        df.filter(pl.col("action").is_not_null())
        .with_columns(
            effective_from=pl.lit(start),
            expires_at=pl.lit(start) + pl.duration(days=pl.col("action").replace_strict(days_for, default=7, return_dtype=pl.Int64)),
            policy_version=pl.lit(policy.version),
        )
        .select(ACTIONS_COLUMNS).sort("account_id")
    )
    return scores, actions
