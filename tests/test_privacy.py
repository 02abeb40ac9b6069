"""What is published or kept carries no raw personal data: keyed indicator fingerprints, client families,
no per-request rows left after publication."""

import re
import stat
from datetime import date

import dagster as dg
import polars as pl

from features.privacy import fingerprint
from pipelines.runner import Runner

INDICATOR = re.compile(r"^\d+ accounts .+ \((payment|signup_net|email_domain|client|template|lockstep):[0-9a-f]{16}\)$")


def raw_values(sample_raw) -> set[str]:
    acc = pl.read_parquet(sample_raw / "accounts" / "*" / "*.parquet", hive_partitioning=False)
    req = pl.read_parquet(sample_raw / "requests" / "date=2026-03-02" / "*.parquet", hive_partitioning=False)
    nets = acc["signup_ip"].str.extract(r"^(\d+\.\d+\.\d+)\.").drop_nulls()
    values = set(acc["payment_fingerprint"].drop_nulls()) | set(acc["email_domain"]) | set(nets)
    return values | set(req["user_agent"]) | set(req["ip"]) | set(req["api_key_id"])


def test_published_indicators_and_summaries_carry_only_keyed_fingerprints(published_sample, sample_raw):
    clusters = published_sample["clusters"]
    indicators = [s for lst in clusters["indicators"].to_list() for s in (lst or [])]
    assert indicators and all(INDICATOR.match(s) for s in indicators), indicators[:3]
    assert any("(payment:" in s for s in indicators)
    secrets = raw_values(sample_raw)
    wh = published_sample["runner"].warehouse
    summaries = "".join(p.read_text() for p in (wh.path / "reports" / "daily").glob("*.md"))
    published = "\n".join(indicators) + summaries
    leaked = sorted(v for v in secrets if len(v) >= 6 and v in published)
    assert leaked == []
    key = wh.path / "warehouse.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert fingerprint("payment", "x", key.read_bytes().strip()) != fingerprint("payment", "x", b"other key")


def test_client_strings_are_published_as_families(published_sample):
    families = set(published_sample["account_features"]["acct_top_user_agent_1d"].drop_nulls())
    assert families and not any("/" in f or " " in f for f in families)
    assert "anthropic-python" in families


def test_per_request_rows_are_removed_after_publication(published_sample):
    store = published_sample["runner"].warehouse.path / "store"
    assert not list(store.glob("request_derivations/**/*.parquet"))
    assert (store / "features_1d").is_dir()


def test_the_key_comes_from_the_environment_when_set(raw_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_GUARD_WAREHOUSE_KEY", "k" * 64)
    a = Runner(str(raw_copy), str(tmp_path / "a"), instance=dg.DagsterInstance.ephemeral())
    a.run_day(date(2026, 3, 2))
    assert not (tmp_path / "a" / "warehouse.key").exists()
    assert a.warehouse.fingerprint_key() == b"k" * 64
