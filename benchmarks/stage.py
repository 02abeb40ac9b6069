"""One benchmark measurement in its own process, so peak memory (ru_maxrss) belongs to that stage alone.

Prints one JSON line: {"stage": ..., "seconds": ..., "peak_rss_mb": ..., ...}.
The day itself runs through `distill-guard run` (the real `nightly` job); step times come from the Dagster
instance's step events of that run, so there is no second implementation of any step here.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

warnings.filterwarnings("ignore")

FEATURE_STEPS = ["request_derivations", "account_day_features", "coordination", "account_features"]  # step names


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulate(args) -> dict:
    from simulator.generate import simulate as run

    t = time.perf_counter()
    s = run(
        Path(args.raw),
        date.fromisoformat(args.day),
        1,
        args.scale,
        args.seed,
        Path(args.corpus) if args.corpus else None,
        progress=False,
    )
    out = {"requests": s["requests"], "seconds": time.perf_counter() - t}
    if args.text_profile == "api":
        from benchmarks.text_profile import apply

        t = time.perf_counter()
        out["text"] = apply(Path(args.raw) / "requests" / f"date={args.day}", Path(args.corpus))
        out["profile_seconds"] = time.perf_counter() - t
    return out


def scan_floor(args) -> dict:
    """A plain DuckDB scan of the request columns the stage reads: the floor for its cost."""
    import duckdb

    from features.raw import RawWarehouse

    files = RawWarehouse(args.raw).files("requests", date.fromisoformat(args.day))
    t = time.perf_counter()
    con = duckdb.connect()
    n = con.execute(
        "select count(*), sum(length(prompt)), sum(length(system_prompt)), count(distinct account_id), "
        "sum(input_tokens), "
        "sum(output_tokens), max(ts), count(distinct ip), count(distinct user_agent), count(distinct api_key_id), "
        "sum(status) from read_parquet($f)",
        {"f": files},
    ).fetchone()[0]
    return {"requests": n, "seconds": time.perf_counter() - t}


def cli_run(args) -> dict:
    """`distill-guard run` for the day in a fresh process (start and imports included), then its step times."""
    home = Path(args.work) / "dagster_home"
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    exe = Path(sys.executable).with_name("distill-guard")
    cmd = [str(exe), "run", "--start", args.day, "--raw", args.raw, "--warehouse", args.work, "--engine", args.engine]
    if args.engine == "spark":  # Spark's own settings: master and the local driver's memory (default 1 GB)
        env = {
            **env,
            "DISTILL_GUARD_SPARK_MASTER": args.spark_master,
            "PYSPARK_SUBMIT_ARGS": f"--driver-memory {args.spark_memory} pyspark-shell",
        }
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, text=True)
        tree_peak_mb = _tree_peak_mb(proc)
        total = time.perf_counter() - t
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed:\n{err.read()[-3000:]}")
    child_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    run = _run_steps(home)
    return {
        "seconds": total,
        **run,
        "feature_seconds": sum(run["steps"].get(k, 0.0) for k in FEATURE_STEPS),
        "child_peak_rss_mb": child_peak_mb,
        "tree_peak_rss_mb": tree_peak_mb,
    }


def _tree_peak_mb(proc: subprocess.Popen, every: float = 0.25) -> float:
    """Wait for ``proc``; the largest sum of resident memory over it and its descendants (its Great Expectations
    checker among them), sampled from /proc every ``every`` seconds (0 where /proc is not there)."""
    peak = 0.0
    while proc.poll() is None:
        tree, i = [proc.pid], 0
        while i < len(tree):
            tree += _children(tree[i])
            i += 1
        peak = max(peak, sum(_rss_mb(pid) for pid in tree))
        time.sleep(every)
    return peak


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)


def backfill(args) -> dict:
    """What each day of a replay costs beyond the process's start: `distill-guard run` over the first day of
    ``--raw``, then over its first ``--days`` days, each in one process and a fresh warehouse; the difference per
    added day is the per-day cost of a backfill (mostly fixed on days this small)."""
    import duckdb

    from features.raw import RawWarehouse

    raw = RawWarehouse(args.raw)
    days = [d.isoformat() for d in raw.days("requests")[: args.days]]
    exe = Path(sys.executable).with_name("distill-guard")
    seconds = {}
    for last in (days[0], days[-1]):
        work = Path(args.work) / f"backfill-{last}"
        env = {**os.environ, "DAGSTER_HOME": str(work / "dagster_home")}
        cmd = [str(exe), "run", "--start", days[0], "--end", last, "--raw", args.raw, "--warehouse", str(work)]
        t = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        seconds[last] = time.perf_counter() - t
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    files = [f for d in days for f in raw.files("requests", date.fromisoformat(d))]
    requests = duckdb.connect().execute("select count(*) from read_parquet($f)", {"f": files}).fetchone()[0]
    return {
        "days": len(days),
        "requests_per_day": requests / len(days),
        "one_day_seconds": seconds[days[0]],
        "seconds": seconds[days[-1]],
        "per_added_day": (seconds[days[-1]] - seconds[days[0]]) / (len(days) - 1),
    }


def _run_steps(home: Path, run_id: str = "") -> dict:
    """Run ``run_id`` (else the latest run) of the instance at ``home``: job, step times, run start to end."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(home))
    run = instance.get_run_by_id(run_id) if run_id else instance.get_runs(limit=1)[0]
    stats = instance.get_run_step_stats(run.run_id)
    run_stats = instance.get_run_stats(run.run_id)
    return {
        "job": run.job_name,
        "status": run.status.value,
        "steps": {s.step_key: (s.end_time - s.start_time) for s in stats if s.end_time and s.start_time},
        "run_seconds": run_stats.end_time - run_stats.start_time,
        "launched_to_end": run_stats.end_time - run_stats.launch_time if run_stats.launch_time else None,
    }


