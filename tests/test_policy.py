"""Each corroboration rule of the policy on tiny frames: no action above monitor on one signal alone."""

from datetime import date

import polars as pl
import pytest

from models.policy import LINES, prior_evidence
from models.reasons import LINE_WORDS
from models.spec import Policy, PublishedScore, load_policy
from tests.test_models import act

DAY = date(2026, 3, 5)


def prior(account_id, score=None, strong=None):
    return pl.DataFrame(
        {"account_id": [account_id], "prior_max_score": [score], "prior_strong": [strong]},
        schema={"account_id": pl.String, "prior_max_score": pl.Float64, "prior_strong": pl.Boolean},
    )


def test_model_band_alone_is_only_monitored():
    # The independent world's enterprise roll-out: fresh SSO accounts of one organisation, model 0.93, nothing else.
    _, a = act([{"account_id": "sso", "org_id": "corp", "score": 0.93, "acct_req_count_1d": 40.0}])
    assert a["sso"]["action"] == "monitor" and a["sso"]["trigger"] == "band"
    assert a["sso"]["reasons"][0].startswith("the model alone flags this account")
    assert a["sso"]["corroboration"] == "model"


@pytest.mark.parametrize(
    "line",
    [{"rules_score": 0.5}, {"acct_rubric_rate_1d": 0.4}, {"acct_enforced_link_count": 1, "acct_cross_org_links": 1}],
)
def test_model_band_acts_when_rules_content_or_coordination_agree(line):
    _, a = act([{"account_id": "x", "org_id": "o", "score": 0.6, "acct_req_count_1d": 40.0, **line}])
    assert a["x"]["action"] == "require_verification" and a["x"]["trigger"] == "band"


def test_the_first_reason_names_the_score_and_what_corroborated_it():
    row = {"account_id": "x", "org_id": "o", "score": 0.6, "acct_req_count_1d": 40.0}
    band = act([{**row, "rules_score": 0.5, "acct_rubric_rate_1d": 0.4}])[1]["x"]
    assert band["trigger"] == "band" and band["reasons"][0] == (
        "in the model's elevated band, corroborated by the extraction rules and extraction content in its own prompts"
    )
    floor = act([{**row, "score": 0.25, "acct_req_count_1d": 600.0, "rules_score": 0.55, "acct_cot_rate_1d": 0.5}])
    assert floor[1]["x"]["trigger"] == "rules_floor"
    assert floor[1]["x"]["reasons"][:2] == ["extraction rules score 0.55, corroborated by its volume", "rule reason"]
    watch = act([{**row, "score": 0.3, "acct_rubric_rate_1d": 0.4}])[1]["x"]
    assert watch["action"] == "monitor" and watch["reasons"][0] == "in the model's watch band: monitored only"


def test_every_line_of_evidence_has_words_for_the_path_sentence():
    assert set(LINE_WORDS) == set(LINES)


def test_a_template_pool_corroborates_the_model_but_never_the_rules():
    # Low and slow: aged accounts, no reasoning markers, the model at 0.8, the pool's template sent in the same
    # windows by 200 other organisations.
    row = {"account_id": "x", "org_id": "o", "score": 0.8, "acct_req_count_1d": 30.0, "acct_template_pool_orgs": 200}
    a = act([row])[1]["x"]
    assert a["action"] == "require_verification" and a["corroboration"] == "model+pool"
    assert act([{**row, "acct_template_pool_orgs": 3}])[1]["x"]["action"] == "monitor"
    # A template sent with extraction content by another organisation is the same weak line.
    shared = {**row, "acct_template_pool_orgs": 0, "acct_content_template_orgs": 1}
    assert act([shared])[1]["x"]["corroboration"] == "model+pool"
    # The rules with a pool and nothing else: a curious user sending a public template in step with a pool.
    rules = {**row, "score": 0.05, "rules_score": 0.55, "acct_cot_rate_1d": 0.5}
    assert act([rules])[1]["x"]["action"] == "monitor"


def test_the_models_own_earlier_score_does_not_corroborate_its_band():
    # The independent world's class: 88 fresh accounts of one new organisation, scored 0.9 two days running on
    # organisation features alone. The model twice is still one line of evidence.
    row = {"account_id": "x", "org_id": "o", "score": 0.9, "acct_req_count_1d": 40.0}
    a = act([row], prior=prior("x", score=0.9))[1]["x"]
    assert a["action"] == "monitor" and a["corroboration"] == "model+persistence"
    # With a second line the earlier day still counts where it is meant to: the first strong action.
    strong = {**row, "score": 0.97, "acct_cot_rate_1d": 0.9}
    assert act([strong], prior=prior("x", score=0.9))[1]["x"]["action"] == "suspend"
    assert act([strong])[1]["x"]["action"] == "require_verification"


