"""Training point-in-time, determinism, reasons, policy mapping and the cold-start scorer."""

import re
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
import yaml

from models import training
from models.policy import CONTENT_MARKERS, apply_policy
from models.reasons import CATALOG, UNREADABLE, sentence, unreadable
from models.scoring import COLD_START_VERSION, score_rules
from models.spec import ModelSpec, Policy, load_policy, load_spec

AS_OF = date(2026, 3, 10)
UTC = UTC


def test_spec_and_policy_files_validate():
    spec, policy = load_spec(), load_policy()
    assert spec.lightgbm["objective"] == "binary"
    assert policy.protections.allowlisted_org_instead_of_suspend == "human_review"
    bad = policy.model_dump()
    bad["protections"]["allowlisted_org_instead_of_suspend"] = "suspend"
    with pytest.raises(ValueError, match="allowlisted"):
        Policy.model_validate(bad)
    with pytest.raises(ValueError, match="monotone_decreasing"):
        ModelSpec.model_validate({**spec.model_dump(), "monotone_decreasing": ["org_acounts_total"]})


def test_label_confirmed_on_or_after_the_as_of_day_is_never_used():
    labels = pl.DataFrame(
        {
            "account_id": ["early", "late", "midnight", "flip"],
            "label": [1, 1, 1, 1],
            "campaign_id": ["c"] * 4,
            "source": ["incident_review"] * 4,
            "confirmed_at": [
                datetime(2026, 3, 9, 23, 59, tzinfo=UTC),
                datetime(2026, 3, 11, tzinfo=UTC),
                datetime(2026, 3, 10, tzinfo=UTC),
                datetime(2026, 3, 1, tzinfo=UTC),
            ],
        },
        schema_overrides={"label": pl.Int8},
    )
    appeal = pl.DataFrame(
        {
            "account_id": ["flip", "flip"],
            "label": [0, 1],
            "campaign_id": [None, "c"],
            "source": ["appeal", "x"],
            "confirmed_at": [datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 12, tzinfo=UTC)],
        },
        schema_overrides={"label": pl.Int8},
    )
    usable = training.usable_labels(pl.concat([labels, appeal]), AS_OF)
    got = dict(usable.select("account_id", "label").iter_rows())
    assert got == {"early": 1, "flip": 0}, "latest label before the cutoff wins; later ones are invisible"


