"""Account-day features on hand-built traffic: given these requests, expect these numbers."""

import math
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from features.account_day import account_day, account_window, connect, derive_day, materialised
from simulator.generate import ACCOUNT_SCHEMA, REQUEST_SCHEMA, _write

DAY = date(2026, 1, 5)
T0 = datetime(2026, 1, 5, tzinfo=UTC)
COT = "Here is a completed answer. Articulate the internal reasoning behind this completed answer step by step."


def requests_frame(rows: list[dict]) -> pl.DataFrame:
    base = {
        "org_id": "org_1",
        "api_key_id": "k1",
        "ip": "73.1.1.1",
        "asn": 7922,
        "country": "US",
        "user_agent": "ua/1",
        "model": "atlas-3",
        "endpoint": "messages",
        "input_tokens": 10,
        "output_tokens": 10,
        "max_tokens": 1000,
        "thinking_budget": None,
        "system_prompt": None,
        "status": 200,
        "latency_ms": 100,
    }
    out = [{**base, **r, "request_id": f"r{i}"} for i, r in enumerate(rows)]
    return pl.DataFrame(out, schema={f.name: None for f in REQUEST_SCHEMA}, strict=False)


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feat")
    a = [
        dict(
            account_id="acct_a",
            ts=T0 + timedelta(minutes=10),
            prompt="Classify the ticket.\nMessage: card lost",
            input_tokens=10,
            output_tokens=100,
            thinking_budget=2048,
            asn=16509,
            ip="54.0.0.1",
        ),
        dict(
            account_id="acct_a",
            ts=T0 + timedelta(minutes=12),
            prompt="Classify the ticket.\nMessage: refund please",
            input_tokens=20,
            output_tokens=0,
            status=429,
        ),
        dict(
            account_id="acct_a",
            ts=T0 + timedelta(minutes=14),
            prompt="Classify the ticket.\nMessage: charged twice",
            input_tokens=30,
            output_tokens=50,
            country="DE",
        ),
        dict(
            account_id="acct_a",
            ts=T0 + timedelta(hours=10),
            prompt=COT,
            input_tokens=40,
            output_tokens=1000,
            thinking_budget=4096,
        ),
        dict(
            account_id="acct_b",
            org_id="org_2",
            ts=T0 + timedelta(hours=12),
            prompt="hello there",
            system_prompt="You are helpful.",
        ),
    ]
    req = requests_frame(a).with_columns(pl.col("ts").cast(pl.Datetime("us", "UTC")))
    _write(req, REQUEST_SCHEMA, tmp / "req.parquet")
    acc = pl.DataFrame(
        {
            "account_id": ["acct_a", "acct_b"],
            "org_id": ["org_1", "org_2"],
            "created_at": [T0 - timedelta(days=2), datetime(2025, 1, 5, tzinfo=UTC)],
            "tier": ["free", "build"],
            "email_domain": ["tempmail.dev", "gmail.com"],
            "payment_fingerprint": [None, "pay_1"],
            "signup_ip": ["54.1.2.3", "73.1.1.1"],
            "signup_asn": [16509, 7922],
            "country": ["US", "US"],
            "verified": [False, True],
        }
    )
    _write(acc, ACCOUNT_SCHEMA, tmp / "acc.parquet")
    derived = derive_day([str(tmp / "req.parquet")], tmp / "derived.parquet")
    with connect() as con:
        out = materialised(account_day(con, derived, [str(tmp / "acc.parquet")], DAY))
    f = out["features_1d"]
    return {r["account_id"]: r for r in f.iter_rows(named=True)}, out


def test_volume_and_reasoning(features):
    a = features[0]["acct_a"]
    assert a["acct_req_count_1d"] == 4
    assert a["acct_input_tokens_1d"] == 100 and a["acct_output_tokens_1d"] == 1150
    assert a["acct_out_in_ratio_1d"] == pytest.approx(11.5)
    assert a["acct_near_max_share_1d"] == pytest.approx(0.25)
    assert a["acct_thinking_share_1d"] == pytest.approx(0.5)
    assert a["acct_thinking_budget_mean_1d"] == pytest.approx(3072)
    assert a["acct_batch_share_1d"] == 0 and a["acct_models_1d"] == 1


def test_timing(features):
    a = features[0]["acct_a"]
    assert a["acct_active_hours_1d"] == 2
    h = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    assert a["acct_hour_entropy_1d"] == pytest.approx(h)
    assert a["acct_burst_5min_share_1d"] == pytest.approx(0.75)
    gaps = [120, 120, 10 * 3600 - 14 * 60]
    mean = sum(gaps) / 3
    std = math.sqrt(sum((g - mean) ** 2 for g in gaps) / 3)
    assert a["acct_interarrival_cv_1d"] == pytest.approx(std / mean)
    assert a["acct_night_share_1d"] == pytest.approx(0.25)  # US is UTC-6: 00:1x UTC is 18:1x local, 10:00 UTC is 04:00


def test_errors_and_infrastructure(features):
    a = features[0]["acct_a"]
    assert a["acct_429_share_1d"] == pytest.approx(0.25) and a["acct_4xx_share_1d"] == 0 and a["acct_5xx_share_1d"] == 0
    assert a["acct_distinct_ips_1d"] == 2 and a["acct_distinct_asns_1d"] == 2
    assert a["acct_distinct_keys_1d"] == 1 and a["acct_distinct_uas_1d"] == 1
    assert a["acct_hosting_asn_share_1d"] == pytest.approx(0.25)
    assert a["acct_country_mismatch_share_1d"] == pytest.approx(0.25)


