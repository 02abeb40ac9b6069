"""``distill-guard``: the command line over the same Dagster asset graph the schedule runs."""

from __future__ import annotations

import argparse
import gc
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
    summary = simulate(
        Path(args.out),
        args.start,
        args.days,
        args.scale,
        args.seed,
        Path(args.corpus) if args.corpus else None,
        progress=not args.quiet,
        variant=args.variant,
    )
    secs = time.perf_counter() - t0
    print(
        f"wrote {summary['requests']:,} requests, {summary['accounts']:,} accounts, {summary['labels']} labels, "
        f"{summary['campaigns']} campaigns to {args.out} in {secs:.1f}s (model release on {summary['release_date']})"
    )
    return 0


def _runner(args):
    from pipelines.runner import Runner

    raw, wh = _paths(args)
    return Runner(raw, wh, lock_wait=getattr(args, "wait", 0.0) or 0.0, engine=getattr(args, "engine", "") or "")


def _missing_input(runner, days: list[date]) -> str | None:
    """Why ``days`` cannot run from the raw root, in words an operator can act on; None when they can."""
    from features.objectstore import filesystem

    root = runner.raw_root
    fs, path = filesystem(root)
    if fs.get_file_info(path).type.name == "NotFound":
        return f"raw root {root} does not exist (set --raw or DISTILL_GUARD_RAW)"
    present = runner.raw.days()
    if not present:
        return f"raw root {root} holds no requests/date=YYYY-MM-DD partitions"
    absent = [d for d in days if d not in present]
    if absent:
        return (
            f"no requests partition for {', '.join(map(str, absent[:5]))}{' ...' if len(absent) > 5 else ''} "
            f"under {root}; days present: {_spans(present)}"
        )
    return None


def _spans(days: list[date]) -> str:
    """``2026-03-02 .. 2026-03-17 (16 days)``, with gaps shown as separate spans."""
    spans, first = [], days[0]
    for prev, cur in zip(days, days[1:] + [None], strict=False):
        if cur is None or (cur - prev).days != 1:
            spans.append(str(first) if first == prev else f"{first} .. {prev}")
            first = cur
    return f"{', '.join(spans)} ({len(days)} days)"


def cmd_run(args) -> int:
    from pipelines.lock import WarehouseBusy, writer_lock
    from pipelines.resources import ManifestError
    from pipelines.runner import DayFailed, DependencyError, run_days

    runner = _runner(args)
    days = _days(args.start, args.end or args.start)
    problem = _missing_input(runner, days)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        with writer_lock(runner.warehouse.path, runner.lock_wait):  # the whole range, not day by day
            done = run_days(
                runner,
                days,
                cascade=args.cascade,
                allow_gap=args.allow_gap,
                model=args.model or "",
                reason=args.reason or "",
                progress=print if len(days) > 1 or args.cascade else None,
            )
    except (DayFailed, DependencyError, WarehouseBusy, ManifestError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"published {len(done)} day(s) into {runner.warehouse.db_path}")
    return 0


