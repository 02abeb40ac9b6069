"""History you can replay, through the Dagster assets: point-in-time re-runs, what-if scenarios beside history,
the publication log and superseded rows, day dependencies, the promotion gate and the labels sensor.

One copy of the session's replayed sample warehouse serves the module; the tests run in file order on it.
"""

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from models.registry import Registry
from pipelines import cli, definitions, model_registry
from pipelines.describe import open_warehouse
from pipelines.history import read_log
from pipelines.resources import EnforcementWarehouse, RawLogWarehouse
from pipelines.runner import DayFailed, Runner

LAST, BEFORE = date(2026, 3, 17), date(2026, 3, 16)
NEXT = date(2026, 3, 18)


def copy_warehouse(src: Path, dst: Path) -> None:
    """A private copy of a published warehouse (the manifest names files by absolute path)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("dagster_home", "*.duckdb"))
    manifest = dst / "published" / "manifest.json"
    manifest.write_text(manifest.read_text().replace(str(src), str(dst)))
    EnforcementWarehouse(folder=str(dst)).refresh_database()


@pytest.fixture(scope="module")
def hist(published_sample, sample_raw, tmp_path_factory):
    wh = tmp_path_factory.mktemp("history") / "wh"
    copy_warehouse(published_sample["runner"].warehouse.path, wh)
    runner = Runner(str(sample_raw), str(wh), instance=dg.DagsterInstance.ephemeral())
    return {"runner": runner, "wh": wh, "raw": sample_raw, "args": ["--raw", str(sample_raw), "--warehouse", str(wh)]}


def sql(wh: Path, query: str, params=None) -> pl.DataFrame:
    con = open_warehouse(str(wh / "distill_guard.duckdb"))
    try:
        return con.sql(query, params=params).pl()
    finally:
        con.close()


def published(runner: Runner, table: str, day: date) -> pl.DataFrame:
    return runner.warehouse.read_published(table, day, day)


def sensor(raw: Path, wh: Path, cursor: str | None = None):
    with dg.build_sensor_context(
        cursor=cursor,
        resources={"raw": RawLogWarehouse(root=str(raw)), "warehouse": EnforcementWarehouse(folder=str(wh))},
    ) as ctx:
        return definitions.new_labels_sensor(ctx), ctx


def test_labels_sensor_starts_from_what_the_last_training_saw(hist, tmp_path):
    """Opening the UI (daemon evaluating the sensor with an empty cursor) on a replayed warehouse trains nothing."""
    result, _ = sensor(hist["raw"], hist["wh"])
    assert isinstance(result, dg.SkipReason), result
    assert "no label confirmed after" in result.skip_message
    # A label confirmed after the last training arrives: one run, and the cursor is a bounded high-water mark.
    raw = tmp_path / "raw"
    shutil.copytree(hist["raw"] / "labels", raw / "labels")
    late = (
        pl.read_parquet(raw / "labels" / "*.parquet")
        .head(1)
        .with_columns(confirmed_at=pl.lit(datetime(2026, 3, 17, 9, tzinfo=UTC)).cast(pl.Datetime("us", "UTC")))
    )
    late.write_parquet(raw / "labels" / "late.parquet")
    request, ctx = sensor(raw, hist["wh"])
    assert isinstance(request, dg.RunRequest)
    assert request.run_config["ops"]["detector_model"]["config"]["as_of"] == NEXT.isoformat()
    assert ctx.cursor == "2026-03-17T09:00:00+00:00"
    again, _ = sensor(raw, hist["wh"], cursor=ctx.cursor)
    assert isinstance(again, dg.SkipReason)


def test_newer_model_promoted_then_rerun_of_a_published_day_reproduces_it(hist, capsys):
    runner, wh = hist["runner"], hist["wh"]
    reg = Registry(wh / "models")
    first_model = published(runner, "account_scores", LAST)["model_version"][0]
    before = {t: published(runner, t, LAST) for t in ("account_scores", "enforcement_actions")}
    cli.main(["train", "--as-of", NEXT.isoformat(), *hist["args"]])
    newer = reg.latest_trained()["version"]
    assert newer != first_model and newer.startswith("lgbm-20260318")
    if reg.current() != newer:  # the gate may refuse it; promote by name, recorded
        assert cli.main(["promote", newer, *hist["args"]]) == 1
        assert cli.main(["promote", newer, "--force", "--reason", "test", *hist["args"]]) == 0
    assert reg.current() == newer and reg.promotions()[-1]["version"] == newer
    assert cli.main(["models", *hist["args"]]) == 0
    out = capsys.readouterr().out
    assert f"* {newer}" in out and "promotion log:" in out and "label cutoff 2026-03-18" in out

    assert cli.main(["run", "--start", LAST.isoformat(), *hist["args"]]) == 0
    for table, old in before.items():
        new = published(runner, table, LAST)
        assert_frame_equal(old.drop("run_id"), new.drop("run_id"))
        assert old["run_id"][0] != new["run_id"][0]

    # The superseded version and the log entry are queryable in SQL.
    log = sql(wh, "select * from publication_log where day = ? order by finished_at", [LAST])
    assert log["trigger"].to_list() == ["backfill", "manual"]
    assert log["model_version"].to_list() == [first_model, first_model]
    assert log["superseded_run_id"][1] == before["account_scores"]["run_id"][0]
    old_run = before["enforcement_actions"]["run_id"][0]
    superseded = sql(wh, "select * from superseded_enforcement_actions where date = ?", [LAST])
    assert superseded.height == before["enforcement_actions"].height and set(superseded["run_id"]) == {old_run}
    history = sql(wh, "select run_id, is_current, trigger from v_enforcement_history where date = ?", [LAST])
    assert history.group_by("is_current").len().sort("is_current")["len"].to_list() == [superseded.height] * 2


def test_what_if_replay_leaves_published_tables_unchanged(hist):
    runner, wh = hist["runner"], hist["wh"]
    manifest = runner.warehouse.manifest()
    frames = {t: published(runner, t, LAST) for t in manifest}
    assert (
        cli.main(["replay", "--start", LAST.isoformat(), "--model", "current", "--scenario", "newer", *hist["args"]])
        == 0
    )
    assert runner.warehouse.manifest() == manifest
    for table, frame in frames.items():
        assert_frame_equal(published(runner, table, LAST), frame)
    current = Registry(wh / "models").current()
    scen = sql(wh, "select * from scenario_account_scores where scenario = 'newer'")
    assert set(scen["model_version"]) == {current} and scen.height == frames["account_scores"].height
    deltas = sql(wh, "select * from v_scenario_score_deltas where scenario = 'newer'")
    assert deltas.height == scen.height and (deltas["score_delta"].abs() > 1e-9).any()
    changes = sql(wh, "select * from v_scenario_action_changes where scenario = 'newer'")
    from models.gate import action_changes

    expected = action_changes(
        frames["enforcement_actions"],
        sql(wh, "select date, account_id, action from scenario_enforcement_actions where scenario = 'newer'"),
    )
    assert changes.height == expected.height
    assert set(changes["change"]) <= {"gained", "lost", "changed"}
    assert not [e for e in read_log(runner.warehouse) if e["scenario"] == "newer" and e["trigger"] != "replay"]


def test_rerun_under_later_days_stops_or_cascades(hist, capsys):
    runner, wh = hist["runner"], hist["wh"]
    before = published(runner, "enforcement_actions", LAST)
    assert cli.main(["run", "--start", BEFORE.isoformat(), *hist["args"]]) == 1
    assert "2026-03-17" in capsys.readouterr().err
    assert cli.main(["run", "--start", BEFORE.isoformat(), "--cascade", "--reason", "fix", *hist["args"]]) == 0
    log = sql(
        wh, "select day, trigger, reason from publication_log where scenario is null order by finished_at desc limit 2"
    )
    assert log.rows() == [(LAST, "cascade", "fix"), (BEFORE, "manual", "fix")]
    assert_frame_equal(before.drop("run_id"), published(runner, "enforcement_actions", LAST).drop("run_id"))


def test_gate_rejects_too_many_action_changes_and_the_previous_model_keeps_scoring(hist, monkeypatch):
    from models.spec import load_spec
    from pipelines import scoring

    runner = hist["runner"]
    reg = Registry(hist["wh"] / "models")
    current = reg.current()
    spec = load_spec()
    strict = spec.model_copy(
        update={"promotion_gate": spec.promotion_gate.model_copy(update={"max_action_change_share": 0.0})}
    )
    monkeypatch.setattr(scoring, "load_spec", lambda: strict)
    meta = runner.train(date(2026, 3, 17))
    assert not meta["promoted"] and "would change enforcement" in meta["gate"]
    assert reg.current() == current and meta["current"] == current
    assert reg.gate(meta["version"])["passed"] is False
    version, why = model_registry.model_for_day(runner.warehouse, NEXT)
    assert version == current, why


def test_gap_stops_the_day_unless_allowed_and_is_logged(raw_copy, tmp_path):
    d1, d2, d3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
    runner = Runner(str(raw_copy), str(tmp_path / "wh"), instance=dg.DagsterInstance.ephemeral())
    runner.run_day(d1)
    with pytest.raises(DayFailed, match="2026-03-03 is not published"):
        runner.run_day(d3)
    assert runner.warehouse.published_days() == [d1]
    args = ["--raw", str(raw_copy), "--warehouse", str(tmp_path / "wh")]
    assert cli.main(["run", "--start", d3.isoformat(), "--allow-gap", "--reason", "outage", *args]) == 0
    entry = read_log(runner.warehouse)[-1]
    assert entry["day"] == d3.isoformat() and entry["gap_days"] == [d2.isoformat()] and entry["reason"] == "outage"
    with pytest.raises(DayFailed, match="later published day"):
        runner.run_day(d2)


class _Recorder:
    """Stands in for the runner's two effects, to read the order a replay takes them in."""

    def __init__(self):
        self.calls: list[tuple[str, date]] = []

    def train(self, day: date) -> dict:
        self.calls.append(("train", day))
        return {"promoted": True}

    def run_day(self, day: date, **_) -> None:
        self.calls.append(("run", day))


def test_a_replay_trained_once_never_retrains(monkeypatch):
    from pipelines import runner as runner_module

    monkeypatch.setattr(runner_module, "new_labels_since", lambda runner, day: True)  # labels arrive every day
    days = [date(2026, 3, d) for d in range(2, 8)]
    once = _Recorder()
    assert runner_module.replay(once, days, train_once_on=days[3]) == days[3]
    assert [c for c in once.calls if c[0] == "train"] == [("train", days[3])]
    assert once.calls.index(("train", days[3])) == once.calls.index(("run", days[3])) - 1  # before its day runs
    assert [d for kind, d in once.calls if kind == "run"] == days
    sensor_like = _Recorder()
    runner_module.replay(sensor_like, days)
    assert [d for kind, d in sensor_like.calls if kind == "train"] == days
