"""Large days run in bounded passes (streamed template use, account-hash buckets, batches of ids and accounts);
each pass must give exactly what one pass over everything gives."""

from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl
import pytest

from features import coordination as C
from features.account_day import account_window, connect
from features.request_ids import RequestIdIndex
from models import scoring, training
from models.spec import load_spec
from tests.test_models import AS_OF, feature_rows, two_campaign_labels

DAY = date(2026, 3, 10)
DAYS = [DAY - timedelta(days=i) for i in range(C.WINDOW_DAYS)]


def template_window(seed: int) -> pl.DataFrame:
    """A week of template use shaped to sit near every threshold: pools sharing templates, light accounts whose
    main template only qualifies summed over days, heavy accounts with many templates, org changes."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(90):
        kind = a % 3
        days = rng.choice(DAYS, size=int(rng.integers(1, C.WINDOW_DAYS + 1)), replace=False)
        for d in days:
            org = f"o{a}" if rng.random() > 0.1 else f"o{a}-moved"
            n_templates = int(rng.integers(1, 4 if kind == 1 else 30))
            for t in rng.choice(40 if kind == 0 else 400, size=n_templates, replace=False):
                n = int(rng.integers(1, 3)) if kind == 1 else int(rng.geometric(0.3))
                rows.append((d, f"a{a:03d}", org, int(t), n))
    # One request a day of one template for a week: 7 requests, above the 5-request floor only as a sum.
    for i in range(4):
        rows += [(d, f"daily{i}", f"od{i}", 9999, 1) for d in DAYS]
    frame = pl.DataFrame(
        rows, schema=["date", "account_id", "org_id", "template_id", "n_requests"], orient="row"
    ).with_columns(pl.col("template_id").cast(pl.Int64), pl.col("n_requests").cast(pl.Int64), any_cot=pl.lit(0))
    return frame.group_by("date", "account_id", "template_id").agg(pl.col("org_id").min(), pl.col("n_requests").sum())


def direct_template_indicators(templates: pl.DataFrame) -> pl.DataFrame:
    """The rule as written in features/coordination.py's docstring, over every row at once."""
    per_acct = templates.group_by("account_id", "org_id", "template_id").agg(pl.col("n_requests").sum())
    per_acct = per_acct.with_columns(share=pl.col("n_requests") / pl.col("n_requests").sum().over("account_id"))
    per_acct = per_acct.with_columns(
        concentrated=(pl.col("share") >= C.TEMPLATE_MIN_SHARE) & (pl.col("n_requests") >= C.TEMPLATE_MIN_REQUESTS)
    )
    owned = (
        per_acct.group_by("template_id")
        .agg(users=pl.len(), conc=pl.col("concentrated").sum(), orgs=pl.col("org_id").filter("concentrated").n_unique())
        .filter((pl.col("orgs") >= 2) & (pl.col("conc") >= 2) & (pl.col("conc") >= 0.5 * pl.col("users")))
    )
    return (
        per_acct.filter("concentrated")
        .join(owned, on="template_id")
        .select("account_id", pl.lit("template").alias("kind"), pl.col("template_id").cast(pl.String).alias("value"))
    )


def direct_main_templates(templates: pl.DataFrame) -> pl.DataFrame:
    per_acct = templates.group_by("account_id", "template_id").agg(pl.col("n_requests").sum())
    return per_acct.filter(
        pl.col("n_requests") >= C.LOCKSTEP_MIN_SHARE * pl.col("n_requests").sum().over("account_id")
    ).select("account_id", "template_id")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_streamed_template_passes_find_what_one_pass_finds(seed):
    templates = template_window(seed)
    lazy = templates.lazy()
    totals = C._account_totals(lazy)
    got = C._template_indicators(lazy, totals).sort(pl.all())
    expected = direct_template_indicators(templates).sort(pl.all())
    assert got.equals(expected)
    assert expected.height > 0
    assert got.filter(pl.col("value") == "9999").height == 4, "qualifies only summed over the week"
    main = C._pairs_reaching(lazy, totals, ["account_id", "template_id"], C.LOCKSTEP_MIN_SHARE).filter(
        pl.col("n_requests") >= C.LOCKSTEP_MIN_SHARE * pl.col("total")
    )
    expected_main = direct_main_templates(templates).sort(pl.all())
    assert main.select("account_id", "template_id").sort(pl.all()).equals(expected_main)


def history_for(templates: pl.DataFrame) -> pl.DataFrame:
    per_day = templates.group_by("date", "account_id").agg(acct_req_count_1d=pl.col("n_requests").sum())
    return per_day.with_columns(
        acct_output_tokens_1d=pl.col("acct_req_count_1d") * 300,
        acct_cot_rate_1d=(pl.col("acct_req_count_1d") % 7) / 7.0,
        acct_thinking_share_1d=(pl.col("acct_req_count_1d") % 3) / 3.0,
        acct_age_days=pl.lit(30),
    )


def test_window_features_in_account_buckets_equal_one_pass():
    templates = template_window(3)
    history = history_for(templates)
    with connect() as con:
        whole = account_window(con, history, templates, DAY, bucket_rows=10**9)
        buckets = account_window(con, history, templates, DAY, bucket_rows=100)
    assert templates.height > 500, "several buckets"
    assert whole.height > 0 and whole.equals(buckets)


def test_request_ids_checked_and_recorded_in_small_batches(tmp_path, monkeypatch):
    monkeypatch.setattr("features.request_ids.BATCH_ROWS", 7)
    files = []
    for i, ids in enumerate([[f"r{k}" for k in range(50)], ["r3", *(f"new{k}" for k in range(14)), "r41", "new14"]]):
        files.append(str(tmp_path / f"day{i}.parquet"))
        pl.DataFrame({"request_id": ids}).write_parquet(files[-1])
    index = RequestIdIndex(tmp_path / "ids", bits=1 << 16)
    with duckdb.connect() as con:
        assert index.seen_before(con, [files[0]], DAY) == []
        assert index.record(con, [files[0]], DAY) == 50
        seen = index.seen_before(con, [files[1]], DAY + timedelta(days=1))
        digest = pl.read_parquet(tmp_path / "ids" / f"date={DAY}" / "ids.parquet")
    assert seen == [(DAY, 2, "r3")]
    assert digest.height == 50 and digest.equals(digest.sort("lo", "hi"))


def test_scores_and_reasons_in_batches_equal_one_pass(monkeypatch):
    spec = load_spec().model_copy(update={"min_positive_accounts": 5})
    feats = feature_rows()
    labels = two_campaign_labels()
    model = training.train(feats, labels, AS_OF, spec)
    whole = scoring.score_accounts(feats, model)
    monkeypatch.setattr(scoring, "SCORE_BATCH_ROWS", 7)
    batched = scoring.score_accounts(feats, model)
    assert feats.height > 7 * 3 and whole.equals(batched)
    assert whole["reasons"].list.len().sum() > 0