def test_rules_alone_go_to_human_review():
    # Reasoning-curious user: the rules fire on its own prompts, nothing else agrees, the model is unsure.
    curious = {
        "account_id": "curious",
        "org_id": "o",
        "score": 0.25,
        "rules_score": 0.55,
        "acct_cot_rate_1d": 0.5,
        "acct_req_count_1d": 21.0,
    }
    a = act([curious])[1]["curious"]
    assert a["action"] == "human_review" and a["trigger"] == "rules_floor"
    assert a["reasons"][0].startswith("extraction rules fired but nothing else agrees")
    assert a["reasons"][1] == "rule reason"
    # Where the trained model has looked and scores it low, analysts are not asked: monitored, reasons on record.
    low = act([{**curious, "score": 0.01}])[1]["curious"]
    assert low["action"] == "monitor" and low["reasons"][0].startswith(
        "extraction rules fired but the trained model scores"
    )


@pytest.mark.parametrize(
    "line",
    [
        {"acct_req_count_1d": 60.0, "score": 0.25},
        {"acct_enforced_link_count": 3, "acct_cross_org_links": 2},
        {"score": 0.4},
        {"cluster_id": "hot", "cluster_n_orgs": 5, "acct_cross_org_links": 2},
        # A pool of aged accounts woken at once shares no payment or network: its wake-up day links it.
        {"cluster_id": "hot", "cluster_n_orgs": 5, "acct_woke_with_orgs": 150},
    ],
)
def test_rules_floor_acts_with_model_coordination_or_volume(line):
    _, a = act(
        [
            {
                "account_id": "x",
                "org_id": "o",
                "score": 0.01,
                "rules_score": 0.55,
                "acct_cot_rate_1d": 0.5,
                "acct_req_count_1d": 21.0,
                **line,
            }
        ]
    )
    assert a["x"]["action"] in ("rate_limit", "require_verification")
    assert a["x"]["trigger"] in ("rules_floor", "band", "cluster_escalation")


def test_a_pools_structure_and_own_content_corroborate_the_rules_whatever_the_clusters_score():
    # Simulator world 23: an aged pool woken on one day (178 organisations), its rules at 0.62; the day's retrained
    # model had not learned low and slow yet and scored every member 0.001, so the cluster's score (theirs) was low.
    woken = {
        "account_id": "x",
        "org_id": "o",
        "score": 0.001,
        "rules_score": 0.62,
        "acct_cot_rate_1d": 0.6,
        "acct_req_count_1d": 25.0,
        "cluster_id": "cold",
        "cluster_n_orgs": 178,
        "acct_woke_with_orgs": 177,
    }
    a = act([woken])[1]["x"]
    assert a["action"] == "rate_limit" and a["trigger"] == "rules_floor" and "coordination" in a["corroboration"]
    # The structure with the account's own extraction content, not the score (the low-scored cluster is not
    # escalated: trigger above). The structure alone is the observation the rules already count (their wake-up and
    # cluster rules); without a cross-organisation link of its own, or in one organisation, nothing corroborates.
    assert act([{**woken, "acct_cot_rate_1d": 0.0}])[1]["x"]["action"] == "monitor"
    assert act([{**woken, "acct_woke_with_orgs": 0}])[1]["x"]["action"] == "monitor"
    assert act([{**woken, "cluster_n_orgs": 1}])[1]["x"]["action"] == "monitor"


def test_volume_corroborates_nothing_where_the_trained_model_disagrees():
    # The independent world's busy researcher: 62 requests asking for the steps; the model has looked: 0.01.
    row = {"account_id": "busy", "org_id": "lab", "rules_score": 0.55, "acct_cot_rate_1d": 0.45}
    looked = act([{**row, "score": 0.01, "acct_req_count_1d": 62.0}])[1]["busy"]
    assert looked["action"] == "monitor" and "volume" not in looked["corroboration"]
    # Where the model is undecided (not below rules_alone_model_below), volume still corroborates the rules.
    undecided = act([{**row, "score": 0.25, "acct_req_count_1d": 62.0}])[1]["busy"]
    assert undecided["action"] == "rate_limit" and "volume" in undecided["corroboration"]


