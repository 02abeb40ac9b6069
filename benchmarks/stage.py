"""One benchmark measurement in its own process, so peak memory (ru_maxrss) belongs to that stage alone.

Prints one JSON line: {"stage": ..., "seconds": ..., "peak_rss_mb": ..., ...}.
"""

import argparse
import json
import resource
import time
import warnings
from datetime import date
from pathlib import Path

warnings.filterwarnings("ignore")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulate(args) -> dict:
    from simulator.generate import simulate as run

    t = time.perf_counter()
    s = run(Path(args.raw), date.fromisoformat(args.day), 1, args.scale, args.seed, progress=False)
    return {"requests": s["requests"], "seconds": time.perf_counter() - t}


def scan_floor(args) -> dict:
    """A plain DuckDB scan of the request columns the feature stage reads: the floor for its cost."""
    import duckdb

    from features.raw import RawWarehouse

    files = RawWarehouse(args.raw).files("requests", date.fromisoformat(args.day))
    t = time.perf_counter()
    con = duckdb.connect()
    n = con.execute(
        "select count(*), sum(length(prompt)), sum(length(system_prompt)), count(distinct account_id), sum(input_tokens), "
        "sum(output_tokens), max(ts), count(distinct ip), count(distinct api_key_id), sum(status) "
        "from read_parquet($f)", {"f": files}).fetchone()[0]
    return {"requests": n, "seconds": time.perf_counter() - t}


def features(args) -> dict:
    """The whole feature stage, step by step, through the library calls the assets make."""
    from features import daily
    from features.account_day import connect
    from features.raw import RawWarehouse
    from features.store import Store

    raw, store, day = RawWarehouse(args.raw), Store(Path(args.work)), date.fromisoformat(args.day)
    steps = {}
    t0 = time.perf_counter()
    daily.derive(raw, store, day)
    steps["derive (Polars)"] = time.perf_counter() - t0
    t = time.perf_counter()
    with connect(memory_limit=args.memory_limit or None) as con:
        f1 = daily.account_features_1d(con, raw, store, day)
        steps["account-day SQL (DuckDB)"] = time.perf_counter() - t
        t = time.perf_counter()
        coord = daily.coordination(raw, store, day, None)
        steps["coordination"] = time.perf_counter() - t
        t = time.perf_counter()
        feats = daily.account_features(con, store, day, coord.context)
        steps["7-day window + join"] = time.perf_counter() - t
    import polars as pl

    n = pl.scan_parquet(store.path("derived", day)).select(pl.len()).collect().item()
    return {"requests": n, "accounts": feats.height, "clusters": coord.clusters.height, "seconds": time.perf_counter() - t0,
            "steps": steps, "accounts_1d": f1.height}


def pipeline(args) -> dict:
    """`distill-guard run` for the day through Dagster (in process), with per-step wall times."""
    import dagster as dg

    from pipelines.runner import Runner

    instance = dg.DagsterInstance.ephemeral()
    runner = Runner(args.raw, args.work, instance=instance)
    t = time.perf_counter()
    result = runner.run_day(date.fromisoformat(args.day))
    total = time.perf_counter() - t
    stats = instance.get_run_step_stats(result.run_id)
    steps = {s.step_key: (s.end_time - s.start_time) for s in stats if s.end_time and s.start_time}
    return {"seconds": total, "steps": steps}


def direct(args) -> dict:
    """The same day through the libraries directly (no Dagster): features, scoring, policy, publication."""
    import polars as pl

    from features import contract, daily
    from features.account_day import connect
    from features.raw import RawWarehouse
    from models.policy import CONTENT_MARKERS, active_allowlist, apply_policy
    from models.scoring import score_accounts, score_clusters
    from models.spec import load_policy
    from pipelines.publishing import day_tables
    from pipelines.resources import EnforcementWarehouse

    import duckdb

    day = date.fromisoformat(args.day)
    raw = RawWarehouse(args.raw)
    wh = EnforcementWarehouse(folder=args.work)
    store = wh.store()
    t = time.perf_counter()
    with duckdb.connect() as con:
        assert not contract.check_requests(con, raw.files("requests", day), day)
        assert not contract.check_accounts(con, raw.files("accounts", day), day, raw.files("requests", day))
    with connect() as con:
        feats, coord = daily.build_day(con, raw, store, day)
    scores = score_accounts(feats, None)
    scored = feats.select("account_id", "org_id", "cluster_id", "acct_age_days", "acct_verified", "acct_payment_present",
                          *CONTENT_MARKERS).join(scores, on="account_id")
    clusters = score_clusters(coord.clusters, scored, coord.members)
    store.write("clusters_scored", day, clusters)
    s, a = apply_policy(load_policy(), day, "direct", scored, clusters,
                        active_allowlist(pl.read_parquet(raw.files("allowlist")), day))
    store.write("account_scores", day, s)
    store.write("enforcement_actions", day, a)
    wh.publish_day(day, "direct", day_tables(wh, day))
    return {"seconds": time.perf_counter() - t}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("stage", choices=["simulate", "scan_floor", "features", "pipeline", "direct"])
    p.add_argument("--raw", required=True)
    p.add_argument("--work", default="")
    p.add_argument("--day", default="2026-03-10")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--memory-limit", default="")
    args = p.parse_args()
    out = globals()[args.stage](args)
    out.update({"stage": args.stage, "peak_rss_mb": peak_mb()})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
