"""Plain-language reasons: a sentence per feature, filled with the account's own numbers.

Every model feature has a sentence here (a test holds the catalogue to it), counts agree with their nouns
("1 day old", "3 days old"), and no sentence shows a raw column name.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

CATALOG = Path(__file__).resolve().parents[1] / "features" / "catalog.yaml"


# What no reason may read like: each evaluated world counts its published reasons against these
# (models/report.py) and tests/test_models.py builds every sentence against them.
_PLURALS = "days|hours|accounts|requests|organisations|templates|networks|addresses|instruments|tokens|keys|models"
UNREADABLE = {
    "a column name": r"[a-z0-9]+_[a-z0-9_]+",
    "bits, entropy or a coefficient of variation": r"\bbits\b|entropy|coefficient of variation",
    "a negative zero, nan or None": r"-0\b|\bnan\b|\bNone\b",
    "a count of none": r"(^|[^\d.,])0 [a-z]",
    "one with a plural noun": rf"(^|[^\d.,])1 ([a-z]+ )?({_PLURALS})\b",
}


def unreadable(text: pl.Expr) -> pl.Expr:
    """Whether a reason sentence reads like any of ``UNREADABLE``."""
    return text.str.contains("|".join(f"(?:{p})" for p in UNREADABLE.values()))


def _pct(x) -> str:
    return f"{100 * float(x):.0f}%"


def _n(x) -> str:
    return f"{_count(x):,}"


def _count(x) -> int:
    return int(round(float(x)))


def _bits(x) -> float:
    """An entropy as a number of equally used outcomes (2^bits); SQL's -sum(p log p) of one outcome is -0.0."""
    return 2 ** min(max(float(x), 0.0), 60.0)


def _spread_over_hours(r) -> str:
    hours = min(_bits(r["acct_hour_entropy_1d"]), 24.0)
    if hours < 1.5:
        return f"{'all' if hours < 1.05 else 'nearly all'} of the day's requests in one hour"
    if hours >= 20:
        return f"requests spread evenly around the clock (as over {hours:.0f} of the day's 24 hours)"
    return f"requests spread over the day as evenly as over {hours:.0f} of its 24 hours"


def _variety(r) -> str:
    templates = _bits(r["acct_template_entropy_1d"])
    if templates < 1.5:
        return f"{'every' if templates < 1.05 else 'nearly every'} prompt follows one template"
    return f"prompts as varied as {plural(templates, 'equally used template')}"


def _templates_per_1k(r) -> str:
    per_1k = float(r["acct_templates_per_1k_1d"])
    if per_1k >= 1.5:
        return f"{_n(per_1k)} distinct templates per 1,000 prompts"
    # A large account's few templates: "0 distinct templates per 1,000 prompts" would read as none.
    return f"one distinct template per {_n(1000 / max(per_1k, 1e-3))} prompts"


def _gaps(r) -> str:
    cv = float(r["acct_interarrival_cv_1d"])
    if cv == 0:
        return (
            "a single request today"
            if float(r.get("acct_req_count_1d") or 0) <= 1
            else "requests at exactly regular intervals"
        )
    if cv < 0.5:
        return f"requests at near-regular intervals (gaps vary by {_pct(cv)} of their mean)"
    if cv > 2:
        return f"requests in bursts (gaps vary by {cv:.1f} times their mean)"
    return f"gaps between requests vary by {_pct(cv)} of their mean"


def plural(x, word: str, many: str | None = None) -> str:
    """``1 account``, ``2 accounts``, ``1,204 requests`` (``many`` for irregular plurals)."""
    n = _count(x)
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _some(x, word: str, many: str | None = None) -> str:
    """``plural``, with none as ``no accounts`` rather than ``0 accounts``."""
    return plural(x, word, many) if _count(x) else f"no {many or word + 's'}"


def plural_expr(expr: pl.Expr, word: str) -> pl.Expr:
    """The Polars form of ``plural`` for whole columns."""
    return pl.concat_str(
        [
            expr.cast(pl.Int64).cast(pl.String),
            pl.when(expr == 1).then(pl.lit(f" {word}")).otherwise(pl.lit(f" {word}s")),
        ]
    )