def cmd_train(args) -> int:
    from pipelines.lock import WarehouseBusy
    from pipelines.runner import DayFailed

    runner = _runner(args)
    try:
        meta = runner.train(args.as_of)
    except (DayFailed, WarehouseBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    auc = meta["validation_auc"]
    print(
        f"trained {meta['version']} as of {meta['as_of']}: validation AUC "
        f"{auc if isinstance(auc, str) else f'{auc:.4f}'} ({meta['validation_positives']} positive, "
        f"{meta['validation_negatives']} negative rows), {meta['positive_accounts']} confirmed attacker accounts, "
        f"{meta['account_days']} account-days"
    )
    if not meta["promoted"]:
        print(f"not promoted: the promotion gate failed; {meta['current']} keeps scoring:\n{meta['gate']}")
        return 2
    print(f"promoted: {meta['version']} is current (was {meta['previous']})")
    return 0


def cmd_query(args) -> int:
    import duckdb

    from pipelines.analyst import QueryRefused, run_query

    _, wh = _paths(args)
    db = Path(wh) / "distill_guard.duckdb"
    if not db.exists():
        print(f"error: {db} does not exist yet; run `distill-guard demo` or `distill-guard run` first", file=sys.stderr)
        return 1
    if args.format == "parquet" and not args.output:
        print("error: --format parquet needs --output FILE", file=sys.stderr)
        return 2
    try:
        frame = run_query(db, args.sql)
    except QueryRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 1
    _write_result(frame, args.format, args.output, args.limit)
    return 0


def _one_line(exc: Exception) -> str:
    """DuckDB errors span lines (caret context); the operator needs the class and the first line."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"


def _write_result(frame, fmt: str, output: str | None, limit: int) -> None:
    """Table output shows ``limit`` rows and says so when there are more; files and other formats get every row."""
    import io
    import json

    import polars as pl

    if fmt == "table":
        shown = frame.head(limit)
        with pl.Config(
            tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=10_000, fmt_table_cell_list_len=-1, tbl_width_chars=60_000
        ):
            text = str(shown)
        if frame.height > shown.height:
            text += f"\n({shown.height} of {frame.height} rows shown; --limit N or --format csv for more)"
        _emit(text + "\n", output)
    elif fmt == "parquet":
        frame.write_parquet(output)
    elif fmt == "json":
        rows = frame.to_dicts()
        _emit(json.dumps(rows, default=str, indent=None) + "\n", output)
    else:
        # Nested cells (reasons, indicators) become JSON text, so no separator inside a value can split it.
        def to_json(v) -> str:
            return json.dumps(v.to_list() if hasattr(v, "to_list") else v, default=str)

        flat = frame.with_columns(
            pl.col(c).map_elements(to_json, return_dtype=pl.String) for c, t in frame.schema.items() if t.is_nested()
        )
        buf = io.StringIO()
        flat.write_csv(buf)
        _emit(buf.getvalue(), output)


def _emit(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text)
    else:
        sys.stdout.write(text)


def cmd_ui(args) -> int:
    raw, wh = _paths(args)
    env = {**os.environ, "DISTILL_GUARD_RAW": raw, "DISTILL_GUARD_WAREHOUSE": wh}
    from pipelines.runner import ensure_instance_config

    home = Path(env.setdefault("DAGSTER_HOME", str(Path(wh).resolve() / "dagster_home")))
    ensure_instance_config(home)
    print(f"Dagster UI and daemon on the local instance at {home}; schedules and the labels sensor start RUNNING.")
    return subprocess.call(
        [sys.executable, "-m", "dagster", "dev", "-m", "pipelines.location", "-p", str(args.port), "-h", args.host],
        env=env,
        cwd=REPO_ROOT,
    )


def cmd_demo(args) -> int:
    from features.raw import LayoutError, PartitionNotReady
    from pipelines.lock import WarehouseBusy, writer_lock
    from pipelines.runner import DayFailed, replay

    raw, _ = _paths(args)
    runner = _runner(args)
    try:
        days = _demo_input(runner, raw)  # before anything in the warehouse is touched
        with writer_lock(runner.warehouse.path, runner.lock_wait):
            if args.keep:
                print(f"keeping the warehouse at {runner.warehouse.path} (--keep): days already published are re-run")
            else:
                print(
                    f"resetting the warehouse at {runner.warehouse.path}: published tables, working state and "
                    "models are removed (Dagster run history stays); pass --keep to keep them"
                )
                runner.warehouse.reset()
            print(f"distill-guard demo: {len(days)} sample days {days[0]} .. {days[-1]} from {raw}")
            trained = replay(runner, days, progress=lambda m: print(f"  {m}"))
    except (DayFailed, WarehouseBusy, LayoutError, PartitionNotReady) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(_demo_report(runner, days, trained))
    return 0


def _demo_input(runner, raw: str) -> list:
    """The demo's days, with every partition listed and readable-looking, or LayoutError naming what is wrong."""
    from features.raw import LayoutError

    days = runner.raw.days() if Path(raw).exists() else []
    if not days:
        raise LayoutError(
            f"{raw}: no sample data (no requests/date=YYYY-MM-DD partition); regenerate it with `make sample`"
        )
    for table in ("requests", "accounts"):
        for day in days:
            runner.raw.ready_files(table, day)
    runner.raw.files("labels")
    runner.raw.files("allowlist")
    return days


def _demo_report(runner, days, trained) -> str:
    import polars as pl

    from pipelines.publishing import summary_markdown

    wh = runner.warehouse
    last = days[-1]
    tables = {t: wh.read_published(t, last, last) for t in ("enforcement_actions", "account_scores", "clusters")}
    actions = wh.read_published("enforcement_actions", days[0], last)
    totals = (
        actions.group_by("action")
        .agg(accounts=pl.col("account_id").n_unique(), rows=pl.len())
        .sort("accounts", descending=True)
    )
    lines = [
        "",
        summary_markdown(last, tables),
        "## Whole sample period",
        "",
        (
            f"Detector last retrained as of {trained}, as reviewed labels arrived "
            "(cold-start rules before the first training)."
        )
        if trained
        else "No model trained (too few labels): cold-start rules scored every day.",
        f"Current model: {_current_model(wh)} (versions, gate verdicts and promotion log: distill-guard models).",
        "Distinct accounts per action over all days:",
    ]
    lines += [f"- {a}: {n} accounts ({r} account-days)" for a, n, r in totals.iter_rows()]
    lines += [
        "",
        f"Warehouse: {wh.db_path}",
        'Query it: distill-guard query "select * from v_todays_actions limit 20"',
        "Open the UI: distill-guard ui",
    ]
    return "\n".join(lines)


def _current_model(wh) -> str:
    from models.registry import Registry

    return Registry(wh.models_dir).current() or "none, the cold-start rules"


def cmd_repair_manifest(args) -> int:
    from pipelines.lock import WarehouseBusy
    from pipelines.resources import EnforcementWarehouse

    _, wh = _paths(args)
    warehouse = EnforcementWarehouse(folder=wh, lock_wait_s=args.wait)
    try:
        manifest = warehouse.repair_manifest()
    except WarehouseBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    days = sorted(set().union(*(set(d) for d in manifest.values())))
    print(
        f"rebuilt {warehouse.path / 'published' / 'manifest.json'} from the published files: {len(days)} day(s)"
        + (f", {days[0]} .. {days[-1]}" if days else "")
        + f"; database {warehouse.db_path} rebuilt"
    )
    return 0


def cmd_evaluate(args) -> int:
    from pipelines.evaluation import check_train_once, evaluate, evaluate_worlds

    corpus = Path(args.corpus) if args.corpus else None
    try:
        check_train_once(args.train_once, args.days)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.seeds:
        mode = args.corpus_mode or ("both" if corpus else "without")
        modes = {"without": [False], "with": [True], "both": [False, True]}[mode]
        if any(modes) and corpus is None:
            raise SystemExit("--corpus-mode with/both needs --corpus")
        path = evaluate_worlds(
            Path(args.out),
            args.seeds,
            args.days,
            args.scale,
            args.start,
            corpus,
            modes,
            variant=args.variant or "wide",
            progress=print,
            release_calendar=not args.no_release_calendar,
            train_once=args.train_once,
        )
        print(f"evaluation summary: {path}")
        return 0
    path = evaluate(
        Path(args.out),
        seed=args.seed,
        days=args.days,
        scale=args.scale,
        start=args.start,
        corpus=corpus,
        variant=args.variant or "base",
        release_calendar=not args.no_release_calendar,
        train_once=args.train_once,
    )
    print(f"evaluation report: {path}")
    return 0


def cmd_models(args) -> int:
    from models.registry import Registry

    _, wh = _paths(args)
    reg = Registry(Path(wh) / "models")
    current = reg.current()
    print(f"current: {current or 'none (cold-start rules)'}\n\nversions:")
    for m in reg.versions():
        met, gate = m["metrics"], reg.gate(m["version"])
        auc = "unmeasured" if met.get("validation_auc") is None else f"{met['validation_auc']:.4f}"
        verdict = (
            "gate not run"
            if gate is None
            else ("gate passed" if gate["passed"] else "gate failed: " + "; ".join(gate["failures"]))
        )
        print(
            f"{'*' if m['version'] == current else ' '} {m['version']}  as of {m['as_of']}  window "
            f"{m['training_window'][0]}..{m['training_window'][1]}  "
            f"label cutoff {m.get('label_cutoff', m['as_of'])}  "
            f"AUC {auc}  val +{met['validation_positives']}/-{met.get('validation_negatives', '?')}  "
            f"features {len(m['features'])}  {verdict}"
        )
    print("\npromotion log:")
    for e in reg.promotions():
        print(
            f"  {e['promoted_at']}  {e['action']:<8} {e['version']}  (was {e['previous']})  by {e['by']}: {e['reason']}"
        )
    return 0


def cmd_promote(args) -> int:
    from models.registry import Registry, RegistryError

    _, wh = _paths(args)
    reg = Registry(Path(wh) / "models")
    try:
        gate = reg.gate(args.version) if reg.metadata(args.version) else None
        if (gate is None or not gate["passed"]) and not args.force:
            why = "it was never gated" if gate is None else "its gate failed: " + "; ".join(gate["failures"])
            print(
                f"error: not promoting {args.version}: {why}; pass --force with --reason to override", file=sys.stderr
            )
            return 1
        entry = reg.promote(args.version, by=f"cli ({os.environ.get('USER', 'unknown')})", reason=args.reason or "")
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"current: {entry['version']} (was {entry['previous']})")
    return 0


