"""Small charts for the daily summary, keyed by partition: the day's score histogram, actions over 30 days."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from models.spec import load_policy

ORDER = load_policy().strength_order()  # strongest first, as models/policy.yaml ranks them
COLOURS = ["#7b241c", "#c0392b", "#e67e22", "#8e44ad", "#f1c40f", "#95a5a6"]
WINDOW_DAYS = 30


def daily_charts(folder: Path, day: date, scores: pl.DataFrame, actions_window: pl.DataFrame | None) -> list[Path]:
    """``<day>-scores.png`` and ``<day>-actions-30d.png`` in ``folder``.

    ``actions_window``: enforcement actions of the 30 days up to ``day`` (earlier days only: point-in-time).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(4.5, 2.6))
    ax.hist(scores["score"].to_numpy(), bins=np.linspace(0, 1, 21), color="#2471a3")
    ax.set_yscale("log")
    ax.set(title=f"Scores on {day} (n={scores.height})", xlabel="score", ylabel="accounts (log)")
    fig.tight_layout()
    hist = folder / f"{day}-scores.png"
    fig.savefig(hist, dpi=70)
    plt.close(fig)

    days = [day - timedelta(days=i) for i in range(WINDOW_DAYS - 1, -1, -1)]
    counts = _counts(actions_window, days)
    fig, ax = plt.subplots(figsize=(6, 2.6))
    bottom = np.zeros(len(days))
    for action, colour in zip(ORDER, COLOURS, strict=False):
        ax.bar(range(len(days)), counts[action], bottom=bottom, color=colour, label=action, width=0.8)
        bottom += counts[action]
    ax.set_xticks([0, len(days) - 1], [days[0].isoformat(), days[-1].isoformat()])
    ax.set(title=f"Actions per day, {WINDOW_DAYS} days to {day}", ylabel="accounts")
    ax.legend(fontsize=6, ncol=2, loc="upper left")
    fig.tight_layout()
    bars = folder / f"{day}-actions-30d.png"
    fig.savefig(bars, dpi=70)
    plt.close(fig)
    return [hist, bars]


def _counts(actions: pl.DataFrame | None, days: list[date]) -> dict[str, np.ndarray]:
    out = {a: np.zeros(len(days)) for a in ORDER}
    if actions is None or actions.is_empty():
        return out
    index = {d: i for i, d in enumerate(days)}
    for d, action, n in actions.group_by("date", "action").len().iter_rows():
        if d in index and action in out:
            out[action][index[d]] = n
    return out


def inline(png: Path) -> str:
    """Markdown image with the PNG inlined, for asset metadata (the file may not be reachable from the UI)."""
    return f"![{png.name}](data:image/png;base64,{base64.b64encode(png.read_bytes()).decode()})"
