"""The simulator writes the contract exactly, deterministically, with every population's signature."""

import filecmp
import json
from datetime import date, timedelta

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from features import contract
from features.raw import RawWarehouse
from models.evaluation import roc_auc
from simulator.generate import simulate


def test_generated_data_meets_the_contract(small_world):
    wh = RawWarehouse(str(small_world))
    days = wh.days()
    assert len(days) == 8
    previous = set()
    with duckdb.connect() as con:
        for day in days:
            assert wh.is_ready("requests", day) and wh.is_ready("accounts", day)
            req, acc = wh.files("requests", day), wh.files("accounts", day)
            assert contract.check_requests(con, req, day) == []
            assert contract.check_accounts(con, acc, day, req) == []
            for f in req:  # exact Arrow types (nulls in non-nullable columns: check_requests above)
                schema = pq.read_schema(f)
                for name, (typ, _) in contract.REQUESTS.items():
                    assert schema.field(name).type == typ, name
            ids = set(pl.read_parquet(acc)["account_id"])
            assert previous <= ids, "accounts snapshot must be cumulative"
            previous = ids
        assert contract.check_labels(con, wh.files("labels")) == []
        assert contract.check_allowlist(con, wh.files("allowlist")) == []
    all_ids = pl.read_parquet(wh.files("requests", None) or [f for d in days for f in wh.files("requests", d)])[
        "request_id"
    ]
    assert all_ids.n_unique() == len(all_ids), "request ids unique across days"


def test_ground_truth_sits_beside_the_contract_inputs(small_world):
    assert (small_world / "_truth" / "accounts.parquet").exists()
    truth = pl.read_parquet(small_world / "_truth" / "account_days" / "**" / "*.parquet")
    assert set(truth.columns) >= {"date", "account_id", "is_attack", "campaign_id", "behaviour", "population"}
    assert truth["is_attack"].any() and not truth["is_attack"].all()


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, 5), (b, 5), (c, 6)):
        simulate(out, date(2026, 1, 5), 2, 0.01, seed, progress=False)
    cmp = filecmp.dircmp(a, b)
    files = sorted(p.relative_to(a) for p in a.rglob("*.parquet"))
    assert files and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files)
    assert not cmp.diff_files
    ra = pl.read_parquet(a / "requests" / "**" / "*.parquet")
    rc = pl.read_parquet(c / "requests" / "**" / "*.parquet")
    assert ra.height != rc.height or not ra["prompt"].equals(rc["prompt"])


@pytest.fixture(scope="module")
def world_requests(small_world):
    req = pl.read_parquet(small_world / "requests" / "**" / "*.parquet", hive_partitioning=False)
    truth = pl.read_parquet(small_world / "_truth" / "accounts.parquet")
    return req.join(truth.select("account_id", "population"), on="account_id")


def _by_pop(req: pl.DataFrame) -> dict:
    stats = req.group_by("population").agg(
        requests=pl.len(),
        accounts=pl.col("account_id").n_unique(),
        thinking=pl.col("thinking_budget").is_not_null().mean(),
        out_mean=pl.col("output_tokens").mean(),
        max_tok=pl.col("max_tokens").mean(),
        batch=(pl.col("endpoint") == "batch").mean(),
        err4xx=(pl.col("status") == 400).mean(),
        distinct_sys=pl.col("system_prompt").n_unique(),
        asns=pl.col("asn").n_unique(),
    )
    return {r["population"]: r for r in stats.iter_rows(named=True)}


def test_population_signatures_are_present(world_requests, small_world):
    s = _by_pop(world_requests)
    # Labeling pipelines: one template, huge volume per account, tiny outputs, batch.
    assert (
        s["labeling_pipeline"]["requests"] / s["labeling_pipeline"]["accounts"]
        > 5 * s["developer"]["requests"] / s["developer"]["accounts"]
    )
    assert s["labeling_pipeline"]["out_mean"] < 20 and s["labeling_pipeline"]["batch"] > 0.5
    # Evaluation harnesses and CoT reconstruction: reasoning on, big budgets.
    assert s["eval_harness"]["thinking"] > 0.8 and s["cot_reconstruction"]["thinking"] > 0.5
    assert s["cot_reconstruction"]["out_mean"] > 5 * s["casual_chat"]["out_mean"]
    # Persona farms: thousands of system-prompt variants.
    assert s["persona_farm"]["distinct_sys"] > 0.5 * s["persona_farm"]["requests"]
    # Technique probers: many invalid requests while probing, then the winner scales up.
    prober = (
        world_requests.filter(pl.col("population") == "technique_prober")
        .group_by(pl.col("ts").dt.date().alias("day"))
        .agg(n=pl.len(), err=(pl.col("status") == 400).mean())
        .sort("day")
    )
    assert prober["err"][0] > 0.3 and prober["err"][-1] < 0.15
    # Hydra pools rotate through residential and hosting proxies.
    assert s["hydra"]["asns"] >= 10
    accounts = pl.read_parquet(RawWarehouse(str(small_world)).files("accounts", date(2026, 5, 11)))
    truth = pl.read_parquet(small_world / "_truth" / "accounts.parquet")
    acc = accounts.join(truth, on=["account_id", "org_id"])
    hydra = acc.filter(pl.col("population") == "hydra")
    shared = hydra.group_by("payment_fingerprint").len().filter(pl.col("payment_fingerprint").is_not_null())
    assert shared["len"].max() >= 3, "hydra accounts share payment instruments in small groups"
    first_active = (
        pl.read_parquet(small_world / "_truth" / "account_days" / "**" / "*.parquet")
        .group_by("account_id")
        .agg(pl.col("date").min())
    )
    hydra_starts = first_active.join(hydra, on="account_id")["date"].n_unique()
    assert hydra_starts >= 3, "replacement accounts keep appearing as others stop"
    cls = acc.filter(pl.col("population") == "class_hackathon")
    assert cls["email_domain"].n_unique() == 1 and cls["created_at"].dt.date().n_unique() <= 2
    assert cls["tier"].unique().to_list() == ["edu"]


