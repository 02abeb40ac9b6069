"""Rerunnable benchmark: simulated days with API-like prompt text, each run through `distill-guard run`.

    python -m benchmarks.run                          # 1M and 10M requests a day (many minutes on 2 cores)
    python -m benchmarks.run --sizes 1e6 --no-write   # quicker, prints only
    python -m benchmarks.run --sizes 1e6 --engines embedded,spark --out benchmarks/results_spark.md

With the public corpora present (``../shared/corpora`` or DISTILL_GUARD_CORPORA) the simulator draws real text
and the day is reshaped to API-like prompt lengths (benchmarks/text_profile.py). Per size it measures:
simulation, a DuckDB scan of the same request columns (the floor), and the day through the real `nightly` job
in a fresh process, with step times from Dagster's step events. A backfill of the bundled sample's first days
(read only, into fresh warehouses) gives what each added day of a replay costs. Each measurement runs in its
own process. Nothing here asserts: tests assert behaviour, this measures.
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

REPO = Path(__file__).resolve().parents[1]
# Requests per simulated day per unit of scale (measured: 913,925 at scale 5.707 with seed 1 on 2026-03-10;
# volume is linear in scale).
REQUESTS_PER_SCALE = 160_150
OVERHEAD_SIZE = 2e4  # a day this small is nearly all fixed cost


def stage(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.stage", *args], capture_output=True, text=True, cwd=REPO, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmarks.stage {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def default_corpus() -> str:
    path = Path(os.environ.get("DISTILL_GUARD_CORPORA") or REPO.parent / "shared" / "corpora")
    return str(path) if (path / "README.md").exists() else ""


def measure(
    size: float, work: Path, corpus: str, profile: str, engines: list[str], spark_master: str, ui: bool = False
) -> list[dict]:
    """One simulated day of ``size`` requests, run through `distill-guard run` by each engine in turn (and with
    ``ui``, launched from the UI as well, embedded engine)."""
    raw = work / f"raw-{int(size)}"
    shutil.rmtree(raw, ignore_errors=True)
    extra = ["--corpus", corpus, "--text-profile", profile] if corpus else []
    sim = stage("simulate", "--raw", str(raw), "--scale", f"{size / REQUESTS_PER_SCALE:.4f}", *extra)
    floor = stage("scan_floor", "--raw", str(raw))
    rows = []
    for engine in engines:
        wh = work / f"wh-{int(size)}-{engine}"
        shutil.rmtree(wh, ignore_errors=True)
        run = stage("cli_run", "--raw", str(raw), "--work", str(wh), "--engine", engine, "--spark-master", spark_master)
        shutil.rmtree(wh, ignore_errors=True)
        rows.append({"target": size, "engine": engine, "sim": sim, "floor": floor, "run": run})
        if ui and engine == "embedded":
            wh = work / f"wh-{int(size)}-ui"
            shutil.rmtree(wh, ignore_errors=True)
            rows[-1]["ui"] = stage("ui_run", "--raw", str(raw), "--work", str(wh))
            shutil.rmtree(wh, ignore_errors=True)
    shutil.rmtree(raw, ignore_errors=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="1e6,1e7", help="target requests per day, comma separated")
    p.add_argument("--corpus", default=default_corpus(), help="public corpora folder ('' for simulator text only)")
    p.add_argument("--text-profile", choices=["api", "simulator"], default="api")
    p.add_argument("--out", default=str(Path(__file__).with_name("results.md")))
    p.add_argument("--no-write", action="store_true")
    p.add_argument("--workdir", default="", help="scratch folder (default: a temporary one)")
    p.add_argument("--engines", default="embedded", help="feature engines to run each day through: embedded,spark")
    p.add_argument("--spark-master", default="local[2]", help="Spark master of the spark engine's runs")
    args = p.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="dg-bench-"))
    if args.corpus and not (Path(args.corpus) / "README.md").exists():
        raise SystemExit(f"--corpus {args.corpus}: no corpora there (pass --corpus '' for simulator text only)")
    args.corpus = str(Path(args.corpus).resolve()) if args.corpus else ""
    profile = args.text_profile if args.corpus else "simulator"
    engines = args.engines.split(",")
    overhead = measure(OVERHEAD_SIZE, work, args.corpus, profile, engines, args.spark_master, ui=True)
    print(json.dumps(overhead), flush=True)
    replay = stage("backfill", "--raw", str(REPO / "data_samples" / "raw"), "--work", str(work / "backfill"))
    print(json.dumps(replay), flush=True)
    rows = []
    for size in [float(s) for s in args.sizes.split(",")]:
        rows += measure(size, work, args.corpus, profile, engines, args.spark_master)
        print(json.dumps(rows[-len(engines) :]), flush=True)
    text = render(rows, overhead, replay, args, profile)
    print(text)
    if not args.no_write:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")


def _ui_sentence(o: dict) -> str:
    ui, ratio, ui_steps = o["ui"], o["ui"]["seconds"] / o["run"]["seconds"], sum(o["ui"]["steps"].values())
    return (
        f"Launched from the UI instead (`distill-guard ui`, the `{ui['job']}` job for the day launched "
        f"through the webserver's GraphQL API, as the UI's launch button does), the same day takes "
        f"{ui['seconds']:.1f} s from the launch call to the run's end, {ratio:.2f}x the CLI's; steps "
        f"{ui_steps:.1f} s, the run from its start {ui['run_seconds']:.1f} s."
    )


def _backfill_sentence(replay: dict) -> str:
    return (
        f"A backfill of the bundled sample's first {replay['days']} days ({replay['requests_per_day']:,.0f} "
        f"requests a day) in one `distill-guard run` takes {replay['seconds']:.1f} s, the first day alone "
        f"{replay['one_day_seconds']:.1f} s: each added day {replay['per_added_day']:.2f} s."
    )


PEAKS = (
    "Peak MB (driver): ru_maxrss of the `distill-guard run` process tree as the OS reports it for reaped "
    "children, the largest single process; Spark's JVM (driver and local executors) may not be counted in it. "
    "Peak MB (process tree): the largest sum of resident memory over the command and every process under it "
    "(its Great Expectations checker, Spark's JVM), sampled every 0.25 s."
)


def render(rows: list[dict], overhead: list[dict], replay: dict, args, profile: str) -> str:
    cpu = f"{os.cpu_count()} cores visible, {platform.machine()}, Python {platform.python_version()}"
    cmd = (
        f"python -m benchmarks.run --sizes {args.sizes} --engines {args.engines}"
        + (f" --spark-master '{args.spark_master}'" if "spark" in args.engines else "")
        # the corpus as a path relative to the checkout, so results name no machine's folders
        + (f" --corpus {os.path.relpath(args.corpus, REPO)}" if args.corpus else "")
    )
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {cpu}. Command: `{cmd}` (text profile: {profile}).",
        "",
        (
            "| requests | engine | prompt MB | median / p90 chars | scan floor s | feature stage s | feature req/s | "
            "`distill-guard run` s | run / floor | run peak MB (driver) | run peak MB (process tree) | "
            "fixed s (run - steps) |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s, fl, run = r["sim"], r["floor"], r["run"]
        t = s.get("text", {})
        fixed = run["seconds"] - sum(run["steps"].values())
        lines.append(
            f"| {s['requests']:,} | {r['engine']} | {t.get('prompt_mb', 0):,.0f} | {t.get('median', 0):.0f} / "
            f"{t.get('p90', 0):.0f} | {fl['seconds']:.2f} | {run['feature_seconds']:.1f} | "
            f"{s['requests'] / run['feature_seconds']:,.0f} | {run['seconds']:.1f} | "
            f"{run['seconds'] / fl['seconds']:.0f}x | {run['child_peak_rss_mb']:,.0f} | "
            f"{run.get('tree_peak_rss_mb', 0):,.0f} | {fixed:.1f} |"
        )
    for o in overhead:
        lines += [
            "",
            (
                f"Fixed per-day cost ({o['engine']}): `distill-guard run` on a day of {o['sim']['requests']:,} "
                f"requests takes {o['run']['seconds']:.1f} s end to end (process start and imports included), "
                f"of which steps {sum(o['run']['steps'].values()):.1f} s; job `{o['run']['job']}`."
            ),
        ]
        if "ui" in o:
            lines += ["", _ui_sentence(o)]
    lines += ["", _backfill_sentence(replay)]
    lines += ["", PEAKS]
    for engine in args.engines.split(","):
        lines += growth([r for r in rows if r["engine"] == engine], engine)
    for r in rows:
        lines += [
            "",
            f"### Steps at {r['sim']['requests']:,} requests, {r['engine']} engine (seconds, from Dagster step events)",
            "",
            "| step | seconds |",
            "|---|---|",
        ]
        lines += [f"| {k} | {v:.2f} |" for k, v in sorted(r["run"]["steps"].items(), key=lambda kv: -kv[1])]
    return "\n".join(lines) + "\n"


def growth(rows: list[dict], engine: str) -> list[str]:
    lines = []
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        n = b["sim"]["requests"] / a["sim"]["requests"]
        feat = (b["run"]["feature_seconds"] / a["run"]["feature_seconds"]) / n
        total = (b["run"]["seconds"] / a["run"]["seconds"]) / n
        lines += [
            "",
            (
                f"Cost growth per request ({engine}) from {a['sim']['requests']:,} to {b['sim']['requests']:,}: "
                f"feature stage {feat:.2f}x, whole run {total:.2f}x (1.00 = linear)."
            ),
        ]
    return lines


if __name__ == "__main__":
    main()
