"""Organisation and release-calendar features on hand-built snapshots: given these accounts, expect these numbers."""

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from features.account_day import account_day, connect, derive_day
from features.releases import QUIET_DAYS, BadReleases, calendar, dated, load_releases
from simulator.generate import ACCOUNT_SCHEMA, REQUEST_SCHEMA, _write
from tests.test_account_features import requests_frame

DAY = date(2026, 1, 5)
T0 = datetime(2026, 1, 5, tzinfo=UTC)
OLD = datetime(2025, 1, 5, tzinfo=UTC)

# One enterprise rolling out SSO accounts on one corporate card; a farm of three one-account orgs on one card
# and a throwaway domain; a webmail user on its own card.
ACCOUNTS = [
    ("e1", "ent", OLD, "enterprise", "acme.example.com", "pay_ent", True),
    ("e2", "ent", OLD + timedelta(days=30), "enterprise", "acme.example.com", "pay_ent", True),
    ("e3", "ent", T0 - timedelta(days=2), "enterprise", "acme.example.com", "pay_ent", True),
    ("e4", "ent", T0 - timedelta(days=1), "scale", "acme.example.com", "pay_ent", False),
    ("f1", "farm1", T0 - timedelta(days=1), "free", "tempmail.dev", "pay_farm", False),
    ("f2", "farm2", T0 - timedelta(days=1), "free", "tempmail.dev", "pay_farm", False),
    ("f3", "farm3", T0 - timedelta(days=1), "edu", "tempmail.dev", "pay_farm", False),
    ("s1", "solo", OLD, "build", "gmail.com", None, True),
]
RELEASES = pl.DataFrame(
    {
        "model": ["atlas-3", "atlas-4", "atlas-5"],
        "released_at": [OLD, T0 - timedelta(days=2, hours=-3), T0 + timedelta(days=3)],
    },
    schema={"model": pl.String, "released_at": pl.Datetime("us", "UTC")},
)


def run(tmp, releases):
    models = {"e1": "atlas-4", "f1": "atlas-4", "f2": "atlas-5"}
    rows = [
        dict(
            account_id=a[0],
            org_id=a[1],
            ts=T0 + timedelta(hours=i),
            prompt=f"hello {i}",
            model=models.get(a[0], "atlas-3"),
        )
        for i, a in enumerate(ACCOUNTS)
    ]
    rows.append(dict(account_id="e1", org_id="ent", ts=T0 + timedelta(hours=20), prompt="again", model="atlas-3"))
    _write(
        requests_frame(rows).with_columns(pl.col("ts").cast(pl.Datetime("us", "UTC"))),
        REQUEST_SCHEMA,
        tmp / "req.parquet",
    )
    acc = pl.DataFrame(
        ACCOUNTS,
        orient="row",
        schema=["account_id", "org_id", "created_at", "tier", "email_domain", "payment_fingerprint", "verified"],
    )
    acc = acc.with_columns(signup_ip=pl.lit("73.1.1.1"), signup_asn=pl.lit(7922), country=pl.lit("US"))
    _write(acc, ACCOUNT_SCHEMA, tmp / "acc.parquet")
    derived = derive_day([str(tmp / "req.parquet")], tmp / "derived.parquet")
    with connect() as con:
        out = account_day(con, derived, [str(tmp / "acc.parquet")], DAY, releases)
    return {r["account_id"]: r for r in out["features_1d"].iter_rows(named=True)}


@pytest.fixture(scope="module")
def feats(tmp_path_factory):
    return run(tmp_path_factory.mktemp("org"), RELEASES)


def test_enterprise_org_is_one_customer_on_one_card(feats):
    e = feats["e3"]
    assert e["org_corporate_domain"] == 1 and e["org_top_domain_share"] == 1.0
    assert e["acct_payment_orgs"] == 1 and e["acct_payment_accounts"] == 4 and e["org_payment_instruments"] == 1
    assert e["org_verified_share"] == pytest.approx(0.75)
    assert e["org_new_account_share_7d"] == pytest.approx(0.5)
    assert e["org_enterprise_tier_share"] == 1.0 and e["org_risky_tier_share"] == 0.0
    assert e["org_age_days"] == pytest.approx(366.0)


