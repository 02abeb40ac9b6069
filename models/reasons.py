"""Plain-language reasons: a sentence per feature, filled with the account's own numbers."""

from __future__ import annotations

import math


def _pct(x) -> str:
    return f"{100 * float(x):.0f}%"


def _n(x) -> str:
    return f"{int(round(float(x))):,}"


# feature -> sentence builder over the account's feature row
SENTENCES = {
    "acct_top_template_share_1d": lambda r: f"{_pct(r['acct_top_template_share_1d'])} of {_n(r['acct_req_count_1d'])} prompts follow one template",
    "acct_top_template_share_7d": lambda r: f"{_pct(r['acct_top_template_share_7d'])} of the week's {_n(r['acct_req_count_7d'])} prompts follow one template",
    "acct_top_prefix_share_1d": lambda r: f"{_pct(r['acct_top_prefix_share_1d'])} of prompts open with the same words",
    "acct_cot_rate_1d": lambda r: f"{_pct(r['acct_cot_rate_1d'])} of prompts ask the model to spell out its reasoning",
    "acct_cot_rate_7d": lambda r: f"{_pct(r['acct_cot_rate_7d'])} of the week's prompts ask the model to spell out its reasoning",
    "acct_rubric_rate_1d": lambda r: f"{_pct(r['acct_rubric_rate_1d'])} of prompts use the model as a grader against a rubric",
    "acct_probe_rate_1d": lambda r: f"{_pct(r['acct_probe_rate_1d'])} of prompts try to extract hidden reasoning or instructions",
    "acct_lang_coercion_rate_1d": lambda r: f"{_pct(r['acct_lang_coercion_rate_1d'])} of prompts dictate the language of the reasoning",
    "acct_rewrite_rate_1d": lambda r: f"{_pct(r['acct_rewrite_rate_1d'])} of prompts ask for censorship-safe rewrites",
    "acct_maxout_rate_1d": lambda r: f"{_pct(r['acct_maxout_rate_1d'])} of prompts demand maximum-length output",
    "acct_thinking_share_1d": lambda r: f"reasoning requested on {_pct(r['acct_thinking_share_1d'])} of requests",
    "acct_thinking_share_7d": lambda r: f"reasoning requested on {_pct(r['acct_thinking_share_7d'])} of the week's requests",
    "acct_thinking_budget_mean_1d": lambda r: f"mean reasoning budget of {_n(r['acct_thinking_budget_mean_1d'])} tokens",
    "acct_near_max_share_1d": lambda r: f"{_pct(r['acct_near_max_share_1d'])} of responses ran to max_tokens",
    "acct_out_in_ratio_1d": lambda r: f"{float(r['acct_out_in_ratio_1d']):.1f} output tokens per input token",
    "acct_output_tokens_1d": lambda r: f"{_n(r['acct_output_tokens_1d'])} output tokens harvested in one day",
    "acct_max_tokens_mean_1d": lambda r: f"mean max_tokens of {_n(r['acct_max_tokens_mean_1d'])}",
    "acct_req_count_1d": lambda r: f"{_n(r['acct_req_count_1d'])} requests in one day",
    "acct_req_count_7d": lambda r: f"{_n(r['acct_req_count_7d'])} requests in seven days",
    "acct_peak_req_count_7d": lambda r: f"peak of {_n(r['acct_peak_req_count_7d'])} requests in a day this week",
    "acct_age_days": lambda r: f"account is {float(r['acct_age_days']):.0f} days old",
    "acct_days_signup_to_peak_7d": lambda r: f"peak usage {float(r['acct_days_signup_to_peak_7d']):.0f} days after sign-up",
    "acct_verified": lambda r: "account is not verified" if not r["acct_verified"] else "account is verified",
    "acct_payment_present": lambda r: "no payment instrument on file" if not r["acct_payment_present"] else "payment instrument on file",
    "acct_distinct_asns_1d": lambda r: f"traffic from {_n(r['acct_distinct_asns_1d'])} networks in one day (proxy rotation)",
    "acct_distinct_ips_1d": lambda r: f"traffic from {_n(r['acct_distinct_ips_1d'])} addresses in one day",
    "acct_hosting_asn_share_1d": lambda r: f"{_pct(r['acct_hosting_asn_share_1d'])} of traffic from hosting networks",
    "acct_country_mismatch_share_1d": lambda r: f"{_pct(r['acct_country_mismatch_share_1d'])} of traffic from outside the billing country",
    "acct_4xx_share_1d": lambda r: f"{_pct(r['acct_4xx_share_1d'])} of requests rejected as invalid (probing)",
    "acct_429_share_1d": lambda r: f"{_pct(r['acct_429_share_1d'])} of requests hit rate limits",
    "acct_hour_entropy_1d": lambda r: f"activity spread evenly over the day ({float(r['acct_hour_entropy_1d']):.1f} bits of hour entropy)",
    "acct_burst_5min_share_1d": lambda r: f"{_pct(r['acct_burst_5min_share_1d'])} of the day's requests in one 5-minute burst",
    "acct_interarrival_cv_1d": lambda r: f"request timing regularity {float(r['acct_interarrival_cv_1d']):.2f} (coefficient of variation)",
    "acct_distinct_system_prompts_1d": lambda r: f"{_n(r['acct_distinct_system_prompts_1d'])} distinct system prompts (persona variants)",
    "acct_new_template_share_7d": lambda r: f"{_pct(r['acct_new_template_share_7d'])} of today's templates are new this week",
    "acct_neardup_rate_1d": lambda r: f"{_pct(r['acct_neardup_rate_1d'])} of prompts are near-duplicates",
    "cluster_n_accounts": lambda r: f"part of a coordinated cluster of {_n(r['cluster_n_accounts'])} accounts in {_n(r['cluster_n_orgs'])} organisations",
    "cluster_n_orgs": lambda r: f"cluster spans {_n(r['cluster_n_orgs'])} organisations",
    "cluster_payment_max_shared": lambda r: f"{_n(r['cluster_payment_max_shared'])} accounts share this payment instrument",
    "cluster_fresh_share": lambda r: f"{_pct(r['cluster_fresh_share'])} of the cluster's accounts are under 14 days old",
    "cluster_creation_span_hours": lambda r: f"cluster accounts were created within {float(r['cluster_creation_span_hours']):.0f} hours",
    "cluster_risky_tier_share": lambda r: f"{_pct(r['cluster_risky_tier_share'])} of the cluster is on free, edu, startup or research tiers",
    "cluster_top_template_share_7d": lambda r: f"{_pct(r['cluster_top_template_share_7d'])} of the cluster's prompts follow one template",
    "cluster_cot_rate_7d": lambda r: f"{_pct(r['cluster_cot_rate_7d'])} of the cluster's prompts ask for reasoning",
    "cluster_enforced_before": lambda r: f"cluster holds {_n(r['cluster_enforced_members'])} accounts already enforced",
    "cluster_enforced_members": lambda r: f"cluster holds {_n(r['cluster_enforced_members'])} accounts already enforced",
    "acct_enforced_link_count": lambda r: f"shares payment, network or templates with {_n(r['acct_enforced_link_count'])} accounts already enforced",
    "cluster_new_member_share_1d": lambda r: f"{_pct(r['cluster_new_member_share_1d'])} of the cluster's active accounts are new today (replacements)",
    "cluster_verified_share": lambda r: f"{_pct(r['cluster_verified_share'])} of the cluster's accounts are verified",
    "org_new_accounts_7d": lambda r: f"organisation created {_n(r['org_new_accounts_7d'])} accounts this week",
}


def sentence(feature: str, row: dict) -> str:
    builder = SENTENCES.get(feature)
    if builder is not None:
        try:
            return builder(row)
        except (KeyError, TypeError, ValueError):
            pass
    value = row.get(feature)
    shown = f"{value:.3g}" if isinstance(value, float) and math.isfinite(value) else str(value)
    return f"{feature.replace('_', ' ')} = {shown}"
