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
    # Sums in one fixed order: the rows arrive in join order, and a float sum in another order differs in its
    # last digits, so a rerun's metrics would not be identical.
    order = np.lexsort((y, p))
    y, p = np.asarray(y, dtype=float)[order], np.asarray(p, dtype=float)[order]
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    n = np.bincount(idx, minlength=bins)
    seen = n > 0
    table = pl.DataFrame(
        {
            "bin": np.arange(bins)[seen],
            "n": n[seen],
            "mean_predicted": np.bincount(idx, weights=p, minlength=bins)[seen] / n[seen],
            "observed_rate": np.bincount(idx, weights=y, minlength=bins)[seen] / n[seen],
        }
    )
    return table.with_columns(
        lo=pl.col("bin").map_elements(lambda b: float(edges[b]), return_dtype=pl.Float64),
        hi=pl.col("bin").map_elements(lambda b: float(edges[b + 1]), return_dtype=pl.Float64),
        gap=(pl.col("observed_rate") - pl.col("mean_predicted")).abs(),
    )


def average_precision(y: np.ndarray, p: np.ndarray) -> float | None:
    """Area under the precision-recall step curve (precision at each recall increase)."""
    y = np.asarray(y)
    if len(y) == 0 or y.min() == y.max():
        return None
    rec, prec = pr_curve(y, p)
    return float(np.sum(np.diff(rec) * prec[1:]))


MIN_BIN_ACCOUNTS = 20
CLASS_COLOURS = {True: "#c0392b", False: "#2471a3"}


def write_plots(
    folder: Path, y: np.ndarray, p: np.ndarray, by_population: pl.DataFrame, calib: pl.DataFrame
) -> list[str]:
    """ROC, precision-recall, calibration and score-by-population plots as PNG files.

    ``by_population``: one row per account with ``population``, ``score`` and ``is_attack``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.5))
    _roc(ax[0], y, p)
    _pr(ax[1], y, p)
    _calibration(ax[2], calib)
    fig.tight_layout()
    fig.savefig(folder / "curves.png", dpi=90)
    plt.close(fig)
    fig = _by_population(plt, by_population)
    fig.savefig(folder / "scores_by_population.png", dpi=90)
    plt.close(fig)
    return ["curves.png", "scores_by_population.png"]


def _roc(ax, y, p) -> None:
    fpr, tpr, _ = roc_curve(y, p)
    auc = roc_auc(y, p)
    ax.plot(fpr, tpr, label=f"AUC = {auc:.3f}" if auc is not None else "AUC n/a")
    ax.set_xscale("symlog", linthresh=1e-3)
    ax.set(xlabel="false-positive rate (symlog)", ylabel="recall", title="ROC (account level)")
    ax.legend(loc="lower right")


def _pr(ax, y, p) -> None:
    rec, prec = pr_curve(y, p)
    ap, prevalence = average_precision(y, p), float(np.mean(y)) if len(y) else 0.0
    ax.plot(rec, prec, label=f"AP = {ap:.3f}" if ap is not None else "AP n/a")
    ax.axhline(prevalence, color="grey", ls="--", lw=0.8, label=f"prevalence = {prevalence:.3f}")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall (account level)", ylim=(0, 1.02))
    ax.legend(loc="lower left")


def _calibration(ax, calib: pl.DataFrame) -> None:
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    solid = calib.filter(pl.col("n") >= MIN_BIN_ACCOUNTS)
    thin = calib.filter(pl.col("n") < MIN_BIN_ACCOUNTS)
    ax.plot(solid["mean_predicted"], solid["observed_rate"], "o-", label=f"bins of >= {MIN_BIN_ACCOUNTS} account-days")
    ax.plot(
        thin["mean_predicted"],
        thin["observed_rate"],
        "o",
        mfc="none",
        color="grey",
        label=f"bins of < {MIN_BIN_ACCOUNTS} (too few to judge)",
    )
    for r in calib.iter_rows(named=True):
        ax.annotate(
            f"n={r['n']}",
            (r["mean_predicted"], r["observed_rate"]),
            textcoords="offset points",
            xytext=(4, -10),
            fontsize=7,
        )
    ax.set(
        xlabel="mean predicted",
        ylabel="observed attack rate",
        title="Calibration (account-days per bin)",
        xlim=(-0.02, 1.02),
        ylim=(-0.02, 1.02),
    )
    ax.legend(loc="center right", fontsize=8)


def _by_population(plt, by_population: pl.DataFrame):
    stats = (
        by_population.group_by("population")
        .agg(n=pl.len(), attack=pl.col("is_attack").fill_null(False).mean() >= 0.5, median=pl.col("score").median())
        .sort(["attack", "median", "population"])
    )
    fig, ax = plt.subplots(figsize=(11, 0.35 * stats.height + 1.5))
    rng = np.random.default_rng(0)  # jitter only; fixed so the picture is reproducible
    for i, r in enumerate(stats.iter_rows(named=True)):
        scores = by_population.filter(pl.col("population") == r["population"])["score"].to_numpy()
        colour = CLASS_COLOURS[bool(r["attack"])]
        ax.boxplot(
            [scores],
            positions=[i],
            vert=False,
            widths=0.6,
            showfliers=False,
            medianprops={"color": colour},
            boxprops={"color": colour},
            whiskerprops={"color": colour},
        )
        ax.scatter(scores, i + rng.uniform(-0.2, 0.2, len(scores)), s=6, alpha=0.5, color=colour)
    ax.set_yticks(range(stats.height), [f"{r['population']} (n={r['n']})" for r in stats.iter_rows(named=True)])
    ax.set(xlabel="highest score over the account's days", xlim=(-0.02, 1.02), title="Scores by population")
    for attack, label in ((True, "attacker"), (False, "legitimate")):
        ax.scatter([], [], color=CLASS_COLOURS[attack], label=label)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def account_outcomes(
    truth_days: pl.DataFrame, actions: pl.DataFrame, enforcing: list[str], non_monitor: list[str]
) -> pl.DataFrame:
    """One row per simulated account over every replayed day: its truth (attack, campaign, population where the
    truth has it, first day seen) and what it got (enforced: rate_limit or stronger; non_monitor: any action
    above monitor; reviewed; suspended; the first day enforced)."""
    population = [pl.col("population").first()] if "population" in truth_days.columns else []
    accts = truth_days.group_by("account_id").agg(
        pl.col("is_attack").first(), *population, pl.col("campaign_id").first(), first_seen=pl.col("date").min()
    )
    per = actions.group_by("account_id").agg(
        enforced=pl.col("action").is_in(enforcing).any(),
        non_monitor=pl.col("action").is_in(non_monitor).any(),
        reviewed=(pl.col("action") == "human_review").any(),
        suspended=(pl.col("action") == "suspend").any(),
        first_enforced=pl.col("date").filter(pl.col("action").is_in(enforcing)).min(),
    )
    flags = ("enforced", "non_monitor", "reviewed", "suspended")
    return accts.join(per, on="account_id", how="left").with_columns([pl.col(c).fill_null(False) for c in flags])


def on_time() -> pl.Expr:
    """The bar per campaign (or campaign and language): at least half its accounts actioned, the first action
    within 1 day of its start (low-and-slow 2)."""
    slow = pl.col("behaviour") == "low_and_slow"
    return (pl.col("actioned_share") >= 0.5) & (
        pl.col("days_to_first_action") <= pl.when(slow).then(2).otherwise(1)
    ).fill_null(False)
