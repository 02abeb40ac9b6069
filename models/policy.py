"""Policy: score bands, corroboration, persistence, cluster evidence and protections -> actions with durations.

No action above ``monitor`` rests on one signal alone (models/policy.yaml, ``corroboration``): a model band
needs the rules, extraction content, coordination or persistence to agree; the rules floor needs the model,
coordination or volume, and alone sends the account to human review. An account's first ``degrade_reasoning``
or ``suspend`` needs persistence over days, or model and rules agreeing at extraction volume. Every action row
names the path that decided it (``trigger``) and the lines of evidence that held (``corroboration``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from models.reasons import LINE_WORDS, PATH_SENTENCES, plural_expr
from models.spec import Policy

# Share-of-prompts features that count as extraction content in the account's own traffic.
CONTENT_MARKERS = [
    "acct_cot_rate_1d",
    "acct_rubric_rate_1d",
    "acct_probe_rate_1d",
    "acct_lang_coercion_rate_1d",
    "acct_rewrite_rate_1d",
    "acct_maxout_rate_1d",
    "acct_near_max_share_1d",
]
TENURE_COLUMNS = ["acct_age_days", "acct_verified", "acct_payment_present"]
EVIDENCE_COLUMNS = [
    "acct_req_count_1d",
    "acct_enforced_link_count",
    "acct_cross_org_links",
    "acct_woke_with_orgs",
    "acct_template_pool_orgs",
    "acct_content_template_orgs",
    "cluster_n_orgs",
]
ORG_COLUMNS = ["org_verified_share", "org_corporate_domain", "org_age_days", "acct_payment_orgs", "org_accounts_total"]
# Account feature columns the policy reads beside the scores.
POLICY_INPUTS = [*TENURE_COLUMNS, *CONTENT_MARKERS, *EVIDENCE_COLUMNS, *ORG_COLUMNS]
LINES = ["model", "rules", "content", "coordination", "pool", "volume", "persistence"]
COLD_START_PREFIX = "rules-"
SCORES_COLUMNS = [
    "date",
    "account_id",
    "org_id",
    "score",
    "risk_band",
    "cluster_id",
    "reasons",
    "reasons_text",
    "model_version",
    "run_id",
    "rules_score",
    "model_score",
]
ACTIONS_COLUMNS = [
    "date",
    "account_id",
    "org_id",
    "action",
    "score",
    "cluster_id",
    "reasons",
    "reasons_text",
    "effective_from",
    "expires_at",
    "model_version",
    "run_id",
    "risk_band",
    "rules_score",
    "policy_version",
    "protection",
    "trigger",
    "corroboration",
    "model_score",
]
MAX_REASONS = 4


def active_allowlist(allowlist: pl.DataFrame | None, day: date) -> pl.DataFrame:
    """Organisations allowlisted at the end of ``day``."""
    if allowlist is None or allowlist.is_empty():
        return pl.DataFrame(schema={"org_id": pl.String})
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    return allowlist.filter(pl.col("expires_at").is_null() | (pl.col("expires_at") > end)).select("org_id").unique()


def prior_evidence(
    policy: Policy, day: date, scores: pl.DataFrame | None, actions: pl.DataFrame | None
) -> pl.DataFrame:
    """Per account, from days published before ``day``: the highest score in the persistence lookback and
    whether a first strong action was already taken (point-in-time: rows on or after ``day`` are ignored)."""
    lookback = day - timedelta(days=policy.persistence.lookback_days)
    enforced_from = day - timedelta(days=policy.first_strong_action.already_enforced_lookback_days)
    empty = prior_evidence_empty()
    high = empty.select("account_id", "prior_max_score")
    strong = empty.select("account_id", "prior_strong")
    if scores is not None and not scores.is_empty():
        # The model's own score: a score raised by the corroborated rules is not the model seeing it twice.
        own = pl.coalesce("model_score", "score") if "model_score" in scores.columns else pl.col("score")
        high = (
            scores.filter(pl.col("date").is_between(lookback, day - timedelta(days=1)))
            .group_by("account_id")
            .agg(prior_max_score=own.max().cast(pl.Float64))
        )
    if actions is not None and not actions.is_empty():
        strong = (
            actions.filter(
                pl.col("date").is_between(enforced_from, day - timedelta(days=1))
                & pl.col("action").is_in(policy.first_strong_action.actions)
            )
            .select("account_id")
            .unique()
            .with_columns(prior_strong=pl.lit(True))
        )
    return high.join(strong, on="account_id", how="full", coalesce=True).sort("account_id")


def _with_inputs(scored: pl.DataFrame, clusters: pl.DataFrame, prior: pl.DataFrame | None) -> pl.DataFrame:
    # Scores stored before a policy input existed (older backfilled days) simply lack that evidence.
    missing = [c for c in POLICY_INPUTS if c not in scored.columns]
    df = scored.with_columns([pl.lit(None, dtype=pl.Float64).alias(c) for c in missing])
    if "rule_reasons" not in df.columns:
        df = df.with_columns(rule_reasons=pl.lit([], dtype=pl.List(pl.String)))
    c = clusters.select("cluster_id", pl.col("n_accounts").alias("_c_n"), pl.col("score").alias("_c_score"))
    prior = prior if prior is not None else prior_evidence_empty()
    return df.join(c, on="cluster_id", how="left").join(prior, on="account_id", how="left")


def prior_evidence_empty() -> pl.DataFrame:
    return pl.DataFrame(schema={"account_id": pl.String, "prior_max_score": pl.Float64, "prior_strong": pl.Boolean})


# Every line of evidence and the organisation tests beside them, built together because they read each other.
def _lines(policy: Policy) -> dict[str, pl.Expr]:
    """Each line of evidence as a boolean expression over the joined frame."""
    cor, esc, est = policy.corroboration, policy.cluster_escalation, policy.established_org
    trained = ~pl.col("model_version").str.starts_with(COLD_START_PREFIX)
    markers = pl.max_horizontal([pl.col(c).fill_null(0) for c in CONTENT_MARKERS])
    # A pool woken at once is linked across organisations by its wake-up day.
    linked = (pl.col("acct_cross_org_links").fill_null(0) >= esc.min_account_cross_org_links) | (
        pl.col("acct_woke_with_orgs").fill_null(0) >= 1
    )
    # A cluster's score is the model's (or the rules') view, another line: a pool the day's model has not learned
    # still counts as coordination by its structure where the account's own traffic carries extraction content
    # (two observations, neither of them the rules' own cluster or wake-up rule counted twice).
    spanning = (
        (pl.col("_c_n") >= esc.min_cluster_accounts)
        & (pl.col("cluster_n_orgs").fill_null(0) >= esc.min_cluster_orgs)
        & linked
    ).fill_null(False)
    risky = spanning & (pl.col("_c_score") >= esc.min_cluster_score).fill_null(False)
    established = (
        (pl.col("org_verified_share") >= est.min_verified_share)
        & (pl.col("org_age_days") >= est.min_org_age_days)
        & (pl.col("acct_payment_orgs") <= est.max_payment_orgs)
    )
    if est.require_corporate_domain:
        established &= pl.col("org_corporate_domain") == 1
    content = markers >= policy.protections.content_evidence.min_marker_rate
    lines = {
        "model": trained & (pl.col("score") >= cor.model_min_score),
        "rules": pl.col("rules_score") >= policy.rules_floor.min_rules_score,
        "content": content,
        "coordination": risky
        | (spanning & content)
        | ((pl.col("acct_enforced_link_count").fill_null(0) >= 1) & linked),
        "pool": (pl.col("acct_template_pool_orgs").fill_null(0) >= cor.pool_min_orgs)
        | (pl.col("acct_content_template_orgs").fill_null(0) >= cor.content_template_min_orgs),
        "volume": pl.col("acct_req_count_1d").fill_null(0) >= cor.volume_min_requests_1d,
        "persistence": pl.col("prior_max_score").fill_null(0) >= policy.persistence.min_prior_score,
    }
    # An established organisation's expected behaviour (volume) corroborates nothing.
    lines = {k: (v & ~established.fill_null(False)) if k in est.ignored_lines else v for k, v in lines.items()}

    def touches_none(max_pool_orgs: int) -> pl.Expr:
        """No payment, network, domain or client shared with another organisation; its main template and the
        templates of its extraction content its own."""
        return (
            (pl.col("acct_cross_org_links").fill_null(0) == 0)
            & (pl.col("acct_woke_with_orgs").fill_null(0) == 0)
            & (pl.col("acct_content_template_orgs").fill_null(0) == 0)
            & (pl.col("acct_enforced_link_count").fill_null(0) == 0)
            & (pl.col("acct_template_pool_orgs").fill_null(0) <= max_pool_orgs)
            & ~risky
        )

    self_contained = cohort = pl.lit(False)
    if est.self_contained is not None:
        self_contained = established & touches_none(est.self_contained.max_template_pool_orgs)
    if (c := policy.single_org_cohort) is not None:
        young = pl.col("org_age_days").fill_null(c.max_org_age_days) < c.max_org_age_days
        big = pl.col("org_accounts_total").fill_null(0) >= c.min_org_accounts
        cohort = ~established.fill_null(False) & young & big & touches_none(c.max_template_pool_orgs)
    disagrees = trained & (pl.col("score") < cor.rules_alone_model_below)
    if cor.volume_min_requests_1d_model_disagrees is not None:
        busy = pl.col("acct_req_count_1d").fill_null(0) >= cor.volume_min_requests_1d_model_disagrees
        lines["volume"] &= ~disagrees | busy
    return {
        "trained": trained,
        "risky_cluster": risky,
        "established": established,
        "self_contained": self_contained,
        "cohort": cohort,
        "model_disagrees": disagrees,
        **lines,
    }


def _any(names: list[str]) -> pl.Expr:
    return pl.any_horizontal([pl.col(f"_l_{n}") for n in names])


def _decide(policy: Policy, df: pl.DataFrame) -> pl.DataFrame:
    """Band and rules-floor paths: ladder level (``_level``, -1 = none), review flag (``_review``), ``trigger``."""
    ladder = {a: i for i, a in enumerate(policy.ladder)}
    cor, floor = policy.corroboration, policy.rules_floor
    band = pl.lit(-1)
    for b in reversed(policy.bands):
        band = pl.when(pl.col("score") >= b.min_score).then(pl.lit(ladder[b.action])).otherwise(band)
    mon = ladder["monitor"]
    # Band path. Before a model exists the score is the rules' score, so it needs what the rules floor needs.
    band_ok = pl.when(pl.col("_l_trained")).then(_any(cor.band)).otherwise(_any(cor.rules_floor))
    alone = (band > mon) & ~band_ok
    # What the rules alone lead to: human review, or (established organisation) the declared ladder step.
    est_alone, disagrees_alone = policy.established_org.rules_alone, cor.rules_alone_model_disagrees
    established, disagrees = pl.col("_l_established"), pl.col("_l_model_disagrees")
    rules_alone_level = (
        pl.when(established)
        .then(pl.lit(ladder.get(est_alone, mon)))
        .when(disagrees)
        .then(pl.lit(ladder.get(disagrees_alone, mon)))
        .otherwise(pl.lit(ladder.get(cor.rules_alone, mon)))
    )
    rules_alone_review = (
        pl.when(established)
        .then(pl.lit(est_alone not in ladder))
        .when(disagrees)
        .then(pl.lit(disagrees_alone not in ladder))
        .otherwise(pl.lit(cor.rules_alone not in ladder))
    )
    alone_level = (
        pl.when(pl.col("_l_trained")).then(pl.lit(ladder.get(cor.band_alone, mon))).otherwise(rules_alone_level)
    )
    df = df.with_columns(_band=band).with_columns(
        _level=pl.when(alone).then(alone_level).otherwise(pl.col("_band")),
        _review=alone & ~pl.col("_l_trained") & rules_alone_review,
        _alone=alone,
        trigger=pl.when(pl.col("_band") >= 0).then(pl.lit("band")),
    )
    df = _hold_settled(policy, df)
    # Rules floor: acts when another line agrees, else the account goes to human review.
    applies = pl.col("_l_rules") & (pl.col("_level") < ladder[floor.action])
    ok = _any(cor.rules_floor)
    df = df.with_columns(
        _level=pl.when(applies & ok)
        .then(pl.lit(ladder[floor.action]))
        .when(applies & ~rules_alone_review)
        .then(pl.max_horizontal("_level", rules_alone_level))
        .otherwise("_level"),
        _review=pl.col("_review") | (applies & ~ok & rules_alone_review),
        trigger=pl.when(applies).then(pl.lit("rules_floor")).otherwise("trigger"),
    )
    return df


def _hold_settled(policy: Policy, df: pl.DataFrame) -> pl.DataFrame:
    """An account with a history, acted on from the model band on one day's score, waits for a second day."""
    s = policy.settled_account_band
    if s is None:
        return df.with_columns(_settled=pl.lit(False))
    cap = policy.ladder.index(s.cap)
    settled = (
        pl.col("_l_trained")
        & ~pl.col("_alone")
        & (pl.col("_level") > cap)
        & (pl.col("acct_age_days").fill_null(0) >= s.min_age_days)
        & (pl.col("prior_max_score").fill_null(0) < s.min_prior_score)
    )
    return df.with_columns(
        _level=pl.when(settled).then(pl.lit(cap)).otherwise("_level"),
        trigger=pl.when(settled).then(pl.lit("persistence")).otherwise("trigger"),
        _settled=settled,
    )


