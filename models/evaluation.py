"""Evaluation metrics (NumPy only, so they run anywhere) and the evaluation report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl


def roc_curve(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False-positive rate, true-positive rate and thresholds, highest threshold first (ties grouped)."""
    order = np.argsort(-p, kind="stable")
    y, p = np.asarray(y)[order], np.asarray(p)[order]
    distinct = np.r_[np.flatnonzero(np.diff(p)), len(p) - 1]
    tps = np.cumsum(y)[distinct]
    fps = (distinct + 1) - tps
    pos, neg = max(y.sum(), 1), max(len(y) - y.sum(), 1)
    return np.r_[0, fps / neg], np.r_[0, tps / pos], np.r_[np.inf, p[distinct]]


def roc_auc(y: np.ndarray, p: np.ndarray) -> float | None:
    y = np.asarray(y)
    if len(y) == 0 or y.min() == y.max():
        return None
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.trapezoid(tpr, fpr))


def recall_at_fpr(y: np.ndarray, p: np.ndarray, max_fpr: float) -> tuple[float, float]:
    """Best recall with false-positive rate <= ``max_fpr``, and the threshold that reaches it."""
    fpr, tpr, thr = roc_curve(y, p)
    ok = np.flatnonzero(fpr <= max_fpr)
    i = ok[np.argmax(tpr[ok])]
    return float(tpr[i]), float(thr[i])


def pr_curve(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fpr, tpr, _ = roc_curve(y, p)
    pos, neg = max(np.sum(y), 1), max(len(y) - np.sum(y), 1)
    tp, fp = tpr * pos, fpr * neg
    precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1e-12), 1.0)
    return tpr, precision


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pl.DataFrame:
    """Observed attack rate per decile of predicted probability (equal-width bins over 0..1)."""
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    frame = pl.DataFrame({"bin": idx, "y": y.astype(float), "p": p})
    table = frame.group_by("bin").agg(n=pl.len(), mean_predicted=pl.col("p").mean(), observed_rate=pl.col("y").mean()).sort("bin")
    return table.with_columns(
        lo=pl.col("bin").map_elements(lambda b: float(edges[b]), return_dtype=pl.Float64),
        hi=pl.col("bin").map_elements(lambda b: float(edges[b + 1]), return_dtype=pl.Float64),
        gap=(pl.col("observed_rate") - pl.col("mean_predicted")).abs(),
    )


def write_plots(folder: Path, y: np.ndarray, p: np.ndarray, by_population: pl.DataFrame, calib: pl.DataFrame) -> list[str]:
    """ROC, precision-recall, calibration and score-distribution plots as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    names = []
    fpr, tpr, _ = roc_curve(y, p)
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.5))
    ax[0].plot(fpr, tpr); ax[0].set_xscale("symlog", linthresh=1e-3); ax[0].set_xlabel("false-positive rate"); ax[0].set_ylabel("recall"); ax[0].set_title("ROC (account level)")
    rec, prec = pr_curve(y, p)
    ax[1].plot(rec, prec); ax[1].set_xlabel("recall"); ax[1].set_ylabel("precision"); ax[1].set_title("Precision-recall")
    ax[2].plot([0, 1], [0, 1], "k--", lw=0.8)
    ax[2].plot(calib["mean_predicted"], calib["observed_rate"], "o-"); ax[2].set_xlabel("predicted"); ax[2].set_ylabel("observed attack rate"); ax[2].set_title("Calibration")
    fig.tight_layout(); fig.savefig(folder / "curves.png", dpi=90); plt.close(fig)
    names.append("curves.png")
    fig, ax = plt.subplots(figsize=(11, 6))
    pops = by_population.sort("population")["population"].unique(maintain_order=True).to_list()
    data = [by_population.filter(pl.col("population") == q)["score"].to_numpy() for q in pops]
    ax.boxplot(data, vert=False, tick_labels=pops); ax.set_xlabel("max score over the account's days"); ax.set_title("Scores by population")
    fig.tight_layout(); fig.savefig(folder / "scores_by_population.png", dpi=90); plt.close(fig)
    names.append("scores_by_population.png")
    return names
