"""Small charts for the daily summary, keyed by partition: the day's score histogram, actions over 30 days.

Written as SVG by hand rather than drawn with matplotlib: they are on every published day's path, where importing
and drawing with matplotlib took about 0.5 s of a day run in its own process. Each bar carries its count as a
tooltip where the file is opened itself (inlined as an image in the UI's metadata, an SVG shows no tooltips). The
evaluation report, drawn once per evaluation, keeps matplotlib.
"""

from __future__ import annotations

import base64
import math
from datetime import date, timedelta
from html import escape
from pathlib import Path

import numpy as np
import polars as pl

from models.reasons import plural
from models.spec import load_policy

ORDER = load_policy().strength_order()  # strongest first, as models/policy.yaml ranks them
COLOURS = ["#7b241c", "#c0392b", "#e67e22", "#8e44ad", "#f1c40f", "#95a5a6"]
WINDOW_DAYS = 30
BINS = 20
# Plot area inside each chart: left, top, right and bottom margins in pixels (room for titles and tick labels).
MARGIN = (46, 28, 14, 36)
LEGEND_WIDTH = 120


def daily_charts(folder: Path, day: date, scores: pl.DataFrame, actions_window: pl.DataFrame | None) -> list[Path]:
    """``<day>-scores.svg`` and ``<day>-actions-30d.svg`` in ``folder``.

    ``actions_window``: enforcement actions of the 30 days up to ``day`` (earlier days only: point-in-time).
    """
    folder.mkdir(parents=True, exist_ok=True)
    hist = folder / f"{day}-scores.svg"
    hist.write_text(score_histogram(day, scores["score"].to_numpy()))
    days = [day - timedelta(days=i) for i in range(WINDOW_DAYS - 1, -1, -1)]
    bars = folder / f"{day}-actions-30d.svg"
    bars.write_text(action_bars(day, days, _counts(actions_window, days)))
    return [hist, bars]


def score_histogram(day: date, scores: np.ndarray) -> str:
    """Accounts per score bin of width 0.05, on a log scale (the day's few high scores beside thousands of low)."""
    counts, edges = np.histogram(scores, bins=np.linspace(0, 1, BINS + 1))
    width, height = 315, 182
    chart = _Chart(width, height, f"Scores on {day} (n={len(scores):,})", "score", "accounts (log)")
    top = math.floor(math.log10(max(1, counts.max()))) + 1  # decades on the axis: the largest bin below the top
    for k in range(top + 1):
        chart.y_tick(k / top, _short(10**k))
    for i, n in enumerate(counts):
        if n:  # a log axis starts at one account
            label = f"{edges[i]:.2f}-{edges[i + 1]:.2f}: {plural(n, 'account')}"
            chart.bar(i / BINS, 1 / BINS, 0, math.log10(n) / top, "#2471a3", label)
    for x in (0, 0.5, 1):
        chart.x_tick(x, f"{x:g}")
    return chart.svg()


def action_bars(day: date, days: list[date], counts: dict[str, np.ndarray]) -> str:
    """Accounts actioned per day, stacked by action, strongest at the bottom, with a legend."""
    totals = sum(counts.values(), np.zeros(len(days)))
    width, height = 440 + LEGEND_WIDTH, 182
    chart = _Chart(width, height, f"Actions per day, {WINDOW_DAYS} days to {day}", "", "accounts", LEGEND_WIDTH)
    step = _nice_step(totals.max())
    top = max(step, math.ceil(totals.max() / step) * step)
    for v in range(0, int(top) + 1, int(step)):
        chart.y_tick(v / top, _short(v))
    slot = 1 / len(days)
    drawn = np.zeros(len(days))  # each day's stack so far, as a fraction of the axis
    for action, colour in zip(ORDER, COLOURS, strict=False):
        for i, n in enumerate(counts[action]):
            if n:
                label = f"{days[i]}: {action}, {plural(n, 'account')}"
                drawn[i] = chart.bar(i * slot + 0.1 * slot, 0.8 * slot, drawn[i], drawn[i] + n / top, colour, label)
    chart.x_tick(0.5 * slot, days[0].isoformat(), "start")
    chart.x_tick(1 - 0.5 * slot, days[-1].isoformat(), "end")
    chart.legend(list(zip(ORDER, COLOURS, strict=False)))
    return chart.svg()