def _escalate_and_hold(policy: Policy, df: pl.DataFrame) -> pl.DataFrame:
    """Cluster escalation, then the first-strong-action gate (persistence or model and rules agreeing)."""
    ladder = {a: i for i, a in enumerate(policy.ladder)}
    esc, first = policy.cluster_escalation, policy.first_strong_action
    # Cluster escalation: members of a risky cluster across organisations move up.
    top = len(policy.ladder) - 1
    raised = pl.max_horizontal(pl.col("_level") + esc.steps, pl.lit(ladder[esc.floor_action])).clip(upper_bound=top)
    df = df.with_columns(
        _escalated=pl.col("_l_risky_cluster") & (raised > pl.col("_level")),
        _level=pl.when(pl.col("_l_risky_cluster")).then(raised).otherwise("_level"),
    )
    df = df.with_columns(trigger=pl.when("_escalated").then(pl.lit("cluster_escalation")).otherwise("trigger"))
    # First strong action: persistence, or model and rules agreeing (with the declared extra lines).
    agree = pl.col("_l_model") & (pl.col("score") >= first.model_and_rules_min_score) & pl.col("_l_rules")
    if first.model_and_rules_also:
        agree &= pl.all_horizontal([pl.col(f"_l_{n}") for n in first.model_and_rules_also])
    allowed = pl.any_horizontal([pl.col("_l_persistence") if n == "persistence" else agree for n in first.needs_any])
    held = (
        (pl.col("_level") >= min(ladder[a] for a in first.actions))
        & ~pl.col("prior_strong").fill_null(False)
        & ~allowed
        & (pl.col("_level") > ladder[first.cap])
    )
    return df.with_columns(
        _held=held,
        _level=pl.when(held).then(pl.lit(ladder[first.cap])).otherwise("_level"),
        trigger=pl.when(held).then(pl.lit("persistence")).otherwise("trigger"),
    )


