"""Materialising days and models through the Dagster asset graph, in process.

The CLI, the demo, the evaluation and the tests all come through here, so
there is one code path: the same assets, checks and resources as the schedule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import polars as pl

from features.raw import RawWarehouse
from pipelines.definitions import build_definitions
from pipelines.resources import EnforcementWarehouse

# Step logs go to the Dagster instance (the UI shows them); failures reach the console through DayFailed.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class DayFailed(RuntimeError):
    """A day stopped before publication; the warehouse still holds the previous good state."""


@dataclass
class Runner:
    raw_root: str
    warehouse_folder: str
    instance: dg.DagsterInstance | None = None
    _resources: dict = field(init=False)
    _defs: dg.Definitions = field(init=False)

    def __post_init__(self):
        # The real jobs of the code location, so runs show in the UI as `nightly` and `retrain`.
        self._defs = build_definitions(self.raw_root, self.warehouse_folder)
        self._resources = self._defs.resources
        if self.instance is None:
            self.instance = local_instance(Path(self.warehouse_folder))

    @property
    def warehouse(self) -> EnforcementWarehouse:
        return self._resources["warehouse"]

    @property
    def raw(self) -> RawWarehouse:
        return self._resources["raw"].warehouse()

    def run_day(self, day: date) -> dg.ExecuteInProcessResult:
        result = self._defs.resolve_job_def("nightly").execute_in_process(
            partition_key=day.isoformat(), instance=self.instance, raise_on_error=False,
            tags={"distill_guard/trigger": "cli"}, run_config=QUIET,
        )
        if not result.success:
            raise DayFailed(f"{day}: {failure_message(result)}\nPublished results of earlier runs are unchanged.")
        return result

    def train(self, as_of: date | None = None) -> dict:
        config = {**QUIET, "ops": {"detector_model": {"config": {"as_of": as_of.isoformat() if as_of else ""}}}}
        result = self._defs.resolve_job_def("retrain").execute_in_process(
            instance=self.instance, run_config=config, raise_on_error=False,
        )
        if not result.success:
            raise DayFailed(f"training as of {as_of}: {failure_message(result)}")
        mat = result.asset_materializations_for_node("detector_model")[0]
        return {k: v.value for k, v in mat.metadata.items()}


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """Failed checks and steps, with the file, column and rule they name."""
    parts = []
    for ev in result.get_asset_check_evaluations():
        if not ev.passed:
            parts.append(f"check {ev.check_name} failed: {ev.description}")
    for ev in result.all_events:
        if ev.is_step_failure:
            err = ev.step_failure_data.error
            if err is not None and err.cls_name == "DagsterAssetCheckFailedError":
                continue  # already reported with the check's own description above
            msg = err.message.strip() if err else "step failed"
            if ev.step_failure_data.user_failure_data and ev.step_failure_data.user_failure_data.description:
                msg = ev.step_failure_data.user_failure_data.description
            parts.append(f"step {ev.step_key} failed: {msg}")
    return "\n".join(parts) or "run failed"


def local_instance(warehouse: Path) -> dg.DagsterInstance:
    """The persistent local Dagster instance (DAGSTER_HOME, by default inside the warehouse folder)."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path(warehouse).resolve() / "dagster_home")))
    ensure_instance_config(home)
    return dg.DagsterInstance.get()


INSTANCE_CONFIG = """\
# Written by distill-guard. Days must run one at a time and in order (a day reads the enforcement
# published for the days before it), so queued runs, backfills included, run one at a time.
run_queue:
  max_concurrent_runs: 1
telemetry:
  enabled: false
"""


def ensure_instance_config(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_CONFIG)


def new_labels_since(runner: Runner, last_as_of: date | None, as_of: date, min_days: int = 4) -> bool:
    """Whether training as of ``as_of`` is possible and would see labels that ``last_as_of`` did not."""
    from models.spec import load_spec
    from models.training import NotEnoughLabels, check_enough_labels, usable_labels

    spec = load_spec()
    store = runner.warehouse.store()
    days = [as_of - timedelta(days=i) for i in range(1, spec.training_window_days + 1)]
    files = runner.raw.files("labels")
    if not files or sum(store.has("account_features", d) for d in days) < min_days:
        return False
    labels = pl.read_parquet(files, hive_partitioning=False)
    try:
        check_enough_labels(labels, as_of, spec)
    except NotEnoughLabels:
        return False
    return last_as_of is None or usable_labels(labels, as_of).height > usable_labels(labels, last_as_of).height


def replay(runner: Runner, days: list[date], train_when_possible: bool = True, progress=None) -> date | None:
    """Run ``days`` in order, retraining before a day whenever new reviewed labels became usable (what the
    labels sensor does in production); returns the as-of date of the last training, or None."""
    from models.training import load

    current = load(runner.warehouse.models_dir)
    last_as_of = date.fromisoformat(current.metadata["as_of"]) if current else None
    trained = None
    for day in days:
        if train_when_possible and new_labels_since(runner, last_as_of, day):
            runner.train(day)
            last_as_of = trained = day
            if progress:
                progress(f"trained detector as of {day}")
        runner.run_day(day)
        if progress:
            progress(f"published {day}")
    return trained