def test_cold_start_band_is_the_rules_and_needs_what_they_need():
    cold = {
        "account_id": "x",
        "org_id": "o",
        "score": 0.55,
        "rules_score": 0.55,
        "model_version": "rules-v1",
        "acct_cot_rate_1d": 0.5,
    }
    assert act([{**cold, "acct_req_count_1d": 20.0}])[1]["x"]["action"] == "human_review"
    assert act([{**cold, "acct_req_count_1d": 300.0}])[1]["x"]["action"] == "require_verification"
    assert act([{**cold, "acct_req_count_1d": 20.0, "score": 0.4}])[1]["x"]["corroboration"] == "rules+content"


def test_first_strong_action_needs_persistence_or_model_and_rules_at_volume():
    strong = {
        "account_id": "x",
        "org_id": "o",
        "score": 0.97,
        "acct_cot_rate_1d": 0.8,
        "acct_enforced_link_count": 1,
        "acct_cross_org_links": 1,
    }
    held = act([strong])[1]["x"]
    assert held["action"] == "require_verification" and held["trigger"] == "persistence"
    assert held["reasons"][0].startswith("first strong action held at verification")
    assert act([strong], prior=prior("x", score=0.9))[1]["x"]["action"] == "suspend"
    assert act([strong], prior=prior("x", strong=True))[1]["x"]["action"] == "suspend", "not a first strong action"
    assert act([{**strong, "rules_score": 0.6}])[1]["x"]["action"] == "suspend", "model and rules agree at volume"
    low = act([{**strong, "rules_score": 0.6, "acct_req_count_1d": 15.0}])[1]["x"]
    assert low["action"] == "require_verification", "model and rules at 15 requests a day are no extraction volume"


def test_sample_reasoning_curious_user_is_not_suspended():
    # The bundled sample's free-tier reasoning-curious account (2026-03-14, before this policy): model 0.987
    # after joining a pool's cluster through a shared template, rules 0.65, a few dozen requests, first time high.
    row = {
        "account_id": "curious",
        "org_id": "o",
        "score": 0.987,
        "rules_score": 0.65,
        "acct_cot_rate_1d": 0.45,
        "acct_req_count_1d": 24.0,
        "acct_enforced_link_count": 1,
        "acct_cross_org_links": 1,
        "acct_age_days": 300.0,
    }
    # Its first day high: the band waits for a second day (an account with a history); the rules with the link to
    # an enforced pool still act, at the floor.
    a = act([row])[1]["curious"]
    assert a["action"] == "rate_limit" and a["trigger"] == "rules_floor"


def test_a_model_band_on_an_account_with_history_waits_for_a_second_day():
    # Evaluation world 47, a newly retrained model's one day: privacy-relay users (aged, own card) asking for
    # reasoning in their own words, scored 0.6 with that content; the next day's model scored them low again.
    relay = {
        "account_id": "relay",
        "org_id": "o",
        "score": 0.6,
        "acct_cot_rate_1d": 0.5,
        "acct_req_count_1d": 30.0,
        "acct_age_days": 400.0,
    }
    a = act([relay])[1]["relay"]
    assert a["action"] == "monitor" and a["trigger"] == "persistence"
    assert a["reasons"][0].startswith("the model flags an account with a history for the first time")
    assert act([relay], prior=prior("relay", score=0.5))[1]["relay"]["action"] == "require_verification"
    # A fresh account is acted on at once; so is an aged one before any model exists (the rules' own floor).
    assert act([{**relay, "acct_age_days": 3.0}])[1]["relay"]["action"] == "require_verification"


ESTABLISHED = {"org_verified_share": 1.0, "org_corporate_domain": 1, "org_age_days": 400.0, "acct_payment_orgs": 1}


def test_established_org_at_volume_needs_model_or_coordination():
    # An evaluation harness benchmarking a new model with reasoning on: the rules fire, the model says 0.1.
    harness = {
        "account_id": "h",
        "org_id": "lab",
        "score": 0.1,
        "rules_score": 0.5,
        "acct_req_count_1d": 3000.0,
        **ESTABLISHED,
    }
    a = act([harness])[1]["h"]
    assert a["action"] == "monitor" and a["trigger"] == "rules_floor"
    assert a["reasons"][0].startswith("established verified organisation")
    agreed = {**harness, "score": 0.6, "acct_cot_rate_1d": 0.5}
    # With the model agreeing: verification where the harness's template runs in step with other organisations,
    # monitored for the account team where nothing links it outside its own organisation.
    assert act([{**agreed, "acct_template_pool_orgs": 5}])[1]["h"]["action"] == "require_verification"
    assert act([agreed])[1]["h"]["protection"] == "self_contained_org"
    for broken in (
        {"org_corporate_domain": 0},
        {"acct_payment_orgs": 3},
        {"org_age_days": 5.0},
        {"org_verified_share": 0.2},
    ):
        # Not established, and the model undecided: the volume corroborates the rules.
        assert act([{**harness, **broken, "score": 0.25}])[1]["h"]["action"] == "rate_limit", broken


