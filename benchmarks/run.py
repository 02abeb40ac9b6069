"""Rerunnable benchmark: simulated days with API-like prompt text, each run through `distill-guard run`.

    python -m benchmarks.run                          # 1M and 10M requests a day (many minutes on 2 cores)
    python -m benchmarks.run --sizes 1e6 --no-write   # quicker, prints only

With the public corpora present (``../shared/corpora`` or DISTILL_GUARD_CORPORA) the simulator draws real text
and the day is reshaped to API-like prompt lengths (benchmarks/text_profile.py); the bundled sample is never
touched. Per size it measures: simulation, a DuckDB scan of the same request columns (the floor), and the day
through the real `nightly` job in a fresh process, with step times from Dagster's step events. Each
measurement runs in its own process. Nothing here asserts: tests assert behaviour, this measures.
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
    out = subprocess.run([sys.executable, "-m", "benchmarks.stage", *args], capture_output=True, text=True, cwd=REPO, check=False)
    if out.returncode != 0:
        raise SystemExit(f"benchmarks.stage {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def default_corpus() -> str:
    path = Path(os.environ.get("DISTILL_GUARD_CORPORA") or REPO.parent / "shared" / "corpora")
    return str(path) if (path / "README.md").exists() else ""


def measure(size: float, work: Path, corpus: str, profile: str) -> dict:
    raw, wh = work / f"raw-{int(size)}", work / f"wh-{int(size)}"
    shutil.rmtree(raw, ignore_errors=True)
    shutil.rmtree(wh, ignore_errors=True)
    extra = ["--corpus", corpus, "--text-profile", profile] if corpus else []
    sim = stage("simulate", "--raw", str(raw), "--scale", f"{size / REQUESTS_PER_SCALE:.4f}", *extra)
    floor = stage("scan_floor", "--raw", str(raw))
    run = stage("cli_run", "--raw", str(raw), "--work", str(wh))
    shutil.rmtree(wh, ignore_errors=True)
    shutil.rmtree(raw, ignore_errors=True)
    return {"target": size, "sim": sim, "floor": floor, "run": run}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="1e6,1e7", help="target requests per day, comma separated")
    p.add_argument("--corpus", default=default_corpus(), help="public corpora folder ('' for simulator text only)")
    p.add_argument("--text-profile", choices=["api", "simulator"], default="api")
    p.add_argument("--out", default=str(Path(__file__).with_name("results.md")))
    p.add_argument("--no-write", action="store_true")
    p.add_argument("--workdir", default="", help="scratch folder (default: a temporary one)")
    args = p.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="dg-bench-"))
    if args.corpus and not (Path(args.corpus) / "README.md").exists():
        raise SystemExit(f"--corpus {args.corpus}: no corpora there (pass --corpus '' for simulator text only)")
    args.corpus = str(Path(args.corpus).resolve()) if args.corpus else ""
    profile = args.text_profile if args.corpus else "simulator"
    overhead = measure(OVERHEAD_SIZE, work, args.corpus, profile)
    print(json.dumps(overhead), flush=True)
    rows = []
    for size in [float(s) for s in args.sizes.split(",")]:
        rows.append(measure(size, work, args.corpus, profile))
        print(json.dumps(rows[-1]), flush=True)
    text = render(rows, overhead, args, profile)
    print(text)
    if not args.no_write:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")


def render(rows: list[dict], overhead: dict, args, profile: str) -> str:
    cpu = f"{os.cpu_count()} cores visible, {platform.machine()}, Python {platform.python_version()}"
    cmd = f"python -m benchmarks.run --sizes {args.sizes}" + (f" --corpus {args.corpus}" if args.corpus else "")
    lines = ["# Benchmark results", "", f"Machine: {cpu}. Command: `{cmd}` (text profile: {profile}).", "",
             ("| requests | prompt MB | median / p90 chars | scan floor s | feature stage s | feature req/s | "
              "`distill-guard run` s | run / floor | run peak MB | fixed s (run - steps) |"),
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s, fl, run = r["sim"], r["floor"], r["run"]
        t = s.get("text", {})
        fixed = run["seconds"] - sum(run["steps"].values())
        lines.append(
            f"| {s['requests']:,} | {t.get('prompt_mb', 0):,.0f} | {t.get('median', 0):.0f} / {t.get('p90', 0):.0f} | "
            f"{fl['seconds']:.2f} | {run['feature_seconds']:.1f} | {s['requests'] / run['feature_seconds']:,.0f} | "
            f"{run['seconds']:.1f} | {run['seconds'] / fl['seconds']:.0f}x | {run['child_peak_rss_mb']:,.0f} | {fixed:.1f} |")
    o = overhead["run"]
    lines += ["", (f"Fixed per-day cost: `distill-guard run` on a day of {overhead['sim']['requests']:,} requests takes "
                   f"{o['seconds']:.1f} s end to end (process start and imports included), of which steps "
                   f"{sum(o['steps'].values()):.1f} s; job `{o['job']}`.")]
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        n = b["sim"]["requests"] / a["sim"]["requests"]
        feat = (b["run"]["feature_seconds"] / a["run"]["feature_seconds"]) / n
        total = (b["run"]["seconds"] / a["run"]["seconds"]) / n
        lines += ["", (f"Cost growth per request from {a['sim']['requests']:,} to {b['sim']['requests']:,}: feature stage "
                       f"{feat:.2f}x, whole run {total:.2f}x (1.00 = linear).")]
    for r in rows:
        lines += ["", f"### Steps at {r['sim']['requests']:,} requests (seconds, from Dagster step events)", "",
                  "| step | seconds |", "|---|---|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in sorted(r["run"]["steps"].items(), key=lambda kv: -kv[1])]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
