"""Each legitimate look-alike's ceiling on a small evaluation world, through the same driver as
`distill-guard evaluate` (simulate a wide world, replay it through the asset graph, compare with the truth).

The figures that count come from the multi-seed evaluation at 5,000+ legitimate accounts a world
(docs/evaluation.md); this small world pins the behaviour so a change that acts on look-alikes again fails here
first. Ceilings are shares of each population's accounts with any action above monitor over the whole replay
(cold-start days included).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from pipelines.evaluation import evaluate
from simulator.world import LOOKALIKE_OF, WIDE_HARD_NEGATIVES

SEED, DAYS, SCALE = 5, 14, 0.2

# The bar is 2% per look-alike at evaluation size; a small world has tens of accounts per look-alike, so
# the ceiling here is "none". (Privacy-relay users, 3 of 24 here before rotating exits stopped counting for aged
# accounts and a model band on them waited for a second day; 0 since.)
CEILING = dict.fromkeys(WIDE_HARD_NEGATIVES, 0.0)


@pytest.fixture(scope="module", params=[True, False], ids=["release-calendar", "contract-only"])
def world(request, tmp_path_factory) -> dict:
    """The world with its release calendar, and without it as a log warehouse built to the contract alone (the
    traffic dates the release)."""
    out = tmp_path_factory.mktemp("persona-world")
    evaluate(out, SEED, DAYS, SCALE, date(2026, 4, 6), None, "wide", release_calendar=request.param)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["release_calendar"] is request.param
    return metrics


def test_no_legitimate_account_is_suspended(world):
    assert world["legit_suspended_accounts"] == 0
    assert world["allowlisted_suspended"] == 0


def test_every_lookalike_stays_under_its_ceiling(world):
    rates = world["persona_rates"]
    assert set(LOOKALIKE_OF.values()) <= set(rates), "the wide world lacks a look-alike population"
    over = {
        p: f"{r['non_monitor_rate']:.1%} of {r['accounts']}"
        for p, r in rates.items()
        if p in CEILING and r["non_monitor_rate"] > CEILING[p]
    }
    assert not over, f"look-alikes acted on above their ceiling: {over}"


def test_campaigns_are_still_acted_on(world):
    # Precision must not come from acting on nobody: every campaign but the camouflaged reseller (a documented
    # miss) has most of its accounts rate-limited or stronger.
    rows = {r["behaviour"]: r for r in world["campaign_rows"]}
    missed = {
        b: r["actioned_share"] for b, r in rows.items() if b != "camouflaged_reseller" and r["actioned_share"] < 0.5
    }
    assert not missed, f"campaigns with under half their accounts actioned: {missed}"
    assert world["enforcement_precision"] >= 0.97


def test_low_and_slow_is_acted_on_the_day_its_pool_wakes(world):
    # Thirty aged accounts silent until day 5, back together behind rotating exits: linked as one woken pool
    # (features/coordination.yaml, wake) and rate-limited from that day, not once the model has learned them.
    row = next(r for r in world["campaign_rows"] if r["behaviour"] == "low_and_slow")
    assert row["actioned_share"] >= 0.5 and row["days_to_first_action"] == 0


def test_published_reasons_read_plainly(world):
    # Every reason the replay published, counted against the patterns each sentence is built to avoid.
    assert world["reason_sentences"] > 1000
    assert world["reason_sentences_unreadable"] == 0
