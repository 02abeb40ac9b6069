"""Evaluation worlds (variant "wide"): a legitimate look-alike for every campaign type, randomised per seed,
while the base world of the bundled sample stays exactly as it was."""

from datetime import date

import polars as pl

from simulator.world import LOOKALIKE_OF, POPULATIONS, build_world, populations

START = date(2026, 4, 6)


def test_base_variant_is_the_sample_world():
    assert populations("base", 7) is POPULATIONS
    assert build_world(START, 16, 7, 0.03).accounts.equals(build_world(START, 16, 7, 0.03, "base").accounts)


def test_every_campaign_type_has_a_legitimate_lookalike():
    attacks = {p.name for p in POPULATIONS if p.attack}
    assert set(LOOKALIKE_OF) == attacks
    world = build_world(START, 21, 11, 0.1, "wide")
    legit = set(world.accounts.filter(~pl.col("h_attack"))["h_population"])
    assert set(LOOKALIKE_OF.values()) <= legit


def test_enterprise_rollout_is_one_verified_org_in_two_waves_on_one_card_and_network():
    acc = build_world(START, 21, 11, 0.1, "wide").accounts.filter(pl.col("h_population") == "enterprise_rollout")
    assert acc.height >= 60
    assert (
        acc["org_id"].n_unique() == 1
        and acc["payment_fingerprint"].n_unique() == 1
        and acc["email_domain"].n_unique() == 1
    )
    assert acc["signup_asn"].n_unique() == 1 and acc["verified"].mean() > 0.6
    waves = sorted(acc["h_first"].unique())
    assert len(waves) == 2 and waves[1] - waves[0] == 7


def test_lookalikes_differ_from_one_seed_to_the_next():
    sizes = [
        build_world(START, 21, s, 0.1, "wide").accounts.group_by("h_population").len().sort("h_population")
        for s in (11, 23)
    ]
    assert not sizes[0].equals(sizes[1])
    rates = [
        build_world(START, 21, s, 0.1, "wide")
        .accounts.filter(pl.col("h_population") == "judge_pipeline")["h_rate"]
        .mean()
        for s in (11, 23)
    ]
    assert rates[0] != rates[1]