# Why an action took the path it did; shown first in the reasons.
PATH_SENTENCES = {
    "allowlisted_org": "organisation is on the allowlist: sent to human review instead of suspension",
    "tenured_customer": (
        "long-standing verified paying customer: sent to human review instead of a stronger automatic action"
    ),
    "established_org": (
        "established verified organisation under its own corporate domain: sent to human review instead of a "
        "stronger automatic action"
    ),
    "self_contained_org": (
        "established verified organisation whose traffic touches no other organisation: monitored for its account "
        "team, not acted on"
    ),
    "single_org_cohort": (
        "one of many accounts of a new organisation, sharing nothing with any other organisation (a class, a "
        "roll-out): monitored for its account team, not acted on"
    ),
    "no_content_evidence": "no extraction content in the account's own traffic: held at verification",
    "persistence": "first strong action held at verification until the behaviour shows on a second day",
    "settled_account_band": (
        "the model flags an account with a history for the first time: monitored until it shows on a second day"
    ),
    "rules_alone": (
        "extraction rules fired but nothing else agrees (model, coordination or volume): sent to human review"
    ),
    "rules_alone_model_disagrees": (
        "extraction rules fired but the trained model scores this account low and nothing else agrees: monitored only"
    ),
    "model_alone": "the model alone flags this account, with no second line of evidence: monitored only",
    "established_rules_alone": (
        "established verified organisation under its own corporate domain: extraction rules alone "
        "are monitored, not acted on"
    ),
}


# Each line of evidence (models/policy.py ``LINES``) as the path sentence names it when it corroborates.
LINE_WORDS = {
    "model": "the model's score",
    "rules": "the extraction rules",
    "content": "extraction content in its own prompts",
    "coordination": "coordination with other organisations' accounts",
    "pool": "a prompt template other organisations send too",
    "volume": "its volume",
    "persistence": "the same finding on an earlier day",
}