def cmd_rollback(args) -> int:
    from models.registry import Registry, RegistryError

    _, wh = _paths(args)
    try:
        entry = Registry(Path(wh) / "models").rollback(
            by=f"cli ({os.environ.get('USER', 'unknown')})", reason=args.reason or ""
        )
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"current: {entry['version']} (rolled back from {entry['previous']})")
    return 0


def cmd_replay(args) -> int:
    from pipelines.lock import WarehouseBusy
    from pipelines.resources import ManifestError
    from pipelines.runner import DayFailed, run_scenario

    runner = _runner(args)
    days = _days(args.start, args.end or args.start)
    problem = _missing_input(runner, days)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        run_scenario(runner, days, args.scenario, args.model, progress=print)
    except (DayFailed, ValueError, WarehouseBusy, ManifestError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"scenario {args.scenario}: {len(days)} day(s) beside the published history in {runner.warehouse.db_path}\n"
        f'compare: distill-guard query "select change, count(*) from v_scenario_action_changes '
        f"where scenario = '{args.scenario}' group by 1\""
    )
    return 0


def cmd_export_stix(args) -> int:
    from features.sharing import SharingKeyMissing
    from pipelines.sharing import export_stix

    runner = _runner(args)
    try:
        counts = export_stix(runner.raw, runner.warehouse, args.start, args.end, Path(args.out), tlp=args.tlp)
    except (SharingKeyMissing, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote STIX 2.1 bundle {args.out}: " + ", ".join(f"{n} {t}" for t, n in sorted(counts.items())))
    return 0


def cmd_import_stix(args) -> int:
    from pipelines.sharing import import_stix

    runner = _runner(args)
    try:
        rows = import_stix(runner.warehouse, Path(args.bundle))
    except (OSError, ValueError) as exc:  # stix2 raises ValueError subclasses for invalid bundles
        print(f"error: {args.bundle}: {exc}", file=sys.stderr)
        return 1
    kinds = rows.group_by("kind").len().sort("kind")
    print(
        f"imported {rows.height} partner indicator(s) from {args.bundle} into {runner.warehouse.path / 'partners'}: "
        + (", ".join(f"{n} {k}" for k, n in kinds.iter_rows()) or "none we can match")
    )
    return 0


DATE_HELP = "a UTC day as YYYY-MM-DD, e.g. 2026-03-02"


def _date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{s}' is not a day: use YYYY-MM-DD, e.g. 2026-03-02") from None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("distill-guard")
    except PackageNotFoundError:
        return "unknown (not installed)"


# Long on purpose: every subcommand and flag in one flat declaration, read top to bottom like --help.
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="distill-guard", description="Find LLM distillation campaigns in API traffic logs."
    )
    p.add_argument("--version", action="version", version=f"distill-guard {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("simulate", help="write simulated traffic in the log warehouse layout, with ground truth")
    s.add_argument("--out", required=True)
    s.add_argument("--start", type=_date, default=SAMPLE_ARGS["start"], help=f"first simulated day: {DATE_HELP}")
    s.add_argument("--days", type=int, default=SAMPLE_ARGS["days"])
    s.add_argument("--scale", type=float, default=SAMPLE_ARGS["scale"], help="1.0 is roughly 100k requests a day")
    s.add_argument("--seed", type=int, default=SAMPLE_ARGS["seed"])
    s.add_argument("--corpus", help="folder of public prompt corpora to draw real prompt text from")
    s.add_argument("--quiet", action="store_true")
    s.add_argument(
        "--variant",
        choices=["base", "wide", "multilingual"],
        default="base",
        help="base: the sample's populations; wide: look-alikes of every campaign type, randomised per "
        "seed, and a release calendar; multilingual: the wide world with accounts writing in nine languages",
    )
    s.set_defaults(fn=cmd_simulate)

    for name, fn, helptext in [
        ("run", cmd_run, "materialise every daily asset for each day in order (also the backfill command)"),
        ("train", cmd_train, "train the detector point-in-time"),
        ("query", cmd_query, "read-only SQL against the enforcement warehouse"),
        ("ui", cmd_ui, "the Dagster UI and daemon on the local instance"),
        ("demo", cmd_demo, "the main job on the bundled sample data"),
        ("models", cmd_models, "model versions, metrics, gate verdicts and the promotion log"),
        ("promote", cmd_promote, "make a model version current (recorded)"),
        ("rollback", cmd_rollback, "undo the last promotion (recorded)"),
        ("replay", cmd_replay, "what-if: score days into a named scenario beside history"),
    ]:
        c = sub.add_parser(name, help=helptext)
        c.add_argument("--raw", help="raw log warehouse (default: $DISTILL_GUARD_RAW or data_samples/raw)")
        c.add_argument(
            "--warehouse", help="enforcement warehouse folder (default: $DISTILL_GUARD_WAREHOUSE or warehouse/)"
        )
        c.set_defaults(fn=fn)
        if name in ("run", "replay"):
            c.add_argument("--start", type=_date, required=True, help=f"first day to run: {DATE_HELP}")
            c.add_argument("--end", type=_date, help="last day to run, inclusive (default: --start): YYYY-MM-DD")
            c.add_argument(
                "--engine",
                choices=["embedded", "spark"],
                help="engine of the per-request and account-day stages (default: $DISTILL_GUARD_ENGINE or "
                "embedded; Spark's master: $DISTILL_GUARD_SPARK_MASTER or Spark's configuration)",
            )
        if name in ("run", "train", "demo"):
            c.add_argument(
                "--wait",
                type=float,
                default=0.0,
                metavar="SECONDS",
                help="wait this long for another run holding the warehouse (default: fail at once)",
            )
        if name == "run":
            _history_args(c)
        elif name == "replay":
            c.add_argument("--model", default="current", help="model version, or 'current' (default)")
            c.add_argument("--scenario", required=True, help="name of the what-if scenario to write")
        elif name in ("promote", "rollback"):
            if name == "promote":
                c.add_argument("version")
                c.add_argument("--force", action="store_true", help="promote although the gate failed")
            c.add_argument("--reason", help="why, recorded in the promotion log")
        elif name == "train":
            c.add_argument(
                "--as-of",
                type=_date,
                dest="as_of",
                help="train on labels confirmed before this day, YYYY-MM-DD "
                "(default: the day after the latest featured day)",
            )
        elif name == "query":
            c.add_argument("sql")
            c.add_argument("--limit", type=int, default=50, help="rows shown in table format (the rest are counted)")
            c.add_argument("--format", choices=["table", "csv", "json", "parquet"], default="table")
            c.add_argument("--output", help="write the result to this file instead of the terminal")
        elif name == "demo":
            c.add_argument("--keep", action="store_true", help="keep the existing warehouse instead of resetting it")
        elif name == "ui":
            c.add_argument("--port", type=int, default=3000)
            c.add_argument("--host", default="127.0.0.1")

    x = sub.add_parser("export-stix", help="share clusters acted on as a STIX 2.1 bundle (identifiers as keyed hashes)")
    x.add_argument("--start", type=_date, required=True, help=f"first day: {DATE_HELP}")
    x.add_argument("--end", type=_date, required=True, help="last day, inclusive: YYYY-MM-DD")
    x.add_argument("--out", required=True, help="bundle file to write (JSON)")
    x.add_argument("--tlp", choices=["clear", "green", "amber", "red"], default="amber", help="TLP marking")
    i = sub.add_parser("import-stix", help="store a partner's STIX 2.1 indicators for the coordination stage")
    i.add_argument("bundle")
    for c in (x, i):
        c.add_argument("--raw", help="raw log warehouse (default: $DISTILL_GUARD_RAW or data_samples/raw)")
        c.add_argument("--warehouse", help="enforcement warehouse (default: $DISTILL_GUARD_WAREHOUSE or warehouse/)")
    x.set_defaults(fn=cmd_export_stix)
    i.set_defaults(fn=cmd_import_stix)
    m = sub.add_parser(
        "repair-manifest", help="rebuild a lost or damaged publication manifest from the published files"
    )
    m.add_argument("--warehouse", help="enforcement warehouse folder (default: $DISTILL_GUARD_WAREHOUSE or warehouse/)")
    m.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for a run holding the warehouse"
    )
    m.set_defaults(fn=cmd_repair_manifest)

    e = sub.add_parser("evaluate", help="simulate an unseen seed, replay it, and write the evaluation report")
    e.add_argument("--out", default=str(REPO_ROOT / "reports" / "evaluation"))
    e.add_argument("--seed", type=int, default=11)
    e.add_argument("--days", type=int, default=21)
    e.add_argument("--scale", type=float, default=0.05)
    e.add_argument("--start", type=_date, default=date(2026, 4, 6), help=f"first simulated day: {DATE_HELP}")
    e.add_argument("--corpus", help="mix real prompt text from these corpora into the simulated traffic")
    e.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        help="evaluate several worlds (one per seed, and per corpus mode) and "
        "summarise the worst case and spread in <out>/summary.md",
    )
    e.add_argument(
        "--corpus-mode",
        choices=["without", "with", "both"],
        help="with --seeds: worlds without, with or both ways (default: both when --corpus is given)",
    )
    e.add_argument(
        "--variant",
        choices=["base", "wide", "multilingual"],
        help="simulated world: base (the sample's populations), wide (look-alikes of every campaign type, "
        "randomised per seed) or multilingual (the wide world in nine languages, reported per language); "
        "default wide with --seeds, else base",
    )
    e.add_argument(
        "--no-release-calendar",
        action="store_true",
        help="leave out the worlds' model-release calendar (<raw>/releases), which the input contract does not "
        "promise: releases are then dated from the traffic alone",
    )
    e.add_argument(
        "--train-once",
        type=int,
        metavar="DAY",
        help="train the detector once, as of the world's DAY-th day (1 is the first), and never retrain: one model "
        "scores every later day, as `distill-guard train --as-of` followed by nightly runs without the labels "
        "sensor does (default: retrain whenever new reviewed labels arrive)",
    )
    e.set_defaults(fn=cmd_evaluate)
    return p


def _history_args(c: argparse.ArgumentParser) -> None:
    c.add_argument("--cascade", action="store_true", help="re-run the later published days that read these, in order")
    c.add_argument(
        "--allow-gap",
        action="store_true",
        dest="allow_gap",
        help="publish although earlier days in the lookback are unpublished (recorded)",
    )
    c.add_argument("--model", help="score with this model version although the day has its point-in-time model")
    c.add_argument("--reason", help="why, recorded in publication_log")


def main(argv: list[str] | None = None, console: bool = False) -> int:
    args = build_parser().parse_args(argv)
    _quiet()
    if console:
        from pipelines.process import settle

        settle(publishing=args.fn in (cmd_run, cmd_demo, cmd_replay, cmd_evaluate))
    return args.fn(args)


def entry() -> int:
    """The `distill-guard` command: ``main`` in a process of its own (pipelines/process.py)."""
    from pipelines.process import exit_now, release

    gc.disable()  # imports only add objects for good; ``settle`` freezes them and turns collection back on
    try:
        code = main(console=True)
    except BaseException:
        release()  # an error's ordinary exit, message and traceback included
        raise
    return exit_now(code)


if __name__ == "__main__":
    sys.exit(entry())