def feature_rows(n_days=8, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(n_days):
        day = AS_OF - timedelta(days=n_days - d)
        for a in range(40):
            attack = a < 8
            rows.append(
                {
                    "date": day,
                    "account_id": f"a{a:02d}",
                    "org_id": f"o{a}",
                    "cluster_id": "c1" if a < 12 else None,
                    "acct_cot_rate_1d": float(rng.uniform(0.4, 0.9) if attack else rng.uniform(0, 0.2)),
                    "acct_req_count_1d": float(rng.integers(50, 400) if attack else rng.integers(1, 300)),
                    "acct_age_days": float(rng.uniform(1, 10) if attack else rng.uniform(5, 900)),
                }
            )
    rows.append({**rows[0], "date": AS_OF, "acct_cot_rate_1d": 0.99})  # on the as-of day: must not be used
    return pl.DataFrame(rows)


def test_training_set_is_point_in_time_and_handles_unlabeled():
    spec = load_spec()
    labels = pl.DataFrame(
        {
            "account_id": ["a00", "a01", "a02", "a30"],
            "label": [1, 1, 1, 0],
            "campaign_id": ["c", "c", "c", None],
            "confirmed_at": [datetime(2026, 3, 5, tzinfo=UTC)] * 3 + [datetime(2026, 3, 20, tzinfo=UTC)],
            "source": ["r"] * 4,
        },
        schema_overrides={"label": pl.Int8},
    )
    data = training.build_training_set(feature_rows(), labels, AS_OF, spec)
    assert data["date"].max() < AS_OF
    assert set(data.filter(pl.col("label") == 1)["account_id"]) == {"a00", "a01", "a02"}
    assert not data.filter(pl.col("account_id") == "a30")["labeled"].any(), (
        "a label confirmed after the as-of date is unknown"
    )
    # Unlabeled members of the cluster holding confirmed attackers are left out, other unlabeled rows weigh less.
    assert data.filter(pl.col("account_id").is_in(["a05", "a10"])).is_empty()
    assert set(data.filter(~pl.col("labeled"))["weight"]) == {spec.unlabeled_weight}


def two_campaign_labels() -> pl.DataFrame:
    """Six attackers of two campaigns and two reviewed customers among ``feature_rows``' accounts."""
    return pl.DataFrame(
        {
            "account_id": [f"a{i:02d}" for i in range(6)] + ["a20", "a21"],
            "label": [1] * 6 + [0, 0],
            "campaign_id": ["c1", "c1", "c1", "c2", "c2", "c2", None, None],
            "confirmed_at": [datetime(2026, 3, 2, tzinfo=UTC)] * 8,
            "source": ["r"] * 8,
        },
        schema_overrides={"label": pl.Int8},
    )


def test_retraining_gives_the_same_model_bytes():
    spec = load_spec().model_copy(update={"min_positive_accounts": 5})
    feats = feature_rows()
    labels = two_campaign_labels()
    m1 = training.train(feats, labels, AS_OF, spec)
    m2 = training.train(feats, labels, AS_OF, spec)
    assert m1.booster.model_to_string() == m2.booster.model_to_string()
    assert m1.version == m2.version and m1.calibration == m2.calibration
    p = m1.predict(feats)
    assert ((p >= 0) & (p <= 1)).all()
    with pytest.raises(training.NotEnoughLabels, match="campaign"):
        training.train(feats, labels.head(3), AS_OF, spec)


def test_organisation_size_may_only_lower_the_score():
    # Every attacker of the training days sits in an organisation with three new accounts, every customer alone:
    # unconstrained, the model reads "more new accounts in the organisation" as extraction.
    feats = feature_rows().with_columns(
        org_new_accounts_7d=pl.when(pl.col("account_id") < "a08").then(3.0).otherwise(1.0),
        acct_cot_rate_1d=pl.lit(0.1),
    )
    labels = pl.DataFrame(
        {
            "account_id": [f"a{i:02d}" for i in range(8)],
            "label": [1] * 8,
            "campaign_id": ["c1"] * 4 + ["c2"] * 4,
            "confirmed_at": [datetime(2026, 3, 2, tzinfo=UTC)] * 8,
            "source": ["r"] * 8,
        },
        schema_overrides={"label": pl.Int8},
    )
    cohort = feats.filter(pl.col("account_id") == "a30").head(1)
    sizes = pl.concat([cohort.with_columns(org_new_accounts_7d=pl.lit(float(n))) for n in (1, 3, 88)])
    spec = load_spec().model_copy(update={"min_positive_accounts": 5})
    assert "org_new_accounts_7d" in spec.monotone_decreasing
    raw = training.train(feats, labels, AS_OF, spec).predict_raw(sizes)
    assert raw[2] <= raw[1] <= raw[0] + 1e-12
    free = training.train(feats, labels, AS_OF, spec.model_copy(update={"monotone_decreasing": []}))
    assert free.predict_raw(sizes)[2] > free.predict_raw(sizes)[0], "the constraint is what keeps the cohort low"


def test_isotonic_calibration_is_monotone():
    raw = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    cal = training.fit_isotonic(raw, np.array([0, 1, 0, 0, 1, 1]), np.ones(6))
    out = training.apply_calibration(cal, np.linspace(0, 1, 50))
    assert (np.diff(out) >= -1e-12).all() and out.min() >= 0 and out.max() <= 1
    # With the tie-break the model's order survives inside a step, and no score moves by more than it.
    broken = training.apply_calibration({**cal, "tie_break": 0.01}, np.linspace(0, 1, 50))
    assert (np.diff(broken[broken < 1]) > 0).all() and (np.abs(broken - out) <= 0.01 + 1e-12).all()


def test_reason_sentences_carry_the_numbers():
    row = {
        "acct_top_template_share_1d": 0.93,
        "acct_req_count_1d": 18000,
        "cluster_payment_max_shared": 412,
        "acct_thinking_share_1d": 0.97,
    }
    assert sentence("acct_top_template_share_1d", row) == "93% of 18,000 prompts follow one template"
    assert sentence("cluster_payment_max_shared", row) == "412 accounts share this payment instrument"
    assert sentence("acct_thinking_share_1d", row) == "reasoning requested on 97% of requests"
    assert sentence("acct_age_days", {"acct_age_days": 1.2}) == "account is 1 day old"
    assert sentence("acct_age_days", {"acct_age_days": 3.0}) == "account is 3 days old"
    assert (
        sentence("unknown_feature", {"unknown_feature": 0.5})
        == "an unusual value (0.5) of a signal without a description"
    )


def test_every_reason_reads_as_plain_language():
    """Every catalogued signal, at values from none to many, in a cluster or not: no column names, no ``-0.0`` or
    ``nan``, no "0 accounts" or "1 days", and nothing said about a cluster the account is not in."""
    catalog = yaml.safe_load(CATALOG.read_text())
    features = [name for section, cols in catalog.items() if section != "identifiers" for name in cols]
    for value in (0.0, 0.4, 0.5, 1.0, 1.6, 2.0, 4.55, 37.4, 12_000.3):
        for in_cluster in (0, 1):
            row = dict.fromkeys(features, value) | {"acct_in_cluster": in_cluster}
            row |= {"acct_req_count_1d": max(value, 1.0), "acct_req_count_7d": max(value, 1.0)}  # an active account
            for name in features:
                text = sentence(name, row)
                bad = [kind for kind, pattern in UNREADABLE.items() if re.search(pattern, text)]
                assert not bad, (name, value, text, bad)
                if name.startswith("cluster_") and not in_cluster:
                    assert text == "not part of any coordinated cluster", (name, text)
    # The Polars form each evaluated world counts published reasons with reads the same patterns.
    samples = pl.Series(
        ["mean max_tokens of 5", "activity (-0.0 bits)", "shared by 0 accounts", "1 days old", "3 days old"]
    )
    assert samples.to_frame("r").select(unreadable(pl.col("r")))["r"].to_list() == [True, True, True, True, False]
    assert sentence("acct_hour_entropy_1d", {"acct_hour_entropy_1d": -0.0}) == "all of the day's requests in one hour"
    assert sentence("acct_hour_entropy_1d", {"acct_hour_entropy_1d": 4.5}) == (
        "requests spread evenly around the clock (as over 23 of the day's 24 hours)"
    )
    assert sentence("acct_template_entropy_1d", {"acct_template_entropy_1d": 2.0}) == (
        "prompts as varied as 4 equally used templates"
    )
    assert sentence("acct_interarrival_cv_1d", {"acct_interarrival_cv_1d": 0.1, "acct_req_count_1d": 500}) == (
        "requests at near-regular intervals (gaps vary by 10% of their mean)"
    )
    assert sentence("acct_max_tokens_mean_1d", {"acct_max_tokens_mean_1d": 11_851.2}) == (
        "asks for up to 11,851 output tokens per request on average"
    )


def cold_rows(**over):
    base = {
        c: 0.0
        for c in [
            "acct_cot_rate_1d",
            "acct_rubric_rate_1d",
            "acct_probe_rate_1d",
            "acct_lang_coercion_rate_1d",
            "acct_rewrite_rate_1d",
            "acct_thinking_share_1d",
            "acct_near_max_share_1d",
            "acct_top_template_share_1d",
            "cluster_n_orgs",
            "cluster_fresh_share",
            "cluster_payment_max_shared",
            "acct_enforced_link_count",
            "acct_distinct_asns_1d",
            "acct_verified",
            "acct_payment_present",
            "cluster_n_accounts",
            "acct_4xx_share_1d",
        ]
    }
    base.update({"account_id": "x", "acct_req_count_1d": 10.0, "acct_age_days": 400.0})
    base.update(over)
    return pl.DataFrame([base])


def test_cold_start_rules_score_and_explain():
    quiet = score_rules(cold_rows())
    assert (
        quiet["score"][0] == 0
        and quiet["reasons"][0].to_list() == []
        and quiet["model_version"][0] == COLD_START_VERSION
    )
    cot = score_rules(cold_rows(acct_cot_rate_1d=0.8, acct_req_count_1d=300.0, acct_age_days=3.0))
    assert cot["score"][0] == pytest.approx(1 - (1 - 0.55) * (1 - 0.25))
    assert cot["reasons"][0][0] == "80% of prompts ask the model to spell out its reasoning"
    low_volume = score_rules(cold_rows(acct_cot_rate_1d=0.8, acct_req_count_1d=8.0))
    assert low_volume["score"][0] == 0, "a curious user asking a few reasoning questions trips nothing"


def policy_frame(rows):
    # A trained model's row with extraction volume; each test says what it changes.
    base = {
        "cluster_id": None,
        "reasons": ["model reason"],
        "rule_reasons": ["rule reason"],
        "model_version": "lgbm-x",
        "rules_score": 0.0,
        "acct_age_days": 3.0,
        "acct_verified": 0,
        "acct_payment_present": 0,
        "acct_req_count_1d": 200.0,
        "acct_enforced_link_count": 0,
        "acct_cross_org_links": 0,
        "cluster_n_orgs": 0,
        "org_verified_share": 0.0,
        "org_corporate_domain": 0,
        "org_age_days": 3.0,
        "acct_payment_orgs": 0,
        **{c: 0.0 for c in CONTENT_MARKERS},
    }
    frame = pl.DataFrame(
        [{**base, **r} for r in rows],
        schema_overrides={"reasons": pl.List(pl.String), "rule_reasons": pl.List(pl.String), "cluster_id": pl.String},
    )
    return frame.with_columns(
        pl.col("acct_cot_rate_1d").cast(pl.Float64),
        pl.col("score").cast(pl.Float64),
        pl.col("rules_score").cast(pl.Float64),
    )


CLUSTERS = pl.DataFrame({"cluster_id": ["hot", "cold"], "n_accounts": [40, 40], "score": [0.95, 0.1]})


def act(rows, allow=(), prior=None, policy=None):
    scores, actions = apply_policy(
        policy or load_policy(),
        date(2026, 3, 5),
        "run1",
        policy_frame(rows),
        CLUSTERS,
        pl.DataFrame({"org_id": list(allow)}, schema={"org_id": pl.String}),
        prior,
    )
    return scores, {r["account_id"]: r for r in actions.iter_rows(named=True)}


def test_policy_bands_and_durations():
    # Corroborated everywhere: extraction content, and rules agreeing at volume for the first strong actions.
    scores, a = act(
        [
            {"account_id": "s", "org_id": "o1", "score": 0.97, "acct_cot_rate_1d": 0.9, "rules_score": 0.6},
            {"account_id": "d", "org_id": "o2", "score": 0.8, "acct_cot_rate_1d": 0.9, "rules_score": 0.6},
            {"account_id": "v", "org_id": "o3", "score": 0.6, "acct_cot_rate_1d": 0.3},
            {"account_id": "r", "org_id": "o4", "score": 0.4, "acct_cot_rate_1d": 0.3},
            {"account_id": "m", "org_id": "o5", "score": 0.25},
            {"account_id": "n", "org_id": "o6", "score": 0.05},
        ]
    )
    assert {k: v["action"] for k, v in a.items()} == {
        "s": "suspend",
        "d": "degrade_reasoning",
        "v": "require_verification",
        "r": "rate_limit",
        "m": "monitor",
    }
    assert dict(scores.select("account_id", "risk_band").iter_rows())["n"] == "low"
    assert a["s"]["effective_from"] == datetime(2026, 3, 6, tzinfo=UTC)
    assert a["s"]["expires_at"] - a["s"]["effective_from"] == timedelta(days=30)


def test_allowlisted_org_goes_to_human_review_never_suspend():
    _, a = act(
        [{"account_id": "x", "org_id": "partner", "score": 0.99, "acct_cot_rate_1d": 0.9, "rules_score": 0.6}],
        allow=["partner"],
    )
    assert (
        a["x"]["action"] == "human_review"
        and a["x"]["protection"] == "allowlisted_org"
        and a["x"]["trigger"] == "protection"
    )
    assert a["x"]["reasons"][0].startswith("organisation is on the allowlist")


def test_tenured_verified_customer_is_capped_and_reviewed():
    _, a = act(
        [
            {
                "account_id": "t",
                "org_id": "o",
                "score": 0.99,
                "acct_cot_rate_1d": 0.9,
                "rules_score": 0.6,
                "acct_age_days": 900.0,
                "acct_verified": 1,
                "acct_payment_present": 1,
            }
        ],
        # a second day high: the first day's band waits (policy settled_account_band)
        prior=pl.DataFrame(
            {"account_id": ["t"], "prior_max_score": [0.99], "prior_strong": [None]},
            schema_overrides={"prior_strong": pl.Boolean},
        ),
    )
    assert a["t"]["action"] == "human_review" and a["t"]["protection"] == "tenured_customer"


def test_no_suspend_without_extraction_content():
    # Coordination across organisations corroborates the band; without content it still stops at verification.
    prior = pl.DataFrame(
        {"account_id": ["c"], "prior_max_score": [0.99], "prior_strong": [None]},
        schema_overrides={"prior_strong": pl.Boolean},
    )
    _, a = act(
        [
            {
                "account_id": "c",
                "org_id": "campus",
                "score": 0.99,
                "acct_enforced_link_count": 2,
                "acct_cross_org_links": 1,
            }
        ],
        prior=prior,
    )
    assert a["c"]["action"] == "require_verification" and a["c"]["protection"] == "no_content_evidence"


def test_cluster_evidence_escalates_members():
    linked = {"cluster_n_orgs": 12, "acct_cross_org_links": 4}
    _, a = act(
        [
            {"account_id": "fresh", "org_id": "o", "score": 0.1, "cluster_id": "hot", **linked},
            {"account_id": "calm", "org_id": "o2", "score": 0.1, "cluster_id": "cold", **linked},
            {
                "account_id": "one_org",
                "org_id": "o3",
                "score": 0.1,
                "cluster_id": "hot",
                "cluster_n_orgs": 1,
                "acct_cross_org_links": 4,
            },
            {"account_id": "template_only", "org_id": "o4", "score": 0.1, "cluster_id": "hot", "cluster_n_orgs": 12},
        ]
    )
    assert a["fresh"]["action"] == "rate_limit" and "calm" not in a
    assert a["fresh"]["trigger"] == "cluster_escalation"
    assert a["fresh"]["reasons"][0] == "member of coordinated cluster hot (40 accounts, cluster score 0.95)"
    assert "one_org" not in a, "many accounts of one organisation are one customer, not coordination"
    assert "template_only" not in a, "a prompt template shared with a pool, and nothing else, links unrelated customers"


def test_rules_floor_catches_behaviours_the_model_has_not_learned():
    _, a = act(
        [
            # A harvest at hundreds a day that no reviewed label has shown the model yet.
            {
                "account_id": "new_kind",
                "org_id": "o",
                "score": 0.02,
                "rules_score": 0.55,
                "acct_cot_rate_1d": 0.9,
                "acct_req_count_1d": 300.0,
            },
            {"account_id": "quiet", "org_id": "o2", "score": 0.02, "rules_score": 0.25},
        ]
    )
    assert a["new_kind"]["action"] == "rate_limit" and "quiet" not in a
    assert a["new_kind"]["trigger"] == "rules_floor"
    assert a["new_kind"]["reasons"][:2] == ["extraction rules score 0.55, corroborated by its volume", "rule reason"]