def test_established_org_is_never_past_verification_automatically():
    # A judge pipeline the model scores 1.0 on rubric grading, with rules, content and a second day, sending a
    # public rubric template in the same windows as 52 other organisations: human review.
    judge = {
        "account_id": "j",
        "org_id": "evals",
        "score": 1.0,
        "rules_score": 0.9,
        "acct_rubric_rate_1d": 1.0,
        "acct_template_pool_orgs": 52,
        **ESTABLISHED,
    }
    a = act([judge], prior=prior("j", score=1.0))[1]["j"]
    assert a["action"] == "human_review" and a["protection"] == "established_org" and a["trigger"] == "protection"
    assert a["reasons"][0].startswith("established verified organisation")


# What ties an account to another organisation: the pool's template sent alongside 15 other organisations, a
# template sent with extraction content by two others (a campaign mixed into resellers' traffic), a shared payment
# instrument, network, domain or client, or a link to an enforced account.
OUTSIDE_LINKS = (
    {"acct_template_pool_orgs": 15},
    {"acct_content_template_orgs": 2},
    {"acct_cross_org_links": 1},
    {"acct_enforced_link_count": 1},
    {"acct_enforced_link_count": 1, "acct_cross_org_links": 1},
)


def assert_lifted(row: dict, protection: str, cases) -> None:
    """Each of ``cases`` added to ``row`` takes ``protection`` (and its monitor-only cap) away."""
    account = row["account_id"]
    for case in cases:
        a = act([{**row, **case}], prior=prior(account, score=row["score"]))[1][account]
        assert a["action"] != "monitor" and a["protection"] != protection, case


def test_self_contained_established_org_is_monitored_and_any_outside_link_lifts_it():
    # A red-team vendor under contract: the model scores its probing 1.0 on a second day, rules and content agree,
    # and nothing links its accounts to another organisation.
    redteam = {
        "account_id": "rt",
        "org_id": "vendor",
        "score": 1.0,
        "rules_score": 0.7,
        "acct_probe_rate_1d": 0.35,
        "acct_template_pool_orgs": 0,
        **ESTABLISHED,
    }
    a = act([redteam], prior=prior("rt", score=1.0))[1]["rt"]
    assert a["action"] == "monitor" and a["protection"] == "self_contained_org" and a["trigger"] == "protection"
    assert a["reasons"][0].startswith("established verified organisation whose traffic touches no other")
    # A reseller mixing a campaign into its customers' traffic sends the campaign's templates with other fronts;
    # a shared payment instrument or a link to an enforced account lifts the protection just the same.
    assert_lifted(redteam, "self_contained_org", OUTSIDE_LINKS)
    # Not established (a new organisation): no such protection.
    young = act([{**redteam, "org_age_days": 5.0}], prior=prior("rt", score=1.0))[1]["rt"]
    assert young["protection"] != "self_contained_org"


def test_a_young_organisations_cohort_is_monitored_and_any_outside_link_lifts_it():
    # A class on its hackathon day: 76 fresh unverified accounts of one new organisation, an early model scoring
    # all of them 0.75 on organisation features, a few asking for the steps of their homework.
    student = {
        "account_id": "s",
        "org_id": "campus",
        "score": 0.75,
        "acct_cot_rate_1d": 0.4,
        "acct_req_count_1d": 7.0,
        "acct_age_days": 3.0,
        "org_age_days": 3.0,
        "org_accounts_total": 76,
        "acct_template_pool_orgs": 0,
    }
    a = act([student], prior=prior("s", score=0.75))[1]["s"]
    assert a["action"] == "monitor" and a["protection"] == "single_org_cohort" and a["trigger"] == "protection"
    assert a["reasons"][0].startswith("one of many accounts of a new organisation, sharing nothing with any other")
    # A pool shares something with other organisations, or a template many of them send: not one customer. Nor is
    # a small organisation, or one past its first month.
    assert_lifted(student, "single_org_cohort", (*OUTSIDE_LINKS, {"org_accounts_total": 3}, {"org_age_days": 400.0}))


