"""Materialising days and models through the Dagster asset graph, in process.

The CLI, the demo, the evaluation and the tests all come through here, so
there is one code path: the same assets, checks and resources as the schedule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg

from features.raw import RawWarehouse
from pipelines.definitions import build_definitions
from pipelines.engine import FeatureEngine
from pipelines.history import REASON_TAG, TRIGGER_TAG, ReplaySettings, dependency_problems, later_days
from pipelines.lock import writer_lock
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
    lock_wait: float = 0.0  # seconds to wait for another run's writer lock (then WarehouseBusy)
    engine: str = ""  # feature engine of the runs: "embedded" or "spark" (empty: $DISTILL_GUARD_ENGINE, else embedded)
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

    def run_day(
        self, day: date, settings: ReplaySettings | None = None, trigger: str = "manual", reason: str = ""
    ) -> dg.ExecuteInProcessResult:
        """Every daily asset for ``day``; ``settings`` name a what-if scenario, a model, or allowed gaps."""
        with writer_lock(self.warehouse.path, self.lock_wait):
            self.warehouse.manifest()  # ManifestError before any work when the manifest is lost or damaged
            return self._run_day(day, settings, trigger, reason)

    def _run_day(
        self, day: date, settings: ReplaySettings | None, trigger: str, reason: str
    ) -> dg.ExecuteInProcessResult:
        result = self._defs.resolve_job_def("nightly").execute_in_process(
            partition_key=day.isoformat(),
            instance=self.instance,
            raise_on_error=False,
            run_config=QUIET,
            resources={"replay": settings or ReplaySettings(), "engine": FeatureEngine(name=self.engine)},
            tags={TRIGGER_TAG: trigger, REASON_TAG: reason},
        )
        if not result.success:
            raise DayFailed(f"{day}: {failure_message(result)}\nPublished results of earlier runs are unchanged.")
        return result

    def train(self, as_of: date | None = None) -> dict:
        with writer_lock(self.warehouse.path, self.lock_wait):
            return self._train(as_of)

    def _train(self, as_of: date | None = None) -> dict:
        config = {**QUIET, "ops": {"detector_model": {"config": {"as_of": as_of.isoformat() if as_of else ""}}}}
        result = self._defs.resolve_job_def("retrain").execute_in_process(
            instance=self.instance,
            run_config=config,
            raise_on_error=False,
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
            msg = _cause(err) if err else "step failed"
            if ev.step_failure_data.user_failure_data and ev.step_failure_data.user_failure_data.description:
                msg = ev.step_failure_data.user_failure_data.description
            parts.append(f"step {ev.step_key} failed: {msg}")
    return "\n".join(parts) or "run failed"


def _cause(err) -> str:
    """The user's exception under Dagster's wrapper: class and message, not "Error occurred while executing op"."""
    while err.cls_name in ("DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError") and err.cause:
        err = err.cause
    return f"{err.cls_name}: {err.message.strip()}" if err.cls_name not in ("Failure",) else err.message.strip()


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
  # A run launched from the UI waits for the daemon to take it off the queue: every 5 s by default.
  dequeue_interval_seconds: 1
telemetry:
  enabled: false
"""


# What distill-guard wrote before; a Dagster home that still holds it unchanged gets today's.
EARLIER_INSTANCE_CONFIGS = (
    """\
# Written by distill-guard. Days must run one at a time and in order (a day reads the enforcement
# published for the days before it), so queued runs, backfills included, run one at a time.
run_queue:
  max_concurrent_runs: 1
telemetry:
  enabled: false
""",
)


def ensure_instance_config(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() in EARLIER_INSTANCE_CONFIGS:
        config.write_text(INSTANCE_CONFIG)


def new_labels_since(runner: Runner, as_of: date) -> bool:
    """Whether a training as of ``as_of`` is possible and would see labels the last training did not (the
    labels sensor's rule: pipelines.model_registry.new_labels)."""
    from models.spec import load_spec
    from pipelines.model_registry import labels_seen, new_labels

    fresh, _ = new_labels(runner.warehouse, runner.raw, as_of, load_spec(), labels_seen(runner.warehouse))
    return fresh is not None


class DependencyError(RuntimeError):
    """Days to run depend on days that are not published, or are read by later published days."""


def run_days(
    runner: Runner,
    days: list[date],
    cascade: bool = False,
    allow_gap: bool = False,
    model: str = "",
    reason: str = "",
    progress=None,
) -> list[date]:
    """Publish ``days`` in order. Later published days that read them are re-run after them (``cascade``) or
    stop the run before anything changes; returns the days run."""
    published = runner.warehouse.published_days()
    later = [d for d in later_days(published, days[0]) if d not in days]
    if later and not cascade:
        raise DependencyError(
            f"later published day(s) {', '.join(map(str, later))} read {days[0]}; re-run them "
            f"too with --cascade, or run a what-if with `distill-guard replay`"
        )
    gap = dependency_problems(published, days[0], ReplaySettings(allow_gap=allow_gap, allow_later_days=True))
    if gap:
        raise DependencyError(gap[0])
    trigger = "manual" if len(days) == 1 else "backfill"
    for day in sorted(days) + later:
        settings = ReplaySettings(model=model, allow_gap=allow_gap and day == days[0], allow_later_days=True)
        runner.run_day(day, settings, trigger="cascade" if day in later else trigger, reason=reason)
        if progress:
            progress(f"published {day}")
    return sorted(days) + later


def run_scenario(runner: Runner, days: list[date], scenario: str, model: str, progress=None) -> None:
    """A what-if: the same daily assets, writing to ``scenario`` beside the published history."""
    from pipelines.history import scenario_store

    scenario_store(runner.warehouse, scenario)  # validates the name before any work
    for day in days:
        runner.run_day(
            day,
            ReplaySettings(scenario=scenario, model=model),
            trigger="replay",
            reason=f"what-if scenario {scenario} with model {model or 'point-in-time'}",
        )
        if progress:
            progress(f"replayed {day} into scenario {scenario}")


def replay(
    runner: Runner, days: list[date], train_when_possible: bool = True, progress=None, train_once_on: date | None = None
) -> date | None:
    """Run ``days`` in order, retraining before a day whenever new reviewed labels became usable (what the
    labels sensor does in production); returns the as-of date of the last training, or None.

    ``train_once_on``: train before that day only, as an operator who runs `distill-guard train --as-of` once
    and then nightly runs without the labels sensor would; the one model scores every later day."""
    trained = None
    for day in days:
        may_train = train_when_possible and (train_once_on is None or day == train_once_on)
        if may_train and new_labels_since(runner, day):
            meta = runner.train(day)
            trained = day
            if progress:
                verdict = "promoted" if meta["promoted"] else f"not promoted ({meta['gate'].removeprefix('- ')})"
                progress(f"trained detector as of {day}: {verdict}")
        runner.run_day(day, trigger="backfill", reason="replay of the log warehouse, in order")
        if progress:
            progress(f"published {day}")
    return trained
