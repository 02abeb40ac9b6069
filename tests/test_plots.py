"""Evaluation plots and daily charts say what a reader needs: AUC/AP, prevalence, bin counts, classes, n per row."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from models import evaluation
from models.daily_charts import daily_charts, inline
from models.spec import load_policy


@pytest.fixture(scope="module")
def plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_average_precision_by_hand():
    y, p = np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1])
    assert evaluation.average_precision(y, p) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert evaluation.average_precision(np.array([1, 1]), np.array([0.2, 0.4])) is None


def test_curves_print_auc_ap_and_the_prevalence_line(plt):
    rng = np.random.default_rng(1)
    y = (rng.random(400) < 0.1).astype(int)
    p = np.clip(0.5 * y + rng.random(400) * 0.6, 0, 1)
    fig, ax = plt.subplots(1, 3)
    evaluation._roc(ax[0], y, p)
    evaluation._pr(ax[1], y, p)
    calib = evaluation.calibration_table(y, p)
    evaluation._calibration(ax[2], calib)
    assert ax[0].get_legend().get_texts()[0].get_text() == f"AUC = {evaluation.roc_auc(y, p):.3f}"
    pr_labels = [t.get_text() for t in ax[1].get_legend().get_texts()]
    assert pr_labels == [f"AP = {evaluation.average_precision(y, p):.3f}", f"prevalence = {y.mean():.3f}"]
    assert ax[1].lines[1].get_ydata()[0] == pytest.approx(y.mean())
    notes = [t.get_text() for t in ax[2].texts]
    assert notes == [f"n={n}" for n in calib["n"]]
    thin, solid = (calib["n"] < evaluation.MIN_BIN_ACCOUNTS).sum(), (calib["n"] >= evaluation.MIN_BIN_ACCOUNTS).sum()
    assert thin > 0 and len(ax[2].lines[1].get_xdata()) == solid and len(ax[2].lines[2].get_xdata()) == thin


def test_scores_by_population_coloured_by_class_with_n(plt):
    frame = pl.DataFrame(
        {
            "population": ["hydra"] * 30 + ["eval_harness"] * 12 + ["hobbyist"] * 50,
            "score": [0.9] * 30 + [0.4] * 12 + [0.05] * 50,
            "is_attack": [True] * 30 + [False] * 62,
        }
    )
    fig = evaluation._by_population(plt, frame)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == ["eval_harness (n=12)", "hobbyist (n=50)", "hydra (n=30)"]
    colours = {tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in ax.collections if len(c.get_offsets())}
    assert len(colours) == 2


def _bars(svg: Path) -> dict[str, tuple[float, float, float]]:
    """Each bar's tooltip -> (x, y, height) in pixels."""
    ns = {"s": "http://www.w3.org/2000/svg"}
    root = ET.parse(svg).getroot()
    return {
        r.find("s:title", ns).text: (float(r.get("x")), float(r.get("y")), float(r.get("height")))
        for r in root.iterfind("s:rect", ns)
        if r.find("s:title", ns) is not None
    }


def test_daily_charts_are_keyed_by_partition_and_count_what_they_show(tmp_path):
    day = date(2026, 3, 17)
    scores = pl.DataFrame({"score": [0.01] * 100 + [0.52] * 10 + [0.97]})
    actions = pl.DataFrame(
        {
            "date": [day - timedelta(days=i) for i in (0, 0, 0, 3, 40)],
            "action": ["suspend", "monitor", "monitor", "monitor", "suspend"],
        }
    )
    files = daily_charts(tmp_path, day, scores, actions)
    assert [f.name for f in files] == ["2026-03-17-scores.svg", "2026-03-17-actions-30d.svg"]

    hist = _bars(files[0])
    assert set(hist) == {"0.00-0.05: 100 accounts", "0.50-0.55: 10 accounts", "0.95-1.00: 1 account"}
    # A log scale: 100 accounts stand twice as tall as 10; one account still shows.
    assert hist["0.00-0.05: 100 accounts"][2] == pytest.approx(2 * hist["0.50-0.55: 10 accounts"][2], abs=0.2)
    assert hist["0.95-1.00: 1 account"][2] == 1.0
    assert "Scores on 2026-03-17 (n=111)" in files[0].read_text()

    bars = _bars(files[1])
    # The 40-day-old suspension is outside the window; the day's stack has the strongest action at the bottom.
    suspend, monitor = bars["2026-03-17: suspend, 1 account"], bars["2026-03-17: monitor, 2 accounts"]
    assert set(bars) == {
        "2026-03-17: suspend, 1 account",
        "2026-03-17: monitor, 2 accounts",
        "2026-03-14: monitor, 1 account",
    }
    assert monitor[2] == pytest.approx(2 * suspend[2], abs=0.2)
    assert suspend[1] + suspend[2] == pytest.approx(182 - 36, abs=0.1)  # on the axis
    assert monitor[1] + monitor[2] == pytest.approx(suspend[1], abs=0.1)  # on the suspension
    assert bars["2026-03-14: monitor, 1 account"][0] < suspend[0] == monitor[0]
    text = files[1].read_text()
    assert all(f">{action}<" in text for action in load_policy().strength_order())  # the legend
    assert inline(files[1]).startswith("![2026-03-17-actions-30d.svg](data:image/svg+xml;base64,")


def test_a_few_strong_actions_under_many_weak_ones_stay_visible(tmp_path):
    day = date(2026, 3, 17)
    actions = pl.DataFrame({"date": [day] * 100_003, "action": ["suspend"] * 3 + ["monitor"] * 100_000})
    bars = _bars(daily_charts(tmp_path, day, pl.DataFrame({"score": [0.5]}), actions)[1])
    suspend, monitor = bars["2026-03-17: suspend, 3 accounts"], bars["2026-03-17: monitor, 100,000 accounts"]
    assert suspend[2] == 1.0 and monitor[1] + monitor[2] == pytest.approx(suspend[1], abs=0.1)
    assert ">100k<" in (tmp_path / "2026-03-17-actions-30d.svg").read_text()  # tick labels fit the margin


def test_daily_charts_of_a_quiet_day(tmp_path):
    day = date(2026, 3, 2)
    files = daily_charts(tmp_path, day, pl.DataFrame({"score": []}, schema={"score": pl.Float64}), None)
    assert [_bars(f) for f in files] == [{}, {}]
    assert "Actions per day, 30 days to 2026-03-02" in files[1].read_text()


def test_the_calibration_table_is_the_same_whatever_the_row_order():
    # Rows reach the report in join order; a rerun's metrics must still be identical to the last digit.
    rng = np.random.default_rng(3)
    y = (rng.random(5000) < 0.2).astype(int)
    p = rng.random(5000)
    table = evaluation.calibration_table(y, p)
    for _ in range(5):
        order = rng.permutation(len(y))
        assert evaluation.calibration_table(y[order], p[order]).equals(table)
    first = p < 0.1
    assert table["n"].sum() == 5000 and table["n"][0] == first.sum()
    assert table["mean_predicted"][0] == pytest.approx(p[first].mean())
    assert table["observed_rate"][0] == pytest.approx(y[first].mean())