def test_farm_shares_payment_across_orgs_and_no_corporate_domain(feats):
    f = feats["f1"]
    assert f["acct_payment_orgs"] == 3 and f["acct_payment_accounts"] == 3
    assert f["org_corporate_domain"] == 0, "a domain several organisations use is nobody's corporate domain"
    assert f["org_age_days"] == pytest.approx(2.0) and f["org_risky_tier_share"] == 1.0
    # One fresh account is its own whole organisation: no growth share, so a farm's throwaway organisations do not
    # teach the model that "every account of the organisation is new" means a pool (a class's does too).
    assert f["org_new_account_share_7d"] is None
    s = feats["s1"]
    assert s["org_corporate_domain"] == 0 and s["acct_payment_orgs"] == 0


def test_release_context_is_point_in_time(feats, tmp_path):
    assert feats["f1"]["acct_new_model_share_1d"] == 1.0
    assert feats["e1"]["acct_new_model_share_1d"] == pytest.approx(0.5)
    assert feats["f2"]["acct_new_model_share_1d"] == 0.0, "a release after the day is not known yet"
    assert feats["s1"]["release_days_since"] == 2
    none = run(tmp_path, None)
    assert none["f1"]["release_days_since"] == 365 and none["f1"]["acct_new_model_share_1d"] == 0.0


def test_bad_release_calendar_names_file_column_and_rule(tmp_path):
    RELEASES.drop("released_at").write_parquet(tmp_path / "r.parquet")
    with pytest.raises(BadReleases, match=r"r.parquet: column 'released_at' breaks rule 'required_column'"):
        load_releases([str(tmp_path / "r.parquet")])
    assert load_releases([]).is_empty()


def use_rows(days: dict[int, dict[str, int]]) -> pl.DataFrame:
    """Stored model use: for each day offset from DAY, requests per model (first request at 09:00 that day)."""
    return pl.DataFrame(
        [
            (DAY + timedelta(days=k), model, n, T0 + timedelta(days=k, hours=9))
            for k, per_model in days.items()
            for model, n in per_model.items()
        ],
        orient="row",
        schema={"date": pl.Date, "model": pl.String, "n_requests": pl.Int64, "first_ts": pl.Datetime("us", "UTC")},
    )


def test_traffic_dates_a_release_after_quiet_days_on_record():
    quiet = {k: {"atlas-3": 5000} for k in range(-QUIET_DAYS, 0)}
    use = use_rows({**quiet, 0: {"atlas-3": 4000, "atlas-4": 1000}, 1: {"atlas-3": 3000, "atlas-4": 2000}})
    assert dated(use, DAY + timedelta(days=1)).rows() == [("atlas-4", T0 + timedelta(hours=9))]
    assert dated(use, DAY - timedelta(days=1)).is_empty(), "a release is not known before its first request"
    short = use.filter(pl.col("date") != DAY - timedelta(days=QUIET_DAYS))
    assert dated(short, DAY).is_empty(), "a day missing from the record leaves too few quiet days to date it"
    trickle = use_rows({**quiet, 0: {"atlas-3": 5000, "atlas-4": 3}})
    assert dated(trickle, DAY).is_empty(), "three requests to a model some account comes back to are no release"
    assert dated(None, DAY).is_empty()


def test_the_calendar_wins_for_the_models_it_lists():
    quiet = {k: {"atlas-3": 5000} for k in range(-QUIET_DAYS, 0)}
    use = use_rows({**quiet, 0: {"atlas-3": 4000, "atlas-4": 1000, "atlas-6": 500}})
    merged = calendar(RELEASES, use, DAY)  # atlas-4 listed (two days earlier), atlas-6 not
    assert dict(merged.rows()) == {**dict(RELEASES.rows()), "atlas-6": T0 + timedelta(hours=9)}
    assert calendar(RELEASES, None, DAY).equals(RELEASES.sort("model", "released_at"))


def test_a_warehouse_without_a_calendar_dates_the_release_from_its_traffic(published_sample, sample_raw):
    assert not (sample_raw / "releases").exists(), "the bundled sample has no calendar"
    requests = pl.scan_parquet(sample_raw / "requests" / "**" / "*.parquet", hive_partitioning=False)
    first = requests.group_by("model").agg(pl.col("ts").min().dt.date()).collect()
    new = first.filter(pl.col("ts") > min(published_sample["days"]))
    assert new.height == 1, "one model comes into use during the sample"
    release = new["ts"].item()
    since = published_sample["account_features"].group_by("date").agg(pl.col("release_days_since").unique())
    days_since = {d: v for d, v in since.iter_rows()}
    assert all(v == [365] for d, v in days_since.items() if d < release), "no release before the first request"
    assert days_since[release] == [0] and days_since[release + timedelta(days=1)] == [1]