def test_release_chaser_moves_half_its_traffic_within_a_day(world_requests, small_world):
    camp = pl.read_parquet(small_world / "_truth" / "campaigns.parquet")
    chaser = world_requests.filter(pl.col("population") == "release_chaser")
    new_share = (
        chaser.group_by(pl.col("ts").dt.date().alias("day"))
        .agg((pl.col("model") == "atlas-4").mean().alias("s"))
        .sort("day")
    )
    legit = (
        world_requests.filter(pl.col("population") == "developer")
        .group_by(pl.col("ts").dt.date().alias("day"))
        .agg((pl.col("model") == "atlas-4").mean().alias("s"))
    )
    first_new = new_share.filter(pl.col("s") > 0)
    if first_new.is_empty():
        pytest.skip("release chaser campaign ran before the release in this seed")
    assert first_new["s"][0] >= 0.4
    day = first_new["day"][0]
    assert legit.filter(pl.col("day") == day)["s"].max() < 0.3
    assert not camp.is_empty()


def test_hard_negatives_look_suspicious_on_naive_signals(world_requests):
    per_acct = world_requests.group_by("account_id", "population", pl.col("ts").dt.date().alias("day")).agg(
        n=pl.len(), thinking=pl.col("thinking_budget").is_not_null().mean()
    )
    med = {
        r["population"]: r
        for r in per_acct.group_by("population")
        .agg(pl.col("n").median(), pl.col("thinking").median())
        .iter_rows(named=True)
    }
    # Labeling pipelines out-volume hydra accounts; eval harnesses use reasoning as much as attackers.
    assert med["labeling_pipeline"]["n"] > med["hydra"]["n"]
    assert med["eval_harness"]["thinking"] >= med["hydra"]["thinking"] - 0.1


def test_requests_per_day_alone_does_not_separate(world_requests, small_world):
    truth = pl.read_parquet(small_world / "_truth" / "account_days" / "**" / "*.parquet")
    y = truth["is_attack"].to_numpy().astype(int)
    auc = roc_auc(y, truth["requests"].to_numpy().astype(float))
    assert 0.5 < auc < 0.95, f"one threshold on requests/day should not separate the data (AUC {auc:.3f})"


def test_labels_are_partial_delayed_and_absent_at_the_end(small_world):
    labels = pl.read_parquet(small_world / "labels" / "*.parquet")
    camp = pl.read_parquet(small_world / "_truth" / "campaigns.parquet")
    truth = pl.read_parquet(small_world / "_truth" / "accounts.parquet")
    pos = labels.filter(pl.col("label") == 1).join(camp, on="campaign_id")
    assert (pos["confirmed_at"].dt.date() >= pos["start_date"] + timedelta(days=3)).all()
    assert labels["confirmed_at"].max().date() <= date(2026, 5, 4) + timedelta(days=8 - 4)
    attackers = truth.filter(pl.col("is_attack"))
    assert pos["account_id"].n_unique() < attackers.height
    assert labels.filter(pl.col("label") == 0).height > 0


def test_corpus_option_draws_real_prompt_text(tmp_path, corpora):
    simulate(tmp_path / "w", date(2026, 1, 5), 1, 0.01, 2, corpus_dir=corpora, progress=False)
    prompts = set(pl.read_parquet(tmp_path / "w" / "requests" / "**" / "*.parquet")["prompt"])
    real = {json.loads(line)["prompt"] for line in (corpora / "arena_hard_v0_1.jsonl").open()}
    assert prompts & real, "legitimate chat should quote real arena prompts"