def _protect(policy: Policy, df: pl.DataFrame, allowlist: pl.DataFrame) -> pl.DataFrame:
    ladder = {a: i for i, a in enumerate(policy.ladder)}
    inv = {i: a for a, i in ladder.items()}
    tenure, evidence = policy.protections.tenured, policy.protections.content_evidence
    est = policy.established_org
    tenured = pl.col("acct_age_days") >= tenure.min_age_days
    if tenure.require_verified:
        tenured &= pl.col("acct_verified") == 1
    if tenure.require_payment:
        tenured &= pl.col("acct_payment_present") == 1
    allow = pl.col("org_id").is_in(allowlist["org_id"].implode())
    df = df.with_columns(action=pl.col("_level").replace_strict(inv, default=None, return_dtype=pl.String))
    contained, cohort = est.self_contained, policy.single_org_cohort
    contained_max = ladder[contained.max_action] if contained is not None else len(ladder)
    cohort_max = ladder[cohort.max_action] if cohort is not None else len(ladder)
    df = df.with_columns(
        protection=pl.when(allow & (pl.col("action") == "suspend"))
        .then(pl.lit("allowlisted_org"))
        .when(pl.col("_l_self_contained") & (pl.col("_level") > contained_max))
        .then(pl.lit("self_contained_org"))
        .when(pl.col("_l_cohort") & (pl.col("_level") > cohort_max))
        .then(pl.lit("single_org_cohort"))
        .when(tenured.fill_null(False) & (pl.col("_level") > ladder[tenure.max_automatic_action]))
        .then(pl.lit("tenured_customer"))
        .when(pl.col("_l_established") & (pl.col("_level") > ladder[est.max_automatic_action]))
        .then(pl.lit("established_org"))
        .when(~pl.col("_l_content") & (pl.col("_level") > ladder[evidence.max_action_without]))
        .then(pl.lit("no_content_evidence"))
    )
    review = policy.corroboration.rules_alone
    return df.with_columns(
        action=pl.when(pl.col("protection") == "allowlisted_org")
        .then(pl.lit(policy.protections.allowlisted_org_instead_of_suspend))
        .when(pl.col("protection") == "self_contained_org")
        .then(pl.lit(contained.max_action if contained is not None else None))
        .when(pl.col("protection") == "single_org_cohort")
        .then(pl.lit(cohort.max_action if cohort is not None else None))
        .when(pl.col("protection") == "tenured_customer")
        .then(pl.lit(tenure.above_max_goes_to))
        .when(pl.col("protection") == "established_org")
        .then(pl.lit(est.above_max_goes_to))
        .when(pl.col("protection") == "no_content_evidence")
        .then(pl.lit(evidence.max_action_without))
        .when(pl.col("_review") & (pl.col("_level") <= ladder["monitor"]))
        .then(pl.lit(review))
        .otherwise("action"),
        trigger=pl.when(pl.col("protection").is_not_null()).then(pl.lit("protection")).otherwise("trigger"),
    )