# feature -> sentence builder over the account's feature row
SENTENCES = {
    "acct_top_template_share_1d": lambda r: (
        f"{_pct(r['acct_top_template_share_1d'])} of {_n(r['acct_req_count_1d'])} prompts follow one template"
    ),
    "acct_top_template_share_7d": lambda r: (
        f"{_pct(r['acct_top_template_share_7d'])} of the week's {_n(r['acct_req_count_7d'])} prompts "
        "follow one template"
    ),
    "acct_top_prefix_share_1d": lambda r: f"{_pct(r['acct_top_prefix_share_1d'])} of prompts open with the same words",
    "acct_cot_rate_1d": lambda r: f"{_pct(r['acct_cot_rate_1d'])} of prompts ask the model to spell out its reasoning",
    "acct_cot_rate_7d": lambda r: (
        f"{_pct(r['acct_cot_rate_7d'])} of the week's prompts ask the model to spell out its reasoning"
    ),
    "acct_rubric_rate_1d": lambda r: (
        f"{_pct(r['acct_rubric_rate_1d'])} of prompts use the model as a grader against a rubric"
    ),
    "acct_probe_rate_1d": lambda r: (
        f"{_pct(r['acct_probe_rate_1d'])} of prompts try to extract hidden reasoning or instructions"
    ),
    "acct_lang_coercion_rate_1d": lambda r: (
        f"{_pct(r['acct_lang_coercion_rate_1d'])} of prompts dictate the language of the reasoning"
    ),
    "acct_rewrite_rate_1d": lambda r: f"{_pct(r['acct_rewrite_rate_1d'])} of prompts ask for censorship-safe rewrites",
    "acct_maxout_rate_1d": lambda r: f"{_pct(r['acct_maxout_rate_1d'])} of prompts demand maximum-length output",
    "acct_thinking_share_1d": lambda r: f"reasoning requested on {_pct(r['acct_thinking_share_1d'])} of requests",
    "acct_thinking_share_7d": lambda r: (
        f"reasoning requested on {_pct(r['acct_thinking_share_7d'])} of the week's requests"
    ),
    "acct_thinking_budget_mean_1d": lambda r: (
        f"mean reasoning budget of {plural(r['acct_thinking_budget_mean_1d'], 'token')}"
        if _count(r["acct_thinking_budget_mean_1d"])
        else "no reasoning budget requested"
    ),
    "acct_near_max_share_1d": lambda r: (
        f"{_pct(r['acct_near_max_share_1d'])} of responses ran to the output-token limit the request set"
    ),
    "acct_out_in_ratio_1d": lambda r: f"{float(r['acct_out_in_ratio_1d']):.1f} output tokens per input token",
    "acct_output_tokens_1d": lambda r: f"{_some(r['acct_output_tokens_1d'], 'output token')} harvested in one day",
    "acct_max_tokens_mean_1d": lambda r: (
        f"asks for up to {_some(r['acct_max_tokens_mean_1d'], 'output token')} per request on average"
    ),
    "acct_req_count_1d": lambda r: f"{_some(r['acct_req_count_1d'], 'request')} in one day",
    "acct_req_count_7d": lambda r: f"{_some(r['acct_req_count_7d'], 'request')} in seven days",
    "acct_peak_req_count_7d": lambda r: f"peak of {_some(r['acct_peak_req_count_7d'], 'request')} in a day this week",
    "acct_age_days": lambda r: (
        f"account is {plural(r['acct_age_days'], 'day')} old"
        if _count(r["acct_age_days"])
        else "account was created today"
    ),
    "acct_days_signup_to_peak_7d": lambda r: (
        f"peak usage {plural(r['acct_days_signup_to_peak_7d'], 'day')} after sign-up"
        if _count(r["acct_days_signup_to_peak_7d"])
        else "peak usage on the day of sign-up"
    ),
    "acct_verified": lambda r: "account is not verified" if not r["acct_verified"] else "account is verified",
    "acct_payment_present": lambda r: (
        "no payment instrument on file" if not r["acct_payment_present"] else "payment instrument on file"
    ),
    "acct_distinct_asns_1d": lambda r: (
        f"traffic from {_some(r['acct_distinct_asns_1d'], 'network')} in one day (proxy rotation)"
    ),
    "acct_distinct_ips_1d": lambda r: (
        f"traffic from {_some(r['acct_distinct_ips_1d'], 'address', 'addresses')} in one day"
    ),
    "acct_hosting_asn_share_1d": lambda r: f"{_pct(r['acct_hosting_asn_share_1d'])} of traffic from hosting networks",
    "acct_country_mismatch_share_1d": lambda r: (
        f"{_pct(r['acct_country_mismatch_share_1d'])} of traffic from outside the billing country"
    ),
    "acct_4xx_share_1d": lambda r: f"{_pct(r['acct_4xx_share_1d'])} of requests rejected as invalid (probing)",
    "acct_429_share_1d": lambda r: f"{_pct(r['acct_429_share_1d'])} of requests hit rate limits",
    "acct_hour_entropy_1d": _spread_over_hours,
    "acct_burst_5min_share_1d": lambda r: (
        f"{_pct(r['acct_burst_5min_share_1d'])} of the day's requests in one 5-minute burst"
    ),
    "acct_interarrival_cv_1d": _gaps,
    "acct_distinct_system_prompts_1d": lambda r: (
        f"{plural(r['acct_distinct_system_prompts_1d'], 'distinct system prompt')} (persona variants)"
        if _count(r["acct_distinct_system_prompts_1d"])
        else "no system prompt on any request"
    ),
    "acct_new_template_share_7d": lambda r: (
        f"{_pct(r['acct_new_template_share_7d'])} of today's templates are new this week"
    ),
    "acct_neardup_rate_1d": lambda r: f"{_pct(r['acct_neardup_rate_1d'])} of prompts are near-duplicates",
    "cluster_n_accounts": lambda r: (
        f"part of a coordinated cluster of {_some(r['cluster_n_accounts'], 'account')} in "
        f"{_some(r['cluster_n_orgs'], 'organisation')}"
    ),
    "cluster_n_orgs": lambda r: f"cluster spans {_some(r['cluster_n_orgs'], 'organisation')}",
    "cluster_payment_max_shared": lambda r: (
        f"{_some(r['cluster_payment_max_shared'], 'account')} share this payment instrument"
    ),
    "cluster_fresh_share": lambda r: (
        f"{_pct(r['cluster_fresh_share'])} of the cluster's accounts are under 14 days old"
    ),
    "cluster_creation_span_hours": lambda r: (
        f"cluster accounts were created within {plural(r['cluster_creation_span_hours'], 'hour')}"
        if _count(r["cluster_creation_span_hours"])
        else "cluster accounts were created within the same hour"
    ),
    "cluster_risky_tier_share": lambda r: (
        f"{_pct(r['cluster_risky_tier_share'])} of the cluster is on free, edu, startup or research tiers"
    ),
    "cluster_top_template_share_7d": lambda r: (
        f"{_pct(r['cluster_top_template_share_7d'])} of the cluster's prompts follow one template"
    ),
    "cluster_cot_rate_7d": lambda r: f"{_pct(r['cluster_cot_rate_7d'])} of the cluster's prompts ask for reasoning",
    "cluster_enforced_before": lambda r: (
        f"cluster holds {_some(r['cluster_enforced_members'], 'account')} already enforced"
    ),
    "cluster_enforced_members": lambda r: (
        f"cluster holds {_some(r['cluster_enforced_members'], 'account')} already enforced"
    ),
    "acct_enforced_link_count": lambda r: (
        "shares payment, sign-up network, e-mail domain or a pool's wake-up day with "
        f"{_some(r['acct_enforced_link_count'], 'account')} already enforced"
    ),
    "cluster_new_member_share_1d": lambda r: (
        f"{_pct(r['cluster_new_member_share_1d'])} of the cluster's active accounts are new today (replacements)"
    ),
    "cluster_verified_share": lambda r: f"{_pct(r['cluster_verified_share'])} of the cluster's accounts are verified",
    "org_new_accounts_7d": lambda r: f"organisation created {_some(r['org_new_accounts_7d'], 'account')} this week",
    "acct_input_tokens_1d": lambda r: f"{_some(r['acct_input_tokens_1d'], 'input token')} sent in one day",
    "acct_batch_share_1d": lambda r: f"{_pct(r['acct_batch_share_1d'])} of requests through the batch endpoint",
    "acct_models_1d": lambda r: f"requests to {_some(r['acct_models_1d'], 'model')} in one day",
    "acct_active_hours_1d": lambda r: f"active in {_some(r['acct_active_hours_1d'], 'hour')} of the day",
    "acct_night_share_1d": lambda r: (
        f"{_pct(r['acct_night_share_1d'])} of requests sent at night in the billing country"
    ),
    "acct_5xx_share_1d": lambda r: f"{_pct(r['acct_5xx_share_1d'])} of requests met server overload",
    "acct_distinct_keys_1d": lambda r: f"{_some(r['acct_distinct_keys_1d'], 'API key')} used in one day",
    "acct_distinct_uas_1d": lambda r: f"{_some(r['acct_distinct_uas_1d'], 'client program')} used in one day",
    "acct_system_prompt_share_1d": lambda r: (
        f"{_pct(r['acct_system_prompt_share_1d'])} of requests carry a system prompt"
    ),
    "acct_top_system_prompt_share_1d": lambda r: (
        f"{_pct(r['acct_top_system_prompt_share_1d'])} of system prompts are one and the same"
    ),
    "acct_prompt_chars_mean_1d": lambda r: f"prompts average {_some(r['acct_prompt_chars_mean_1d'], 'character')}",
    "acct_template_entropy_1d": _variety,
    "acct_templates_per_1k_1d": _templates_per_1k,
    "acct_top_capability_share_1d": lambda r: (
        f"{_pct(r['acct_top_capability_share_1d'])} of prompts target one capability"
    ),
    "acct_webmail": lambda r: (
        "signed up with a public webmail address" if r["acct_webmail"] else "signed up with a non-webmail address"
    ),
    "acct_edu_email": lambda r: (
        "signed up with an academic e-mail address" if r["acct_edu_email"] else "signed up with a non-academic address"
    ),
    "acct_signup_hosting": lambda r: (
        "signed up from a hosting or cloud network"
        if r["acct_signup_hosting"]
        else "signed up from a home or office network"
    ),
    "org_active_accounts_1d": lambda r: (
        f"organisation has {_some(r['org_active_accounts_1d'], 'active account')} today"
    ),
    "org_req_count_1d": lambda r: f"organisation sent {_some(r['org_req_count_1d'], 'request')} today",
    "org_accounts_total": lambda r: f"organisation has {_some(r['org_accounts_total'], 'account')}",
    "acct_active_days_7d": lambda r: f"active on {_some(r['acct_active_days_7d'], 'day')} of the last seven",
    "acct_output_tokens_7d": lambda r: f"{_some(r['acct_output_tokens_7d'], 'output token')} harvested in seven days",
    "acct_new_templates_1d": lambda r: f"{_some(r['acct_new_templates_1d'], 'new prompt template')} today",
    "acct_in_cluster": lambda r: (
        "part of a coordinated cluster" if r["acct_in_cluster"] else "not part of any coordinated cluster"
    ),
    "cluster_active_accounts_1d": lambda r: f"{_some(r['cluster_active_accounts_1d'], 'cluster member')} active today",
    "cluster_payment_present_share": lambda r: (
        f"{_pct(r['cluster_payment_present_share'])} of the cluster's accounts have a payment instrument"
    ),
    "cluster_req_count_7d": lambda r: f"cluster sent {_some(r['cluster_req_count_7d'], 'request')} this week",
    "cluster_thinking_share_7d": lambda r: (
        f"reasoning requested on {_pct(r['cluster_thinking_share_7d'])} of the cluster's requests"
    ),
    "cluster_hosting_share_7d": lambda r: (
        f"{_pct(r['cluster_hosting_share_7d'])} of the cluster's traffic from hosting networks"
    ),
    "cluster_near_max_share_7d": lambda r: (
        f"{_pct(r['cluster_near_max_share_7d'])} of the cluster's responses ran to the output-token limit"
    ),
    "org_age_days": lambda r: (
        f"organisation is {plural(r['org_age_days'], 'day')} old"
        if _count(r["org_age_days"])
        else "organisation was created today"
    ),
    "org_new_account_share_7d": lambda r: (
        f"{_pct(r['org_new_account_share_7d'])} of the organisation's accounts were created this week"
    ),
    "org_verified_share": lambda r: f"{_pct(r['org_verified_share'])} of the organisation's accounts are verified",
    "org_enterprise_tier_share": lambda r: (
        f"{_pct(r['org_enterprise_tier_share'])} of the organisation's accounts are on enterprise or scale tiers"
    ),
    "org_risky_tier_share": lambda r: (
        f"{_pct(r['org_risky_tier_share'])} of the organisation's accounts are on free, edu, startup or research tiers"
    ),
    "org_payment_instruments": lambda r: (
        f"organisation pays with {plural(r['org_payment_instruments'], 'instrument')}"
        if _count(r["org_payment_instruments"])
        else "no payment instrument on file anywhere in the organisation"
    ),
    "org_top_domain_share": lambda r: (
        f"{_pct(r['org_top_domain_share'])} of the organisation's accounts share one e-mail domain"
    ),
    "org_corporate_domain": lambda r: (
        "organisation signs in under its own corporate domain"
        if r["org_corporate_domain"]
        else "organisation has no corporate domain of its own"
    ),
    "acct_payment_orgs": lambda r: (
        f"payment instrument used by {_some(r['acct_payment_orgs'], 'organisation')}"
        if r["acct_payment_orgs"]
        else "no payment instrument on file"
    ),
    "acct_payment_accounts": lambda r: (
        f"payment instrument shared by {plural(r['acct_payment_accounts'], 'account')}"
        if _count(r["acct_payment_accounts"])
        else "no payment instrument on file"
    ),
    "acct_new_model_share_1d": lambda r: (
        f"{_pct(r['acct_new_model_share_1d'])} of requests go to a model released in the last two weeks"
    ),
    "release_days_since": lambda r: (
        f"{_some(r['release_days_since'], 'day')} after a model release"
        if float(r["release_days_since"]) < 365
        else "no recent model release"
    ),
    "acct_cross_org_links": lambda r: (
        "shares payment, sign-up network or e-mail domain with "
        f"{_some(r['acct_cross_org_links'], 'other organisation')}"
    ),
    "acct_woke_with_orgs": lambda r: (
        "came back from silence on the same day as accounts of "
        f"{plural(r['acct_woke_with_orgs'], 'other organisation')}, all behind rotating networks"
        if _count(r["acct_woke_with_orgs"])
        else "did not come back from silence with a pool of other organisations"
    ),
    "acct_template_pool_orgs": lambda r: (
        f"sends its main prompt template alongside {plural(r['acct_template_pool_orgs'], 'other organisation')}"
        if _count(r["acct_template_pool_orgs"])
        else "no other organisation sends its main prompt template"
    ),
    "acct_content_template_orgs": lambda r: (
        "sends extraction prompts from a template that is sent with extraction content by "
        f"{_some(r['acct_content_template_orgs'], 'other organisation')} too"
        if r["acct_content_template_orgs"]
        else "no other organisation sends its extraction prompt templates"
    ),
    "cluster_indicator_kinds": lambda r: (
        f"cluster members share {_some(r['cluster_indicator_kinds'], 'kind')} of indicator"
    ),
}


@lru_cache(maxsize=1)
def _definitions() -> dict[str, str]:
    with CATALOG.open() as fh:
        cat = yaml.safe_load(fh)
    return {k: v["definition"] for section in cat.values() for k, v in section.items()}


def sentence(feature: str, row: dict) -> str:
    # Cluster columns are 0 for an account in no cluster: "0% of the cluster's accounts are verified" would
    # describe a cluster that does not exist.
    if feature.startswith("cluster_") and not row.get("acct_in_cluster", True):
        return "not part of any coordinated cluster"
    builder = SENTENCES.get(feature)
    if builder is not None:
        try:
            return builder(row)
        except (KeyError, TypeError, ValueError):
            pass
    # A feature without a sentence of its own (a new one): its catalogue definition, never the column name.
    value = row.get(feature)
    shown = f"{value:.3g}" if isinstance(value, float) and math.isfinite(value) else str(value)
    definition = _definitions().get(feature)
    if definition is None:
        return f"an unusual value ({shown}) of a signal without a description"
    return f"{definition.rstrip('.')}: {shown}"
