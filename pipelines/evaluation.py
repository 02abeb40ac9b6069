"""The evaluation driver: simulate unseen worlds, replay them through the Dagster assets, report.

One code path: the replay is ``pipelines.runner`` (the same assets as the nightly job); the figures come from
the pure ``models.report`` and ``models.worlds``.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import dagster as dg

from models.report import analyse, render
from models.worlds import summary_line, write_summary
from pipelines.runner import Runner, replay
from simulator.generate import simulate
from simulator.world import WIDE_HARD_NEGATIVES


def check_train_once(train_once: int | None, days: int) -> None:
    """Refuse a training day outside the world before anything is simulated."""
    if train_once is not None and not 1 <= train_once <= days:
        raise ValueError(f"--train-once {train_once}: the world has days 1 to {days}")


def evaluate(
    out: Path,
    seed: int,
    days: int,
    scale: float,
    start: date,
    corpus: Path | None = None,
    variant: str = "base",
    release_calendar: bool = True,
    train_once: int | None = None,
) -> Path:
    """`distill-guard evaluate`: simulate ``seed``, replay it through the runner (the product's own assets:
    cold-start rules until labels allow training, then the detector), and write metrics.json and report.md.
    Without ``release_calendar`` the world's log warehouse has no ``releases`` table, like one built to the input
    contract alone. With ``train_once`` (a day number, 1 for the first day) the detector is trained once, as of
    that day, and never again: one model scores the rest, as in a warehouse run nightly without the labels
    sensor."""
    check_train_once(train_once, days)
    out = Path(out)
    raw, wh = out / "data", out / "warehouse"
    for p in (raw, wh):
        if p.exists():
            shutil.rmtree(p)
    simulate(raw, start, days, scale, seed, corpus, progress=False, variant=variant)
    if not release_calendar:
        shutil.rmtree(raw / "releases", ignore_errors=True)
    runner = Runner(str(raw), str(wh), instance=dg.DagsterInstance.ephemeral())
    all_days = runner.raw.days()
    trained = replay(runner, all_days, train_once_on=all_days[train_once - 1] if train_once else None)
    tables = {
        t: runner.warehouse.read_published(t, all_days[0], all_days[-1])
        for t in ("account_scores", "enforcement_actions", "account_features")
    }
    metrics, sections, pngs = analyse(raw, tables, trained, out, list(WIDE_HARD_NEGATIVES))
    metrics.update(
        {
            "seed": seed,
            "days": days,
            "scale": scale,
            "start": start.isoformat(),
            "corpus": str(corpus) if corpus else None,
            "variant": variant,
            "release_calendar": (raw / "releases").exists(),
            "train_once_day": train_once,
        }
    )
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1, default=str))
    report = out / "report.md"
    report.write_text(render(metrics, sections, pngs))
    return report


def evaluate_worlds(
    out: Path,
    seeds: list[int],
    days: int,
    scale: float,
    start: date,
    corpus: Path | None,
    corpus_modes: list[bool],
    variant: str = "wide",
    progress=None,
    release_calendar: bool = True,
    train_once: int | None = None,
) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    worlds = []
    for seed in seeds:
        for with_corpus in corpus_modes:
            name = f"seed-{seed}" + ("-corpus" if with_corpus else "")
            evaluate(
                out / name,
                seed,
                days,
                scale,
                start,
                corpus if with_corpus else None,
                variant,
                release_calendar,
                train_once,
            )
            metrics = json.loads((out / name / "metrics.json").read_text())
            worlds.append({**metrics, "world": name})
            write_summary(out, worlds)
            if progress:
                progress(f"{name}: {summary_line(worlds[-1])}")
    return out / "summary.md"