def _agreeing(names: list[str]) -> pl.Expr:
    """The lines among ``names`` that held, in words: "a, b and c"."""
    held = [pl.when(pl.col(f"_l_{n}")).then(pl.lit(LINE_WORDS[n])) for n in names]
    return pl.concat_str(held, separator=", ", ignore_nulls=True).str.replace(r", ([^,]*)$", " and $1")


def _path_sentence(policy: Policy) -> pl.Expr:
    """Why the action took its path: the first reason of every row."""
    cor = policy.corroboration
    cluster = pl.concat_str(
        [
            pl.lit("member of coordinated cluster "),
            pl.col("cluster_id"),
            pl.lit(" ("),
            plural_expr(pl.col("_c_n"), "account"),
            pl.lit(", cluster score "),
            pl.col("_c_score").round(2).cast(pl.String),
            pl.lit(")"),
        ]
    )
    # The band, not the score: the row's score is a column of its own; the rules floor's score is not.
    scorer = (
        pl.when(pl.col("_l_trained")).then(pl.lit("in the model's ")).otherwise(pl.lit("in the extraction rules' "))
    )
    band_name = pl.concat_str([scorer, pl.col("risk_band"), pl.lit(" band")])
    rules_score = pl.concat_str([pl.lit("extraction rules score "), pl.col("rules_score").round(2).cast(pl.String)])

    def corroborated(lead: pl.Expr, names: list[str]) -> pl.Expr:
        words = _agreeing(names)
        return pl.when(words != "").then(pl.concat_str([lead, pl.lit(", corroborated by "), words]))

    acted, band = pl.col("action") != "monitor", pl.col("trigger") == "band"
    return (
        pl.when(pl.col("protection").is_not_null())
        .then(pl.col("protection").replace_strict(PATH_SENTENCES, default=None))
        .when((pl.col("trigger") == "persistence") & pl.col("_settled"))
        .then(pl.lit(PATH_SENTENCES["settled_account_band"]))
        .when(pl.col("trigger") == "persistence")
        .then(pl.lit(PATH_SENTENCES["persistence"]))
        .when(pl.col("_escalated"))
        .then(cluster)
        .when(pl.col("_review") & (pl.col("action") == cor.rules_alone))
        .then(pl.lit(PATH_SENTENCES["rules_alone"]))
        .when(pl.col("_alone") & pl.col("_l_trained"))
        .then(pl.lit(PATH_SENTENCES["model_alone"]))
        .when(pl.col("_l_rules") & (pl.col("trigger") == "rules_floor") & (pl.col("action") == "monitor"))
        .then(
            pl.when(pl.col("_l_established"))
            .then(pl.lit(PATH_SENTENCES["established_rules_alone"]))
            .otherwise(pl.lit(PATH_SENTENCES["rules_alone_model_disagrees"]))
        )
        # A trained model's band is corroborated by the band's lines, a cold-start band by the rules floor's.
        .when(acted & band & pl.col("_l_trained"))
        .then(corroborated(band_name, cor.band))
        .when(acted & band)
        .then(corroborated(band_name, cor.rules_floor))
        .when(acted & (pl.col("trigger") == "rules_floor"))
        .then(corroborated(rules_score, cor.rules_floor))
        .when(band)
        .then(pl.concat_str([band_name, pl.lit(": monitored only")]))
    )


