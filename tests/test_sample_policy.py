"""The policy on the replayed bundled sample: paths named, reasons in plain language, no legitimate suspension."""

import re
from datetime import date

import polars as pl

RAW_NAME = re.compile(r"\b(acct|cluster|org)_[a-z0-9_]+\b|_1d\b|_7d\b| = ")


def test_every_action_names_its_path(published_sample):
    actions = published_sample["enforcement_actions"]
    assert actions["trigger"].null_count() == 0
    assert set(actions["trigger"]) <= {"band", "rules_floor", "cluster_escalation", "protection", "persistence"}


def test_reasons_are_plain_language(published_sample):
    scores = published_sample["account_scores"]
    raw = [
        r
        for rs in scores["reasons"].to_list()
        for r in rs
        if RAW_NAME.search(r) and not r.startswith("member of coordinated cluster")
    ]
    assert raw == [], f"raw feature names in reasons: {raw[:5]}"
    assert not any(
        re.search(r"\b1 (days|accounts|requests|organisations|networks)\b", r)
        for rs in scores["reasons"].to_list()
        for r in rs
    )
    assert (scores["reasons_text"] == scores["reasons"].list.join("; ")).all()


def test_no_legitimate_account_suspended_on_the_sample(published_sample):
    # Before the corroboration policy, a free-tier reasoning-curious account was suspended at 0.987 on 2026-03-14.
    actions = published_sample["enforcement_actions"].join(
        published_sample["truth"].select("account_id", "is_attack"), on="account_id"
    )
    legit_suspended = actions.filter(~pl.col("is_attack") & (pl.col("action") == "suspend"))
    assert legit_suspended.is_empty(), legit_suspended.select("date", "account_id", "score", "trigger", "reasons_text")
    assert date(2026, 3, 14) in published_sample["days"]