def ui_run(args) -> dict:
    """The day launched as a user launches it from the UI: `distill-guard ui` (webserver and daemon), then the
    `nightly` job for the day's partition through the webserver's GraphQL API (the UI's own launch call).
    Seconds: from the launch call to the run's end, as the user waits for it."""
    import socket
    import urllib.request

    from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    home = Path(args.work) / "dagster_home"
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    exe = Path(sys.executable).with_name("distill-guard")
    cmd = [str(exe), "ui", "--raw", args.raw, "--warehouse", args.work, "--port", str(port), "--host", "127.0.0.1"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    server = subprocess.Popen(cmd, env=env, start_new_session=True, **quiet)
    try:
        client = DagsterGraphQLClient("127.0.0.1", port_number=port)
        deadline = time.monotonic() + 300
        while True:  # the webserver answers, then its code location loads
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                t = time.perf_counter()
                run_id = client.submit_job_execution("nightly", tags={"dagster/partition": args.day})
                break
            except (OSError, DagsterGraphQLClientError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"{' '.join(cmd)}: no UI to launch from on port {port}") from None
                time.sleep(0.2)
        while (status := client.get_run_status(run_id).value) not in ("SUCCESS", "FAILURE", "CANCELED"):
            time.sleep(0.1)
        total = time.perf_counter() - t
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=60)
    if status != "SUCCESS":
        raise SystemExit(f"UI-launched run {run_id}: {status}")
    return {"seconds": total, "run_id": run_id, **_run_steps(home, run_id)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("stage", choices=["simulate", "scan_floor", "cli_run", "ui_run", "backfill"])
    p.add_argument("--raw", required=True)
    p.add_argument("--work", default="")
    p.add_argument("--day", default="2026-03-10")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--corpus", default="")
    p.add_argument("--text-profile", choices=["simulator", "api"], default="simulator")
    p.add_argument("--engine", choices=["embedded", "spark"], default="embedded")
    p.add_argument("--spark-master", default="local[2]")
    p.add_argument("--spark-memory", default="4g")
    p.add_argument("--days", type=int, default=5, help="backfill: days of --raw to replay")
    args = p.parse_args()
    out = globals()[args.stage](args)
    out.update({"stage": args.stage, "peak_rss_mb": peak_mb()})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