def _reasons(policy: Policy, df: pl.DataFrame) -> pl.DataFrame:
    """The reason for the action's path first, then the evidence, in plain language."""
    path = _path_sentence(policy)
    rules_first = (pl.col("trigger") == "rules_floor") | ~pl.col("_l_trained")
    evidence = (
        pl.when(rules_first)
        .then(pl.concat_list("rule_reasons", "reasons"))
        .otherwise(pl.concat_list("reasons", "rule_reasons"))
    )
    corroborating = pl.concat_str(
        [pl.when(pl.col(f"_l_{n}")).then(pl.lit(n)) for n in LINES], separator="+", ignore_nulls=True
    )
    return df.with_columns(
        reasons=pl.concat_list(pl.concat_list(path), evidence)
        .list.drop_nulls()
        .list.unique(maintain_order=True)
        .list.head(MAX_REASONS),
        corroboration=corroborating,
    ).with_columns(reasons_text=pl.col("reasons").list.join("; "))


def _band_name(policy: Policy) -> pl.Expr:
    band_name = pl.lit(policy.below_bands)
    for b in reversed(policy.bands):
        band_name = pl.when(pl.col("score") >= b.min_score).then(pl.lit(b.name)).otherwise(band_name)
    return band_name


def _published_score(policy: Policy, df: pl.DataFrame) -> pl.DataFrame:
    """The score access control and analysts rank by: the model's, raised to the rules' score on a day the
    product acted on the account, not from the model's band, with the rules and a line they need agreeing. A
    model trained before a campaign had labels scores it near 0 while the corroborated rules act on it (11,320 of
    the 11,322 account-days raised in seventeen evaluated worlds were attackers', docs/evaluation.md). Where
    the model's band decided, its score stands, so the band named in the reasons is the row's. The model's own
    score stays in ``model_score``, which persistence reads."""
    acted = pl.col("action").is_not_null() & ~pl.col("action").is_in(["monitor", policy.corroboration.rules_alone])
    not_band = pl.col("trigger").fill_null("") != "band"
    corroborated_rules = pl.col("_l_trained") & pl.col("_l_rules") & _any(policy.corroboration.rules_floor)
    raise_ = acted & not_band & corroborated_rules & pl.lit(policy.published_score.raise_to_corroborated_rules)
    raised = pl.when(raise_).then(pl.max_horizontal("score", "rules_score")).otherwise("score")
    return (
        df.with_columns(model_score=pl.col("score"))
        .with_columns(score=raised)
        .with_columns(risk_band=_band_name(policy))
    )


