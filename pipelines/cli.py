"""``distill-guard``: the command line over the same Dagster asset graph the schedule runs."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO_ROOT / "data_samples" / "raw"
SAMPLE_ARGS = {"start": date(2026, 3, 2), "days": 16, "scale": 0.03, "seed": 7}


def _quiet() -> None:
    # Dagster's beta and deprecation notices are for developers, not for the operator reading the output.
    warnings.filterwarnings("ignore")
    os.environ.setdefault("DAGSTER_LOGGING_LEVEL", "ERROR")
    import logging

    logging.getLogger("dagster").setLevel(logging.ERROR)


def _paths(args) -> tuple[str, str]:
    from pipelines.definitions import default_paths

    raw, wh = default_paths()
    return getattr(args, "raw", None) or raw, getattr(args, "warehouse", None) or wh


def _days(start: date, end: date) -> list[date]:
    if end < start:
        raise SystemExit(f"--end {end} is before --start {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def cmd_simulate(args) -> int:
    from simulator.generate import simulate

    t0 = time.perf_counter()
    summary = simulate(Path(args.out), args.start, args.days, args.scale, args.seed,
                       Path(args.corpus) if args.corpus else None, progress=not args.quiet, variant=args.variant)
    secs = time.perf_counter() - t0
    print(f"wrote {summary['requests']:,} requests, {summary['accounts']:,} accounts, {summary['labels']} labels, "
          f"{summary['campaigns']} campaigns to {args.out} in {secs:.1f}s (model release on {summary['release_date']})")
    return 0


def _runner(args):
    from pipelines.runner import Runner

    raw, wh = _paths(args)
    return Runner(raw, wh)


def cmd_run(args) -> int:
    from tqdm import tqdm

    from pipelines.runner import DayFailed

    runner = _runner(args)
    days = _days(args.start, args.end or args.start)
    for day in tqdm(days, desc="running days", unit="day", disable=len(days) < 2):
        try:
            runner.run_day(day)
        except DayFailed as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(f"published {len(days)} day(s) into {runner.warehouse.db_path}")
    return 0


def cmd_train(args) -> int:
    from pipelines.runner import DayFailed

    runner = _runner(args)
    try:
        meta = runner.train(args.as_of)
    except DayFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"trained {meta['version']} as of {meta['as_of']}: validation AUC {meta['validation_auc']:.4f}, "
          f"{meta['positive_accounts']} confirmed attacker accounts, {meta['account_days']} account-days")
    return 0


def cmd_query(args) -> int:
    import duckdb
    import polars as pl

    _, wh = _paths(args)
    db = Path(wh) / "distill_guard.duckdb"
    if not db.exists():
        print(f"error: {db} does not exist yet; run `distill-guard demo` or `distill-guard run` first", file=sys.stderr)
        return 1
    con = duckdb.connect(str(db), read_only=True)
    try:
        frame = con.sql(args.sql).pl()
    finally:
        con.close()
    with pl.Config(tbl_rows=args.limit, tbl_cols=-1, fmt_str_lengths=120, tbl_width_chars=220):
        print(frame)
    return 0


def cmd_ui(args) -> int:
    raw, wh = _paths(args)
    env = {**os.environ, "DISTILL_GUARD_RAW": raw, "DISTILL_GUARD_WAREHOUSE": wh}
    from pipelines.runner import ensure_instance_config

    home = Path(env.setdefault("DAGSTER_HOME", str(Path(wh).resolve() / "dagster_home")))
    ensure_instance_config(home)
    print(f"Dagster UI and daemon on the local instance at {home}; schedules and the labels sensor start RUNNING.")
    return subprocess.call([sys.executable, "-m", "dagster", "dev", "-m", "pipelines.definitions",
                            "-p", str(args.port), "-h", args.host], env=env, cwd=REPO_ROOT)


def cmd_demo(args) -> int:
    from pipelines.runner import DayFailed, replay

    raw, wh = _paths(args)
    if not Path(raw).exists() or not any(Path(raw).glob("requests/date=*")):
        print(f"error: no sample data at {raw}; regenerate it with `make sample`", file=sys.stderr)
        return 1
    runner = _runner(args)
    runner.warehouse.reset()
    days = runner.raw.days()
    print(f"distill-guard demo: {len(days)} sample days {days[0]} .. {days[-1]} from {raw}")
    try:
        trained = replay(runner, days, progress=lambda m: print(f"  {m}"))
    except DayFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(_demo_report(runner, days, trained))
    return 0


def _demo_report(runner, days, trained) -> str:
    import polars as pl

    from pipelines.publishing import summary_markdown

    wh = runner.warehouse
    last = days[-1]
    tables = {t: wh.read_published(t, last, last) for t in ("enforcement_actions", "account_scores", "clusters")}
    actions = wh.read_published("enforcement_actions", days[0], last)
    totals = actions.group_by("action").agg(accounts=pl.col("account_id").n_unique(), rows=pl.len()).sort("accounts", descending=True)
    lines = ["", summary_markdown(last, tables), "## Whole sample period", "",
             f"Detector last retrained as of {trained}, as reviewed labels arrived (cold-start rules before the first training)." if trained else "No model trained (too few labels): cold-start rules scored every day.",
             "Distinct accounts per action over all days:"]
    lines += [f"- {a}: {n} accounts ({r} account-days)" for a, n, r in totals.iter_rows()]
    lines += ["", f"Warehouse: {wh.db_path}",
              "Query it: distill-guard query \"select * from v_todays_actions limit 20\"",
              "Open the UI: distill-guard ui"]
    return "\n".join(lines)


def cmd_evaluate(args) -> int:
    corpus = Path(args.corpus) if args.corpus else None
    if args.seeds:
        from models.worlds import evaluate_worlds

        mode = args.corpus_mode or ("both" if corpus else "without")
        modes = {"without": [False], "with": [True], "both": [False, True]}[mode]
        if any(modes) and corpus is None:
            raise SystemExit("--corpus-mode with/both needs --corpus")
        path = evaluate_worlds(Path(args.out), args.seeds, args.days, args.scale, args.start, corpus, modes,
                               variant=args.variant or "wide", progress=print)
        print(f"evaluation summary: {path}")
        return 0
    from models.report import evaluate

    path = evaluate(Path(args.out), seed=args.seed, days=args.days, scale=args.scale, start=args.start, corpus=corpus,
                    variant=args.variant or "base")
    print(f"evaluation report: {path}")
    return 0


def _date(s: str) -> date:
    return date.fromisoformat(s)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="distill-guard", description="Find LLM distillation campaigns in API traffic logs.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("simulate", help="write simulated traffic in the log warehouse layout, with ground truth")
    s.add_argument("--out", required=True)
    s.add_argument("--start", type=_date, default=SAMPLE_ARGS["start"])
    s.add_argument("--days", type=int, default=SAMPLE_ARGS["days"])
    s.add_argument("--scale", type=float, default=SAMPLE_ARGS["scale"], help="1.0 is roughly 100k requests a day")
    s.add_argument("--seed", type=int, default=SAMPLE_ARGS["seed"])
    s.add_argument("--corpus", help="folder of public prompt corpora to draw real prompt text from")
    s.add_argument("--quiet", action="store_true")
    s.add_argument("--variant", choices=["base", "wide"], default="base",
                   help="base: the sample's populations; wide: look-alikes of every campaign type, randomised per "
                   "seed, and a release calendar")
    s.set_defaults(fn=cmd_simulate)

    for name, fn, helptext in [("run", cmd_run, "materialise every daily asset for each day in order (also the backfill command)"),
                               ("train", cmd_train, "train the detector point-in-time"),
                               ("query", cmd_query, "read-only SQL against the enforcement warehouse"),
                               ("ui", cmd_ui, "the Dagster UI and daemon on the local instance"),
                               ("demo", cmd_demo, "the main job on the bundled sample data")]:
        c = sub.add_parser(name, help=helptext)
        c.add_argument("--raw", help="raw log warehouse (default: $DISTILL_GUARD_RAW or data_samples/raw)")
        c.add_argument("--warehouse", help="enforcement warehouse folder (default: $DISTILL_GUARD_WAREHOUSE or warehouse/)")
        c.set_defaults(fn=fn)
        if name == "run":
            c.add_argument("--start", type=_date, required=True)
            c.add_argument("--end", type=_date)
        elif name == "train":
            c.add_argument("--as-of", type=_date, dest="as_of", help="default: the day after the latest featured day")
        elif name == "query":
            c.add_argument("sql")
            c.add_argument("--limit", type=int, default=50, help="rows to print")
        elif name == "ui":
            c.add_argument("--port", type=int, default=3000)
            c.add_argument("--host", default="127.0.0.1")

    e = sub.add_parser("evaluate", help="simulate an unseen seed, replay it, and write the evaluation report")
    e.add_argument("--out", default=str(REPO_ROOT / "reports" / "evaluation"))
    e.add_argument("--seed", type=int, default=11)
    e.add_argument("--days", type=int, default=21)
    e.add_argument("--scale", type=float, default=0.05)
    e.add_argument("--start", type=_date, default=date(2026, 4, 6))
    e.add_argument("--corpus", help="mix real prompt text from these corpora into the simulated traffic")
    e.add_argument("--seeds", type=int, nargs="+",
                   help="evaluate several worlds (one per seed, and per corpus mode) and "
                   "summarise the worst case and spread in <out>/summary.md")
    e.add_argument("--corpus-mode", choices=["without", "with", "both"],
                   help="with --seeds: worlds without, with or both "
                   "ways (default: both when --corpus is given)")
    e.add_argument("--variant", choices=["base", "wide"],
                   help="simulated world: base (the sample's populations) or wide "
                   "(look-alikes of every campaign type, randomised per seed); default wide with --seeds, else base")
    e.set_defaults(fn=cmd_evaluate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
