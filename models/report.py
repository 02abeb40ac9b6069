"""Evaluation figures from replayed tables and ground truth: frames in, metrics and a markdown report out.

The driver (simulate a seed the model never saw, replay it through the Dagster assets) is
pipelines/evaluation.py; metrics are computed on the days scored by the trained model.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from models.evaluation import (
    account_outcomes,
    average_precision,
    calibration_table,
    on_time,
    recall_at_fpr,
    roc_auc,
    write_plots,
)
from models.languages import language_tables, report_lines
from models.reasons import unreadable
from models.spec import load_policy

_POLICY = load_policy()
ENFORCING = _POLICY.ladder[1:]  # every ladder action above the weakest (monitor)
NON_MONITOR = [a for a in _POLICY.actions() if a != _POLICY.ladder[0]]
CALIBRATION_TOLERANCE = 0.15


# Long on purpose: one linear pass from the replayed tables to every figure of the report, a block per section;
# helpers would pass a dozen truth-joined frames back and forth.
def analyse(
    raw: Path, tables: dict, trained: date | None, out: Path, hard_negatives: list[str]
) -> tuple[dict, dict, list[str]]:
    """Metrics, report sections and plots from the replayed tables and the simulator's ground truth.

    ``hard_negatives``: the legitimate populations that look like extraction (the simulator names them)."""
    truth_days = pl.read_parquet(raw / "_truth" / "account_days" / "**" / "*.parquet")
    truth_acc = pl.read_parquet(raw / "_truth" / "accounts.parquet")
    campaigns = pl.read_parquet(raw / "_truth" / "campaigns.parquet")
    allow = pl.read_parquet(raw / "allowlist" / "*.parquet")["org_id"]
    scores = tables["account_scores"].join(
        truth_days.select("date", "account_id", "is_attack", "population", "behaviour"),
        on=["date", "account_id"],
        how="left",
    )
    actions = tables["enforcement_actions"].join(
        truth_acc.select("account_id", "population", "is_attack"), on="account_id", how="left"
    )
    # Days scored by a trained model (each trained only on labels confirmed before that day).
    modelled = scores.filter(pl.col("model_version").str.starts_with("lgbm-"))
    eval_from = modelled["date"].min() if modelled.height else scores["date"].min()
    ev = scores.filter(pl.col("date") >= eval_from)
    model_versions = scores.filter(pl.col("date") >= eval_from)["model_version"].unique().sort().to_list()
    # The detector alone too, before the corroborated rules raised any published score (tables published before
    # model_score existed have the one score).
    own = pl.coalesce("model_score", "score") if "model_score" in ev.columns else pl.col("score")
    per_acct = ev.group_by("account_id").agg(
        pl.col("score").max(), own.max().alias("model_score"), pl.col("is_attack").first(), pl.col("population").first()
    )
    y, p = per_acct["is_attack"].to_numpy().astype(int), per_acct["score"].to_numpy()
    rec3, thr3 = recall_at_fpr(y, p, 1e-3)
    rec2, thr2 = recall_at_fpr(y, p, 1e-2)
    model_rec3, _ = recall_at_fpr(y, per_acct["model_score"].to_numpy(), 1e-3)
    yd, pd_ = ev["is_attack"].to_numpy().astype(int), ev["score"].to_numpy()
    calib = calibration_table(yd, pd_)
    worst = calib.filter(pl.col("n") >= 20)["gap"].max()

    ev_actions = actions.filter(pl.col("date") >= eval_from)
    by_behaviour = (
        per_acct.filter(pl.col("is_attack"))
        .join(ev.select("account_id", "behaviour").unique("account_id"), on="account_id")
        .join(
            ev_actions.filter(pl.col("action").is_in(NON_MONITOR))
            .select("account_id")
            .unique()
            .with_columns(acted=pl.lit(True)),
            on="account_id",
            how="left",
        )
        .group_by("behaviour")
        .agg(
            accounts=pl.len(),
            recall_at_0_5=(pl.col("score") >= 0.5).mean(),
            acted_share=pl.col("acted").fill_null(False).mean(),
            mean_max_score=pl.col("score").mean(),
        )
        .sort("behaviour")
    )
    legit_actions = actions.filter(~pl.col("is_attack").fill_null(False))
    # Look-alikes over every replayed day, cold-start days included: a wrong action is wrong whoever scored it.
    all_days = scores.group_by("account_id").agg(pl.col("score").max(), pl.col("population").first())
    hard = (
        all_days.filter(pl.col("population").is_in(hard_negatives))
        .group_by("population")
        .agg(accounts=pl.len(), mean_max_score=pl.col("score").mean(), max_score=pl.col("score").max())
        .join(
            legit_actions.group_by("population").agg(
                suspended=pl.col("account_id").filter(pl.col("action") == "suspend").n_unique(),
                non_monitor=pl.col("account_id").filter(pl.col("action").is_in(NON_MONITOR)).n_unique(),
                actions=pl.col("action").unique().sort().str.join(", "),
            ),
            on="population",
            how="left",
        )
        .with_columns(pl.col("suspended").fill_null(0), pl.col("non_monitor").fill_null(0))
        .sort("population")
    )
    acted = actions.filter(pl.col("action").is_in(NON_MONITOR) & pl.col("is_attack").fill_null(False)).join(
        truth_acc.select("account_id", "campaign_id"), on="account_id"
    )
    ttfa = (
        campaigns.join(
            acted.group_by("campaign_id").agg(first_action=pl.col("date").min()), on="campaign_id", how="left"
        )
        .with_columns(days_to_first_action=(pl.col("first_action") - pl.col("start_date")).dt.total_days())
        .sort("campaign_id")
    )
    legit_suspended = legit_actions.filter(pl.col("action") == "suspend")["account_id"].n_unique()
    allow_suspended = actions.filter(pl.col("org_id").is_in(allow.implode()) & (pl.col("action") == "suspend")).height
    dist = (
        scores.group_by("account_id")
        .agg(pl.col("score").max(), pl.col("population").first(), pl.col("is_attack").first())
        .drop_nulls("population")
    )
    pngs = write_plots(out, y, p, dist, calib)
    metrics = {
        "last_trained_as_of": trained,
        "evaluated_days_from": eval_from,
        "model_versions": model_versions,
        "accounts": int(len(y)),
        "attack_accounts": int(y.sum()),
        "roc_auc": roc_auc(y, p),
        "average_precision": average_precision(y, p),
        "prevalence": float(y.mean()) if len(y) else None,
        "recall_at_fpr_1e-3": rec3,
        "threshold_at_fpr_1e-3": thr3,
        "recall_at_fpr_1e-2": rec2,
        "model_roc_auc": roc_auc(y, per_acct["model_score"].to_numpy()),
        "model_recall_at_fpr_1e-3": model_rec3,
        "calibration_max_gap_bins_n20": worst,
        "calibration_tolerance": CALIBRATION_TOLERANCE,
        "legit_accounts_suspended": legit_suspended,
        "allowlisted_suspended": allow_suspended,
        "campaigns": ttfa.height,
        "campaigns_acted_within_2_days": int((ttfa["days_to_first_action"] <= 2).sum()),
        "campaigns_never_acted": int(ttfa["first_action"].null_count()),
        **reason_counts(tables["account_scores"]),
    }
    rates, personas, spread = action_rates(truth_days, actions, campaigns, hard_negatives)
    metrics.update(rates)
    # The same rates once a trained model scores (cold-start days left out): the steady state.
    modelled_days = pl.col("date") >= eval_from
    steady, _, _ = action_rates(
        truth_days.filter(modelled_days), actions.filter(modelled_days), campaigns, hard_negatives
    )
    steady_keys = (
        "legit_enforced_rate",
        "legit_human_review_rate",
        "legit_non_monitor_rate",
        "hard_negative_worst_rate",
        "enforcement_precision",
    )
    metrics.update({f"{k}_modelled_days": steady[k] for k in steady_keys})
    sections = {
        "behaviour": by_behaviour,
        "hard": hard,
        "ttfa": ttfa,
        "calibration": calib,
        "personas": personas,
        "campaign_spread": spread,
        "features": feature_distributions(tables["account_features"], truth_days),
    }
    per_language = language_tables(truth_acc, truth_days, actions, campaigns, ENFORCING, NON_MONITOR)
    if per_language:  # multilingual worlds only
        metrics.update(per_language[0])
        sections.update(per_language[1])
    return metrics, sections, pngs


# Long on purpose: the per-account outcome flags and every rate built from them share one frame; the returned
# dict is the schema of the report's rates.
def action_rates(
    truth_days: pl.DataFrame, actions: pl.DataFrame, campaigns: pl.DataFrame, hard_negatives: list[str]
) -> tuple[dict, pl.DataFrame, pl.DataFrame]:
    """Over every replayed day: legitimate action rates (overall and per population), enforcement precision,
    and per campaign the share of its accounts acted on and the days to the first action."""
    a = account_outcomes(truth_days, actions, ENFORCING, NON_MONITOR)
    legit = a.filter(~pl.col("is_attack"))
    personas = (
        legit.group_by("population")
        .agg(
            accounts=pl.len(),
            enforced=pl.col("enforced").sum(),
            human_review=pl.col("reviewed").sum(),
            suspended=pl.col("suspended").sum(),
            non_monitor_rate=pl.col("non_monitor").mean(),
            enforced_rate=pl.col("enforced").mean(),
        )
        .sort("population")
    )
    hard = personas.filter(pl.col("population").is_in(hard_negatives))
    acted = a.filter(pl.col("enforced"))
    spread = (
        campaigns.join(
            a.filter(pl.col("is_attack"))
            .group_by("campaign_id")
            .agg(
                accounts=pl.len(), actioned_share=pl.col("enforced").mean(), first_action=pl.col("first_enforced").min()
            ),
            on="campaign_id",
            how="left",
        )
        .with_columns(days_to_first_action=(pl.col("first_action") - pl.col("start_date")).dt.total_days())
        .select("campaign_id", "behaviour", "start_date", "accounts", "actioned_share", "days_to_first_action")
        .sort("campaign_id")
    )
    in_time = spread.filter(on_time())
    rates = {
        "legit_accounts": legit.height,
        "legit_suspended_accounts": int(legit["suspended"].sum()),
        "legit_enforced_rate": float(legit["enforced"].mean() or 0),
        "legit_human_review_rate": float(legit["reviewed"].mean() or 0),
        "legit_non_monitor_rate": float(legit["non_monitor"].mean() or 0),
        "hard_negative_worst_persona": (
            hard.sort("non_monitor_rate", descending=True)["population"].first() if hard.height else None
        ),
        "hard_negative_worst_rate": float(hard["non_monitor_rate"].max() or 0) if hard.height else 0.0,
        "hard_negative_worst_enforced_rate": float(hard["enforced_rate"].max() or 0) if hard.height else 0.0,
        "enforcement_precision": float(acted["is_attack"].mean()) if acted.height else None,
        "campaigns_on_time": in_time.height,
        "campaign_min_actioned_share": float(spread["actioned_share"].min() or 0),
        "campaign_max_days_to_first_action": spread["days_to_first_action"].max(),
        "persona_rates": {
            r["population"]: {
                "accounts": r["accounts"],
                "non_monitor_rate": r["non_monitor_rate"],
                "enforced_rate": r["enforced_rate"],
                "suspended": r["suspended"],
            }
            for r in personas.iter_rows(named=True)
        },
        "campaign_rows": [
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
            for r in spread.iter_rows(named=True)
        ],
    }
    return rates, personas, spread


DISTRIBUTION_FEATURES = [
    "acct_req_count_1d",
    "acct_top_template_share_1d",
    "acct_thinking_share_1d",
    "acct_cot_rate_1d",
    "acct_near_max_share_1d",
    "acct_hour_entropy_1d",
    "acct_age_days",
    "cluster_n_orgs",
    "cluster_fresh_share",
]


def reason_counts(scores: pl.DataFrame) -> dict:
    """Published reason sentences, and how many read like a column name or jargon (the issue's "cluster indicator
    kinds = 5"), by the patterns every sentence is tested against."""
    said = scores.select(pl.col("reasons").explode().drop_nulls())
    return {
        "reason_sentences": said.height,
        "reason_sentences_unreadable": int(said.select(unreadable(pl.col("reasons")).sum()).item() or 0),
    }


def feature_distributions(features: pl.DataFrame, truth_days: pl.DataFrame) -> pl.DataFrame:
    """Medians (and 90th percentile of volume) of naive signals per population: look-alikes next to campaigns."""
    f = features.join(truth_days.select("date", "account_id", "population", "is_attack"), on=["date", "account_id"])
    return (
        f.group_by("population", "is_attack")
        .agg(
            account_days=pl.len(),
            req_p90=pl.col("acct_req_count_1d").quantile(0.9),
            **{c.replace("acct_", "").replace("_1d", ""): pl.col(c).median() for c in DISTRIBUTION_FEATURES},
        )
        .sort("is_attack", "population")
    )


def _md(frame: pl.DataFrame) -> str:
    cols = frame.columns
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in frame.iter_rows():
        rows.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(rows)


# Long on purpose: the report's template, top to bottom.
def render(m: dict, s: dict, pngs: list[str]) -> str:
    f = lambda v: "n/a" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))  # noqa: E731
    lines = [
        "# distill-guard evaluation",
        "",
        f"Simulated seed {m['seed']}, {m['days']} days from {m['start']} at scale {m['scale']}"
        + (f", with real prompt text from {m['corpus']}" if m["corpus"] else "")
        + ".",
        (
            f"The detector was trained once, as of day {m['train_once_day']} (as `distill-guard train --as-of` "
            "followed by nightly runs without the labels sensor), only on that seed's earlier days and labels, and "
            "never retrained; "
            if m.get("train_once_day")
            else "The detector was retrained whenever new reviewed labels became usable (as the labels sensor does), "
            "each time only on that seed's earlier days and labels; "
        )
        + f"{len(m['model_versions'])} model version(s) scored the "
        f"evaluated days, the last trained as of {m['last_trained_as_of']}. Metrics use the days from "
        f"{m['evaluated_days_from']} on, the first day a trained model scored (account level: the account's highest "
        "score over those days).",
        "",
        "## Headline",
        "",
        f"- accounts: {m['accounts']} ({m['attack_accounts']} attackers)",
        f"- ROC-AUC: {f(m['roc_auc'])}; average precision: {f(m.get('average_precision'))} "
        f"(prevalence {f(m.get('prevalence'))})",
        f"- recall at FPR 1e-3: {f(m['recall_at_fpr_1e-3'])} (threshold {f(m['threshold_at_fpr_1e-3'])}); "
        f"at FPR 1e-2: {f(m['recall_at_fpr_1e-2'])}",
        f"- the detector's own score (`model_score`, before the corroborated rules raised any): ROC-AUC "
        f"{f(m.get('model_roc_auc'))}, recall at FPR 1e-3 {f(m.get('model_recall_at_fpr_1e-3'))}",
        "- largest calibration gap over deciles with at least 20 account-days: "
        f"{f(m['calibration_max_gap_bins_n20'])} (tolerance {m['calibration_tolerance']})",
        f"- reasons: {m['reason_sentences']} sentences published, {m['reason_sentences_unreadable']} of them "
        "reading like a column name or jargon (models/reasons.py `UNREADABLE`)",
        f"- legitimate accounts suspended: {m['legit_accounts_suspended']}; "
        f"allowlisted accounts suspended: {m['allowlisted_suspended']}",
        "- campaigns with a non-monitor action within 2 days of their start: "
        f"{m['campaigns_acted_within_2_days']} of {m['campaigns']} (never acted on: {m['campaigns_never_acted']})",
        "",
        "## Per behaviour (attackers)",
        "",
        _md(s["behaviour"]),
        "",
        f"- legitimate accounts: {m['legit_accounts']}; enforced (rate_limit or stronger): "
        f"{f(m['legit_enforced_rate'])}; "
        f"human review: {f(m['legit_human_review_rate'])}; any action above monitor: {f(m['legit_non_monitor_rate'])}",
        f"- enforcement precision (accounts with rate_limit or stronger that attack): {f(m['enforcement_precision'])}",
        "",
        "## Hard negatives and look-alikes (all replayed days, cold start included)",
        "",
        _md(s["hard"]),
        "",
        "## Action rates per legitimate population (all replayed days)",
        "",
        _md(s["personas"]),
        "",
        "## Campaigns: share of accounts acted on (rate_limit or stronger) and days to the first action",
        "",
        _md(s["campaign_spread"]),
        "",
        "## Campaign time to first action",
        "",
        _md(s["ttfa"]),
        "",
        "## Naive signals by population (medians over account-days; req_p90 is the 90th percentile of requests)",
        "",
        _md(s["features"]),
        "",
        "## Calibration (account-days)",
        "",
        _md(s["calibration"].select("lo", "hi", "n", "mean_predicted", "observed_rate", "gap")),
        "",
        *report_lines(s, _md),
        "## Plots",
        "",
    ] + [f"![{p}]({p})" for p in pngs]
    return "\n".join(lines) + "\n"