def test_content(features):
    a, b = features[0]["acct_a"], features[0]["acct_b"]
    assert a["acct_max_tokens_mean_1d"] == pytest.approx(1000)
    assert a["acct_prompt_chars_mean_1d"] == pytest.approx(
        sum(
            len(p)
            for p in [
                "Classify the ticket.\nMessage: card lost",
                "Classify the ticket.\nMessage: refund please",
                "Classify the ticket.\nMessage: charged twice",
                COT,
            ]
        )
        / 4
    )
    assert (
        a["acct_lang_coercion_rate_1d"],
        a["acct_maxout_rate_1d"],
        a["acct_probe_rate_1d"],
        a["acct_rewrite_rate_1d"],
    ) == (0, 0, 0, 0)
    assert a["acct_top_template_share_1d"] == pytest.approx(0.75)
    assert a["acct_template_entropy_1d"] == pytest.approx(-(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25)))
    assert a["acct_templates_per_1k_1d"] == pytest.approx(500)
    assert a["acct_top_prefix_share_1d"] == pytest.approx(0.75)
    assert a["acct_neardup_rate_1d"] == 0
    assert a["acct_cot_rate_1d"] == pytest.approx(0.25) and a["acct_rubric_rate_1d"] == 0
    assert a["acct_system_prompt_share_1d"] == 0 and b["acct_system_prompt_share_1d"] == 1
    assert b["acct_top_system_prompt_share_1d"] == 1 and b["acct_distinct_system_prompts_1d"] == 1
    assert a["acct_top_capability_1d"] == "analysis" and a["acct_top_capability_share_1d"] == pytest.approx(0.75)


def test_metadata_and_organisation(features):
    a, b = features[0]["acct_a"], features[0]["acct_b"]
    assert a["acct_age_days"] == pytest.approx(3.0) and b["acct_age_days"] == pytest.approx(366.0)
    assert (a["acct_verified"], a["acct_payment_present"], a["acct_webmail"], a["acct_signup_hosting"]) == (0, 0, 0, 1)
    assert (b["acct_verified"], b["acct_payment_present"], b["acct_webmail"], b["acct_signup_hosting"]) == (1, 1, 1, 0)
    assert a["acct_tier"] == "free" and a["org_active_accounts_1d"] == 1 and a["org_req_count_1d"] == 4


def test_near_duplicates_and_templates_per_account(tmp_path):
    paraphrases = [
        "Explain photosynthesis to a beginner please",
        "explain photosynthesis to a beginner, please!",
        "Explain photosynthesis to a beginner please.",
        "What is the capital of Peru?",
    ]
    rows = [dict(account_id="acct_c", ts=T0 + timedelta(minutes=i), prompt=p) for i, p in enumerate(paraphrases)]
    req = requests_frame(rows).with_columns(pl.col("ts").cast(pl.Datetime("us", "UTC")))
    _write(req, REQUEST_SCHEMA, tmp_path / "req.parquet")
    acc = pl.DataFrame(
        {
            "account_id": ["acct_c"],
            "org_id": ["org_1"],
            "created_at": [T0],
            "tier": ["free"],
            "email_domain": ["gmail.com"],
            "payment_fingerprint": [None],
            "signup_ip": ["73.1.1.1"],
            "signup_asn": [7922],
            "country": [None],
            "verified": [False],
        },
        schema_overrides={"payment_fingerprint": pl.String, "country": pl.String},
    )
    _write(acc, ACCOUNT_SCHEMA, tmp_path / "acc.parquet")
    derived = derive_day([str(tmp_path / "req.parquet")], tmp_path / "d.parquet")
    with connect() as con:
        c = account_day(con, derived, [str(tmp_path / "acc.parquet")], DAY)["features_1d"].row(0, named=True)
    assert c["acct_neardup_rate_1d"] == pytest.approx(0.75)
    assert c["acct_country_mismatch_share_1d"] == 0, "no billing country: nothing to compare"


def test_templates_and_sync_tables(features):
    _, out = features
    t = out["templates"].filter(pl.col("account_id") == "acct_a").sort("n_requests", descending=True)
    assert t["n_requests"].to_list() == [3, 1]
    assert out["sync"].is_empty(), "no template is shared by two accounts"


def test_window_features_point_in_time():
    day1, day2, day3 = date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)
    history = pl.DataFrame(
        {
            "date": [day1, day2, day3],
            "account_id": ["a"] * 3,
            "acct_req_count_1d": [10, 30, 999],
            "acct_output_tokens_1d": [100, 300, 9],
            "acct_cot_rate_1d": [0.0, 1.0, 0.0],
            "acct_thinking_share_1d": [0.5, 0.5, 0.0],
            "acct_age_days": [1.0, 2.0, 3.0],
        }
    )
    templates = pl.DataFrame(
        {
            "date": [day1, day2, day2, day3],
            "account_id": ["a"] * 4,
            "org_id": ["o"] * 4,
            "template_id": [1, 1, 2, 3],
            "n_requests": [10, 20, 10, 999],
            "any_cot": [0, 1, 1, 0],
        }
    )
    with connect() as con:
        w = account_window(con, history, templates, day2).row(0, named=True)
    assert w["acct_req_count_7d"] == 40 and w["acct_active_days_7d"] == 2, "day 3 must not leak into day 2"
    assert w["acct_cot_rate_7d"] == pytest.approx(30 / 40)
    assert w["acct_top_template_share_7d"] == pytest.approx(30 / 40)
    assert w["acct_new_template_share_7d"] == pytest.approx(0.5) and w["acct_new_templates_1d"] == 1
    assert w["acct_peak_req_count_7d"] == 30 and w["acct_days_signup_to_peak_7d"] == pytest.approx(2.0)
