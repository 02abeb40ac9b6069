"""Evaluation figures per language of a multilingual world (simulator variant ``multilingual``).

The language of an account is ground truth (``_truth/accounts.parquet`` column ``language``); the product never
reads it. Per language: the share of legitimate accounts with any action above monitor, and per campaign the
share of its accounts in that language acted on (rate_limit or stronger) and the days from the campaign's first
day of traffic in that language to the first such action.
Worlds whose truth has no language (base, wide) get no per-language figures.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from models.evaluation import account_outcomes, on_time


# One pass builds the per-language tables from the same joined frames; split, each part would rebuild them.
def language_tables(
    truth_acc: pl.DataFrame,
    truth_days: pl.DataFrame,
    actions: pl.DataFrame,
    campaigns: pl.DataFrame,
    enforcing: list[str],
    non_monitor: list[str],
) -> tuple[dict, dict] | None:
    """Metrics and report sections per language over every replayed day, or None without a language truth."""
    if "language" not in truth_acc.columns:
        return None
    a = (
        account_outcomes(truth_days, actions, enforcing, non_monitor)
        .drop("population", strict=False)
        .join(truth_acc.select("account_id", "population", "language"), on="account_id", how="left")
        .rename({"non_monitor": "above_monitor"})
    )
    legit = (
        a.filter(~pl.col("is_attack"))
        .group_by("language")
        .agg(
            accounts=pl.len(),
            above_monitor=pl.col("above_monitor").sum(),
            above_monitor_rate=pl.col("above_monitor").mean(),
            enforced_rate=pl.col("enforced").mean(),
            suspended=pl.col("suspended").sum(),
        )
        .sort("language")
    )
    # Each legitimate population's above-monitor rate per language: homework helpers, researchers and
    # pipelines writing in another language should fare like English ones.
    personas = (
        a.filter(~pl.col("is_attack"))
        .group_by("population", "language")
        .agg(pl.col("above_monitor").mean())
        .sort("language")
        .pivot(on="language", index="population", values="above_monitor")
        .sort("population")
    )
    camp = (
        a.filter(pl.col("is_attack"))
        .group_by("campaign_id", "language")
        .agg(
            accounts=pl.len(),
            actioned_share=pl.col("enforced").mean(),
            first_seen=pl.col("first_seen").min(),
            first_action=pl.col("first_enforced").min(),
        )
        .join(campaigns.select("campaign_id", "behaviour"), on="campaign_id", how="left")
        # From the first day the campaign sent traffic in this language (hydra pools rotate in later).
        .with_columns(days_to_first_action=(pl.col("first_action") - pl.col("first_seen")).dt.total_days())
        .with_columns(on_time=on_time())
        .select("campaign_id", "behaviour", "language", "accounts", "actioned_share", "days_to_first_action", "on_time")
        .sort("campaign_id", "language")
    )
    per_lang = legit.select("language", "accounts", "above_monitor_rate", "suspended").join(
        camp.group_by("language").agg(
            campaign_pairs=pl.len(),
            campaign_pairs_on_time=pl.col("on_time").sum(),
            campaign_min_actioned_share=pl.col("actioned_share").min(),
            campaign_max_days_to_first_action=pl.col("days_to_first_action").max(),
            campaigns_never_actioned=pl.col("days_to_first_action").null_count(),
        ),
        on="language",
        how="full",
        coalesce=True,
    )
    metrics = {
        "language_rates": {r.pop("language"): r for r in per_lang.sort("language").iter_rows(named=True)},
        "language_campaign_rows": [
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()} for r in camp.iter_rows(named=True)
        ],
    }
    metrics["language_persona_rates"] = {
        r.pop("population"): {k: v for k, v in r.items() if v is not None} for r in personas.iter_rows(named=True)
    }
    return metrics, {"language_legit": legit, "language_personas": personas, "language_campaigns": camp}


def report_lines(sections: dict, md) -> list[str]:
    """The per-language part of a world's report.md (``md`` renders a frame as a markdown table)."""
    if "language_legit" not in sections:
        return []
    return [
        "## Per language: legitimate accounts with any action above monitor (all replayed days)",
        "",
        md(sections["language_legit"]),
        "",
        "Per legitimate population (rows) and language (columns): share with any action above monitor.",
        "",
        md(sections["language_personas"]),
        "",
        "## Per campaign and language: share of accounts acted on (rate_limit or stronger), days to the first action",
        "",
        "days_to_first_action counts from the campaign's first day of traffic in that language; on_time: at least "
        "half actioned, first action within 1 day (low-and-slow 2).",
        "",
        md(sections["language_campaigns"]),
        "",
    ]


def summary_lines(worlds: list[dict]) -> list[str]:
    """summary.md's worst case per language over the worlds that have per-language figures."""
    langs = sorted({lang for w in worlds for lang in w.get("language_rates") or {}})
    if not langs:
        return []
    lines = [
        "",
        "## Per language: worst case over the worlds",
        "",
        "Legitimate: share with any action above monitor. Campaigns: each campaign's accounts in that language, "
        "share rate-limited or stronger and days to the first action; on time = at least half, within 1 day "
        "(low-and-slow 2), counted over all worlds.",
        "",
        "| language | worst legit above monitor | legit accounts (min..max) | legit suspended (max) | "
        "min campaign share actioned | max days to first action | campaign-language pairs never actioned | "
        "on time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for lang in langs:
        per = [w["language_rates"][lang] for w in worlds if lang in (w.get("language_rates") or {})]
        lines.append(_summary_row(lang, per))
    return lines


def _summary_row(lang: str, per: list[dict]) -> str:
    """One language's worst case over the worlds' ``language_rates`` entries for it."""

    def values(key):
        return [p[key] for p in per if p.get(key) is not None]

    rate, accounts = values("above_monitor_rate"), values("accounts")
    share, days = values("campaign_min_actioned_share"), values("campaign_max_days_to_first_action")
    cells = [
        lang,
        f"{max(rate):.4f}" if rate else "n/a",
        f"{min(accounts)}..{max(accounts)}" if accounts else "0",
        str(max(values("suspended"), default=0)),
        f"{min(share):.2f}" if share else "n/a",
        str(max(days)) if days else "n/a",
        str(sum(values("campaigns_never_actioned"))),
        f"{sum(values('campaign_pairs_on_time'))}/{sum(values('campaign_pairs'))}",
    ]
    return "| " + " | ".join(cells) + " |"