def _short(n: int) -> str:
    """Tick labels that fit the margin: 950, 1.5k, 20k, 1M."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return str(n)


def _nice_step(peak: float) -> float:
    """1, 2 or 5 times a power of ten, for about four ticks up to ``peak``."""
    raw = max(peak, 1) / 4
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw) if raw >= 1 else 1


class _Chart:
    """An SVG plot area with axes; positions are fractions of the area, 0 at the left and at the bottom."""

    def __init__(self, width: int, height: int, title: str, xlabel: str, ylabel: str, legend_width: int = 0):
        self.width, self.height = width, height
        left, top, right, bottom = MARGIN
        right += legend_width
        self.x0, self.y0, self.w, self.h = left, height - bottom, width - left - right, height - top - bottom
        self.parts = [
            _text(width / 2, 17, title, size=12, anchor="middle"),
            _text(14, top + self.h / 2, ylabel, anchor="middle", rotate=True),
        ]
        if xlabel:
            self.parts.append(_text(left + self.w / 2, height - 4, xlabel, anchor="middle"))

    def _x(self, f: float) -> float:
        return self.x0 + f * self.w

    def _y(self, f: float) -> float:
        return self.y0 - f * self.h

    def bar(self, x: float, w: float, lo: float, hi: float, colour: str, label: str) -> float:
        """A bar from ``lo`` to ``hi``, at least one pixel tall so that a handful of suspensions under a day's
        thousands of monitored accounts, or one account on a log axis, stays visible; the top it drew to."""
        bottom = self._y(lo)
        y = min(self._y(hi), bottom - 1)
        self.parts.append(
            f'<rect x="{self._x(x):.1f}" y="{y:.1f}" width="{w * self.w:.1f}" height="{bottom - y:.1f}" '
            f'fill="{colour}"><title>{escape(label)}</title></rect>'
        )
        return (self.y0 - y) / self.h

    def x_tick(self, f: float, label: str, anchor: str = "middle") -> None:
        x = self._x(f)
        self.parts.append(f'<line x1="{x:.1f}" y1="{self.y0}" x2="{x:.1f}" y2="{self.y0 + 4}" stroke="#333"/>')
        self.parts.append(_text(x, self.y0 + 15, label, anchor=anchor))

    def y_tick(self, f: float, label: str) -> None:
        y = self._y(f)
        self.parts.append(f'<line x1="{self.x0 - 4}" y1="{y:.1f}" x2="{self.x0}" y2="{y:.1f}" stroke="#333"/>')
        self.parts.append(_text(self.x0 - 6, y + 3, label, anchor="end"))

    def legend(self, entries: list[tuple[str, str]]) -> None:
        """One column right of the plot area, strongest action first (the bottom of each stack)."""
        x = self.x0 + self.w + 12
        for i, (name, colour) in enumerate(entries):
            y = self._y(1) + i * 13
            self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="9" height="9" fill="{colour}"/>')
            self.parts.append(_text(x + 13, y + 8, name))

    def svg(self) -> str:
        axes = f'<path d="M{self.x0},{self._y(1):.1f} V{self.y0} H{self.x0 + self.w}" fill="none" stroke="#333"/>'
        body = "\n".join([*self.parts, axes])
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" font-family="sans-serif">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n'
        )


def _text(x: float, y: float, s: str, size: int = 9, anchor: str = "start", rotate: bool = False) -> str:
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{turn}>{escape(s)}</text>'


def _counts(actions: pl.DataFrame | None, days: list[date]) -> dict[str, np.ndarray]:
    out = {a: np.zeros(len(days)) for a in ORDER}
    if actions is None or actions.is_empty():
        return out
    index = {d: i for i, d in enumerate(days)}
    for d, action, n in actions.group_by("date", "action").len().iter_rows():
        if d in index and action in out:
            out[action][index[d]] = n
    return out


def inline(chart: Path) -> str:
    """Markdown image with the SVG inlined, for asset metadata (the file may not be reachable from the UI)."""
    return f"![{chart.name}](data:image/svg+xml;base64,{base64.b64encode(chart.read_bytes()).decode()})"