def apply_policy(
    policy: Policy,
    day: date,
    run_id: str,
    # account_id, org_id, cluster_id, score, rules_score, reasons, rule_reasons, model_version, POLICY_INPUTS
    scored: pl.DataFrame,
    clusters: pl.DataFrame,  # cluster_id, n_accounts, score
    allowlist: pl.DataFrame,  # org_id (active)
    prior: pl.DataFrame | None = None,  # prior_evidence(): account_id, prior_max_score, prior_strong
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(account_scores, enforcement_actions) for the day."""
    df = _with_inputs(scored, clusters, prior)
    df = df.with_columns(
        risk_band=_band_name(policy), **{f"_l_{k}": v.fill_null(False) for k, v in _lines(policy).items()}
    )
    df = _reasons(policy, _protect(policy, _escalate_and_hold(policy, _decide(policy, df)), allowlist))
    df = _published_score(policy, df).with_columns(date=pl.lit(day), run_id=pl.lit(run_id))
    scores = df.select(SCORES_COLUMNS).sort("account_id")
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    days_for = policy.durations()
    actions = (
        df.filter(pl.col("action").is_not_null())
        .with_columns(
            effective_from=pl.lit(start),
            expires_at=pl.lit(start)
            + pl.duration(days=pl.col("action").replace_strict(days_for, return_dtype=pl.Int64)),
            policy_version=pl.lit(policy.version),
        )
        .select(ACTIONS_COLUMNS)
        .sort("account_id")
    )
    return scores, actions
