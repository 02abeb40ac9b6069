"""STIX 2.1 export and import: valid bundles, no raw identifiers, round trip, partner indicators in coordination."""

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
import stix2

from features import sharing
from features.coordination import WINDOW_DAYS, coordinate
from pipelines import cli
from pipelines.resources import EnforcementWarehouse
from pipelines.sharing import evidence, import_stix, partner_indicators

KEY = "trust-group-sharing-key-for-tests"


@pytest.fixture()
def exported(published_sample, tmp_path, monkeypatch):
    monkeypatch.setenv(sharing.SHARING_KEY_ENV, KEY)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    days, runner = published_sample["days"], published_sample["runner"]
    out = tmp_path / "bundle.json"
    args = [
        "export-stix",
        "--start",
        str(days[0]),
        "--end",
        str(days[-1]),
        "--out",
        str(out),
        "--raw",
        runner.raw_root,
        "--warehouse",
        runner.warehouse_folder,
    ]
    assert cli.main(args) == 0
    return out, runner, days


def test_bundle_parses_validates_and_is_marked(exported):
    out, runner, days = exported
    bundle = stix2.parse(out.read_text(), allow_custom=False)
    by_type: dict[str, list] = {}
    for o in bundle.objects:
        by_type.setdefault(o.type, []).append(o)
    acted = sharing.acted_clusters(evidence(runner.raw, runner.warehouse, days[0], days[-1]))
    assert len(by_type["campaign"]) == acted.height > 0
    assert len(by_type["indicator"]) == len(by_type["relationship"]) == len(by_type["sighting"]) > 0
    marked = [o for t in ("campaign", "indicator", "sighting") for o in by_type[t]]
    assert all(o.object_marking_refs == [stix2.TLP_AMBER.id] for o in marked)
    kinds = {o.pattern.split(":")[0].strip("[") for o in by_type["indicator"]}
    assert {"x-distill-prompt-template", "x-distill-payment-instrument", "autonomous-system", "user-account"} <= kinds
    for ind in by_type["indicator"]:
        assert ind.valid_until > ind.valid_from and 1 <= ind.confidence <= 100
    ids = {o.id for o in bundle.objects}
    assert all(r.source_ref in ids and r.target_ref in ids for r in by_type["relationship"])


def test_no_raw_identifier_or_prompt_leaves(exported, sample_raw):
    out, runner, days = exported
    text = out.read_text()
    accounts = pl.read_parquet(sample_raw / "accounts" / "*" / "*.parquet")
    raw_values = set()
    for column in ("account_id", "org_id", "payment_fingerprint", "signup_ip", "email_domain"):
        raw_values |= set(accounts[column].drop_nulls().unique().to_list())
    leaked = sorted(v for v in raw_values if v in text)
    assert not leaked, f"raw identifiers in the bundle: {leaked[:5]}"
    members = runner.warehouse.read_published("cluster_members", days[0], days[-1])["account_id"].unique()
    prompts = (
        pl.scan_parquet(sample_raw / "requests" / f"date={days[5]}" / "*.parquet")
        .filter(pl.col("account_id").is_in(members.implode()))
        .select("prompt")
        .collect()["prompt"]
    )
    assert prompts.len() > 0 and not [p for p in prompts.unique().to_list() if p[:60] in text]


def test_export_then_import_round_trips_the_indicators(exported, tmp_path):
    out, runner, days = exported
    expected = sharing.cluster_indicators(evidence(runner.raw, runner.warehouse, days[0], days[-1]), KEY.encode())
    partner_wh = EnforcementWarehouse(folder=str(tmp_path / "partner"))
    rows = import_stix(partner_wh, out, now=datetime(2026, 3, 20, tzinfo=UTC))
    got = rows.select("kind", "value", "confidence", pl.col("valid_from").dt.date().alias("first_seen"))
    want = expected.select("kind", "value", "confidence", "first_seen")
    assert got.sort(got.columns).equals(want.sort(want.columns))
    assert (rows["valid_until"].dt.date() == expected["last_seen"] + timedelta(days=sharing.VALIDITY_DAYS)).all()
    assert rows["producer"].unique().to_list() == ["distill-guard"] and rows["campaign"].null_count() == 0
    assert partner_indicators(partner_wh, days[-1]).is_empty(), "imported after the day: not used for it"
    assert partner_indicators(partner_wh, datetime(2026, 3, 21).date()).height > 0


def test_export_without_a_sharing_key_says_so(published_sample, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(sharing.SHARING_KEY_ENV, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    runner, days = published_sample["runner"], published_sample["days"]
    code = cli.main(
        [
            "export-stix",
            "--start",
            str(days[0]),
            "--end",
            str(days[-1]),
            "--out",
            str(tmp_path / "b.json"),
            "--raw",
            runner.raw_root,
            "--warehouse",
            runner.warehouse_folder,
        ]
    )
    assert code == 1 and f"set {sharing.SHARING_KEY_ENV}" in capsys.readouterr().err
    assert not (tmp_path / "b.json").exists()


def test_a_partner_template_indicator_joins_our_accounts_into_a_cluster(published_sample):
    runner, day = published_sample["runner"], published_sample["days"][8]
    store, lo = runner.warehouse.store(), day - timedelta(days=WINDOW_DAYS - 1)
    accounts = pl.read_parquet(runner.raw.files("accounts", day))
    feats, templates, sync = (store.read(k, lo, day) for k in ("features_1d", "templates", "sync"))
    clustered = store.read("cluster_members", day, day)["account_id"]
    # A template two unclustered active accounts both use: the partner reports it as a campaign's template.
    free = templates.filter((pl.col("date") == day) & ~pl.col("account_id").is_in(clustered.implode()))
    template = free.group_by("template_id").agg(n=pl.col("account_id").n_unique()).filter(pl.col("n") >= 3)
    template_id = str(template.sort("n", "template_id")["template_id"][0])
    bundle = stix2.Bundle(
        stix2.Indicator(
            pattern=sharing.PATTERNS["template"].format(v=template_id),
            pattern_type="stix",
            valid_from=datetime(2026, 3, 1, tzinfo=UTC),
            confidence=70,
        )
    )
    partner = sharing.parse_indicators(bundle.serialize(), datetime(2026, 3, 1, tzinfo=UTC))
    user_agents = feats.select("account_id", pl.col("acct_top_user_agent_1d").alias("user_agent")).drop_nulls()
    edges = sharing.partner_edges(partner, accounts, templates, user_agents, KEY.encode())
    yesterday = day - timedelta(days=1)
    args = (day, accounts, feats, templates, sync, store.read("cluster_members", yesterday, yesterday))
    without, with_partner = coordinate(*args), coordinate(*args, partner_edges=edges)
    assert not any("partner" in " ".join(i or []) for i in without.clusters["indicators"].to_list())
    texts = [" ".join(i or []) for i in with_partner.clusters["indicators"].to_list()]
    assert any("match one indicator shared by a partner" in t for t in texts)
    assert json.loads(bundle.serialize())["type"] == "bundle"
