"""Assembles the Dagster definitions: assets, checks, jobs, schedules, sensor, resources.

Environment and paths are resolved inside ``build_definitions``, never at import time.
"""

import os
from datetime import timedelta
from pathlib import Path

import dagster as dg

from pipelines import alerts, features, history, ingest, publishing, scoring
from pipelines.engine import FeatureEngine
from pipelines.resources import EnforcementWarehouse, RawLogWarehouse

REPO_ROOT = Path(__file__).resolve().parents[1]
DAILY_GROUPS = ("ingest", "intermediate", "features", "scoring", "publishing")

ASSETS = [
    ingest.raw_partition,
    features.request_derivations,
    features.account_day_features,  # features_1d, templates, sync
    features.coordination,  # cluster_members, coordination_clusters, cluster_context
    features.account_features,
    scoring.detector_model,
    scoring.scores,  # model_scores, clusters
    scoring.policy,  # account_scores, enforcement_actions
    publishing.published_day,
    publishing.daily_summary,
]
CHECKS = [
    ingest.requests_contract,
    ingest.accounts_contract,
    ingest.requests_gx_suite,
    publishing.published_tables_valid,
    history.day_dependencies,
]

daily_selection = dg.AssetSelection.groups(*DAILY_GROUPS)
# One process per run: a day's steps run one after another anyway (each reads the last), and a process per
# step costs seconds of imports each. Schedules, sensors, UI launches and the CLI all get this executor, and so
# do assets materialised from the UI's asset graph (the definitions' default executor).
nightly_job = dg.define_asset_job(
    "nightly",
    selection=daily_selection,
    description="Every daily asset for one traffic day.",
    executor_def=dg.in_process_executor,
)
retrain_job = dg.define_asset_job(
    "retrain",
    selection=dg.AssetSelection.assets(scoring.detector_model),
    description="Retrain the detector on stored features and labels.",
    executor_def=dg.in_process_executor,
)


def default_paths() -> tuple[str, str]:
    raw = os.environ.get("DISTILL_GUARD_RAW") or str(REPO_ROOT / "data_samples" / "raw")
    warehouse = os.environ.get("DISTILL_GUARD_WAREHOUSE") or str(REPO_ROOT / "warehouse")
    return raw, warehouse


def resources(
    raw_root: str | None = None, warehouse_folder: str | None = None, replay: history.ReplaySettings | None = None
) -> dict:
    default_raw, default_wh = default_paths()
    return {
        "replay": replay or history.ReplaySettings(),
        "engine": FeatureEngine(),
        "raw": RawLogWarehouse(root=raw_root or default_raw),
        "warehouse": EnforcementWarehouse(
            folder=warehouse_folder or default_wh, memory_limit=os.environ.get("DISTILL_GUARD_DUCKDB_MEMORY", "")
        ),
    }


@dg.schedule(
    job=nightly_job,
    cron_schedule="15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly from midnight UTC: runs yesterday's partition once the gateway has marked it complete.",
)
def nightly_schedule(context: dg.ScheduleEvaluationContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse):
    day = previous_day(context)
    wh = raw.warehouse()
    missing = [t for t in ("requests", "accounts") if not wh.is_ready(t, day)]
    if missing:
        waiting = f"{day}: {', '.join(missing)} partition has no _SUCCESS marker yet"
        alerts.alert_if_waited_too_long(warehouse.folder, day, context.scheduled_execution_time, waiting)
        return dg.SkipReason(f"{waiting}; waiting, next try in an hour")
    return dg.RunRequest(run_key=f"nightly-{day}", partition_key=day.isoformat())


def previous_day(context: dg.ScheduleEvaluationContext):
    return (context.scheduled_execution_time - timedelta(days=1)).date()


retrain_schedule = dg.ScheduleDefinition(
    job=retrain_job,
    cron_schedule="0 4 * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Weekly retraining, Mondays 04:00 UTC.",
)


@dg.sensor(
    job=retrain_job,
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Retrains when reviewed labels confirmed after what the last training saw become usable.",
)
def new_labels_sensor(context: dg.SensorEvaluationContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse):
    """The cursor is a high-water mark (the latest label confirmation acted on); it starts from what the last
    training saw, so opening the UI on an existing warehouse trains nothing."""
    from datetime import date, datetime

    from models.spec import load_spec
    from pipelines.model_registry import labels_seen, new_labels

    featured = warehouse.store().days("account_features")
    if not featured:
        return dg.SkipReason("no account features stored yet")
    as_of: date = featured[-1] + timedelta(days=1)
    cursor = datetime.fromisoformat(context.cursor) if context.cursor else None
    marks = [m for m in (labels_seen(warehouse), cursor) if m]
    seen = max(marks) if marks else None
    fresh, why = new_labels(warehouse, raw.warehouse(), as_of, load_spec(), seen)
    if fresh is None:
        return dg.SkipReason(why)
    mark = fresh["confirmed_at"].max().isoformat()
    context.update_cursor(mark)
    config = {"ops": {"detector_model": {"config": {"as_of": as_of.isoformat()}}}}
    return dg.RunRequest(run_key=f"labels-{mark}", run_config=config, tags={"distill_guard/reason": why})


def build_definitions(raw_root: str | None = None, warehouse_folder: str | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[nightly_job, retrain_job],
        schedules=[nightly_schedule, retrain_schedule],
        sensors=[new_labels_sensor, alerts.run_failure_alert, alerts.published_day_freshness],
        resources=resources(raw_root, warehouse_folder),
        executor=dg.in_process_executor,  # also for assets materialised from the UI's asset graph
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
