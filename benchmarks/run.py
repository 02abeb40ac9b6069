"""Rerunnable benchmark: simulator, feature stage (vs a plain DuckDB scan), and the Dagster day run.

    python -m benchmarks.run                 # 1M and 10M requests in one day (several minutes)
    python -m benchmarks.run --sizes 1e5,1e6 # quicker

Each measurement runs in its own process; figures go to stdout and to benchmarks/results.md.
Nothing here asserts: tests assert behaviour, this measures.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Requests per simulated day per unit of scale (measured: 913,925 at scale 5.707 with seed 1 on 2026-03-10;
# volume is linear in scale).
REQUESTS_PER_SCALE = 160_150


def stage(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.stage", *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="1e6,1e7", help="target requests per day, comma separated")
    p.add_argument("--pipeline-size", type=float, default=1e6, help="day size for the Dagster run and overhead comparison")
    p.add_argument("--out", default=str(Path(__file__).with_name("results.md")))
    p.add_argument("--workdir", default="", help="scratch folder (default: a temporary one)")
    args = p.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="dg-bench-"))
    rows, pipeline_rows = [], {}
    for size in [float(s) for s in args.sizes.split(",")]:
        scale = size / REQUESTS_PER_SCALE
        raw = work / f"raw-{int(size)}"
        shutil.rmtree(raw, ignore_errors=True)
        sim = stage("simulate", "--raw", str(raw), "--scale", f"{scale:.4f}")
        floor = stage("scan_floor", "--raw", str(raw))
        feat = stage("features", "--raw", str(raw), "--work", str(work / f"store-{int(size)}"))
        rows.append({"target": size, "sim": sim, "floor": floor, "features": feat})
        print(json.dumps(rows[-1]), flush=True)
        if size == args.pipeline_size:
            pipe = stage("pipeline", "--raw", str(raw), "--work", str(work / f"wh-dagster-{int(size)}"))
            direct = stage("direct", "--raw", str(raw), "--work", str(work / f"wh-direct-{int(size)}"))
            pipeline_rows = {"requests": sim["requests"], "dagster": pipe, "direct": direct}
            print(json.dumps(pipeline_rows), flush=True)
        shutil.rmtree(work / f"store-{int(size)}", ignore_errors=True)
    Path(args.out).write_text(render(rows, pipeline_rows))
    print(f"wrote {args.out}")


def render(rows: list[dict], pipe: dict) -> str:
    cpu = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    lines = ["# Benchmark results", "", f"Machine: {cpu}. Regenerate with `make benchmark` (python -m benchmarks.run).", "",
             "## Simulator and feature stage (one day)", "",
             "| requests | simulate s | simulate req/s | simulate peak MB | feature stage s | feature req/s | feature peak MB | DuckDB scan floor s | ratio to floor | derive s | account-day SQL s | coordination s | window+join s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s, f, fl = r["sim"], r["features"], r["floor"]
        st = f["steps"]
        lines.append(
            f"| {s['requests']:,} | {s['seconds']:.1f} | {s['requests'] / s['seconds']:,.0f} | {s['peak_rss_mb']:,.0f} | "
            f"{f['seconds']:.1f} | {f['requests'] / f['seconds']:,.0f} | {f['peak_rss_mb']:,.0f} | {fl['seconds']:.2f} | "
            f"{f['seconds'] / fl['seconds']:.0f}x | {st['derive (Polars)']:.1f} | {st['account-day SQL (DuckDB)']:.1f} | "
            f"{st['coordination']:.1f} | {st['7-day window + join']:.1f} |")
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        growth = (b["features"]["seconds"] / a["features"]["seconds"]) / (b["features"]["requests"] / a["features"]["requests"])
        lines += ["", f"Cost growth: feature-stage time per request at {b['features']['requests']:,} is {growth:.2f}x that at "
                      f"{a['features']['requests']:,} (1.00 = linear)."]
    if pipe:
        d, x = pipe["dagster"], pipe["direct"]
        lines += ["", f"## `distill-guard run` for one day of {pipe['requests']:,} requests", "",
                  f"Through Dagster (in-process materialisation, checks included): {d['seconds']:.1f} s, peak {d['peak_rss_mb']:,.0f} MB. "
                  f"The same work through the libraries directly (contract checks, features, cold-start scoring, policy, publication; "
                  f"no GX suites): {x['seconds']:.1f} s, peak {x['peak_rss_mb']:,.0f} MB. "
                  f"Dagster and GX overhead: {d['seconds'] - x['seconds']:.1f} s.", "",
                  "| step | seconds |", "|---|---|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in sorted(d["steps"].items(), key=lambda kv: -kv[1])]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