def test_prior_evidence_is_point_in_time():
    policy = load_policy()
    scores = pl.DataFrame(
        {
            "date": [date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 5)],
            "account_id": ["a", "b", "c"],
            "score": [0.99, 0.8, 0.99],
        }
    )
    actions = pl.DataFrame(
        {"date": [date(2026, 2, 20), date(2026, 3, 5)], "account_id": ["a", "c"], "action": ["suspend", "suspend"]}
    )
    got = {r["account_id"]: r for r in prior_evidence(policy, DAY, scores, actions).iter_rows(named=True)}
    assert got["b"]["prior_max_score"] == 0.8
    assert "c" not in got, "the day itself and later days are never read"
    assert got["a"]["prior_max_score"] is None and got["a"]["prior_strong"], "3 days back is outside the 2-day lookback"
    assert prior_evidence(policy, DAY, None, None).is_empty()


def test_a_score_under_the_corroborated_rules_that_acted_is_published_at_the_rules_score():
    # A model trained before low and slow had labels scores its accounts near 0; the rules fire on their own
    # prompts and their volume agrees, so the rules floor rate-limits them. Ranked by the published score, they
    # sit where the evidence acted on puts them; the model's own score is kept beside it.
    row = {"account_id": "x", "org_id": "o", "score": 0.001, "rules_score": 0.62, "acct_cot_rate_1d": 0.6}
    scores, a = act([{**row, "acct_req_count_1d": 600.0}])
    assert a["x"]["action"] == "rate_limit" and a["x"]["trigger"] == "rules_floor"
    published = scores.row(0, named=True)
    assert (published["score"], published["model_score"], published["risk_band"]) == (0.62, 0.001, "elevated")
    assert (a["x"]["score"], a["x"]["model_score"]) == (0.62, 0.001)
    # Not where nothing agreed with the rules (human review, or monitor where the model disagrees) ...
    review, quiet = act([{**row, "score": 0.25, "acct_req_count_1d": 21.0}]), act([{**row, "acct_req_count_1d": 21.0}])
    assert review[1]["x"]["action"] == "human_review" and quiet[1]["x"]["action"] == "monitor"
    assert all(s["score"] == s["model_score"] for s in (review[0].row(0, named=True), quiet[0].row(0, named=True)))
    # ... nor where the model's band decided.
    band = act([{**row, "score": 0.4, "acct_req_count_1d": 600.0}])
    assert band[1]["x"]["trigger"] == "band" and band[0].row(0, named=True)["score"] == 0.4
    # Before a model exists the score is the rules' own.
    cold = act([{**row, "score": 0.62, "model_version": "rules-v1", "acct_req_count_1d": 600.0}])[0].row(0, named=True)
    assert cold["score"] == cold["model_score"] == 0.62
    # Declared in the policy: off, the published score is the model's everywhere.
    off = load_policy().model_copy(update={"published_score": PublishedScore(raise_to_corroborated_rules=False)})
    kept = act([{**row, "acct_req_count_1d": 600.0}], policy=off)[0].row(0, named=True)
    assert kept["score"] == kept["model_score"] == 0.001


def test_persistence_reads_the_models_own_score_not_the_raised_one():
    policy = load_policy()
    day_before = date(2026, 3, 4)
    scores = pl.DataFrame(
        {
            "date": [day_before, day_before],
            "account_id": ["raised", "old"],
            "score": [0.62, 0.8],
            "model_score": [0.001, None],
        }
    )
    got = {
        r["account_id"]: r["prior_max_score"] for r in prior_evidence(policy, DAY, scores, None).iter_rows(named=True)
    }
    assert got == {"raised": 0.001, "old": 0.8}, "a row published before model_score existed reads its score"


def test_reasons_text_and_no_raw_feature_names():
    scores, a = act(
        [
            {
                "account_id": "x",
                "org_id": "o",
                "score": 0.25,
                "rules_score": 0.55,
                "acct_cot_rate_1d": 0.5,
                "acct_req_count_1d": 21.0,
            }
        ]
    )
    assert a["x"]["reasons_text"] == "; ".join(a["x"]["reasons"])
    assert scores["reasons_text"][0] == "; ".join(scores["reasons"][0])


def test_a_line_cannot_corroborate_itself():
    bad = load_policy().model_dump()
    bad["corroboration"]["rules_floor"] = ["rules", "volume"]
    with pytest.raises(ValueError, match="corroborate itself"):
        Policy.model_validate(bad)
    bad = load_policy().model_dump()
    bad["corroboration"]["rules_alone"] = "suspend"
    with pytest.raises(ValueError, match="never lead to suspend"):
        Policy.model_validate(bad)
