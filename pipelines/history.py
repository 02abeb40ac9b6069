"""Publication history: the append-only publication log, superseded rows, day dependencies, what-if scenarios.

Kept apart from ``resources.publish_day`` (which only swaps files in): ``publish_with_history`` wraps it with
the audit trail, and ``add_history_views`` puts the trail into the analysts' database.

Layout in the warehouse folder:

    published/publication_log.jsonl                 one line per publication (and per what-if replay day)
    published/superseded/<table>/date=D/run=R.parquet  the rows a republication replaced, kept forever
    scenarios/<name>/<table>/date=D/part.parquet   what-if replays, beside history and never over it
    scenarios/<name>/scenario.json                 the scenario's model and when it was written
"""

import json
import os
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from pydantic import Field

from features.account_day import SQL_DIR
from features.store import Store
from models.registry import append_jsonl, read_jsonl
from models.scoring import COLD_START_VERSION
from pipelines.ingest import raw_partition
from pipelines.partitions import daily_partitions
from pipelines.resources import EnforcementWarehouse

TRIGGERS = ("nightly", "backfill", "cascade", "manual", "replay")
TRIGGER_TAG, REASON_TAG = "distill_guard/trigger", "distill_guard/reason"
# A day reads the enforcement published over this many days before it (hydra memory) and a 7-day window.
LOOKBACK_DAYS = 30
SUPERSEDED_TABLES = ("account_scores", "enforcement_actions", "clusters")
LOG_SCHEMA = {
    "day": pl.Date,
    "run_id": pl.String,
    "model_version": pl.String,
    "policy_version": pl.String,
    "trigger": pl.String,
    "reason": pl.String,
    "started_at": pl.String,
    "finished_at": pl.String,
    "rows_account_scores": pl.Int64,
    "rows_enforcement_actions": pl.Int64,
    "rows_clusters": pl.Int64,
    "superseded_run_id": pl.String,
    "gap_days": pl.List(pl.String),
    "scenario": pl.String,
}


class ReplaySettings(dg.ConfigurableResource):
    """How a run of the daily job treats history (set by the CLI; settable at launch in the UI)."""

    scenario: str = Field(
        default="",
        description="Write scores and actions to this what-if scenario instead of "
        "publishing; published tables stay untouched.",
    )
    model: str = Field(
        default="",
        description="Score with this model version (or 'current'), even one trained on "
        "labels confirmed after the day. Empty: the point-in-time choice.",
    )
    allow_gap: bool = Field(
        default=False,
        description="Run although earlier days inside the lookback are not "
        "published; the gap is recorded in the publication log.",
    )
    allow_later_days: bool = Field(
        default=False,
        description="Run although later days are published (the caller "
        "re-runs them in order: `distill-guard run --cascade`).",
    )


# --- the publication log ------------------------------------------------------------------------------


def log_path(warehouse: EnforcementWarehouse) -> Path:
    return warehouse.path / "published" / "publication_log.jsonl"


def read_log(warehouse: EnforcementWarehouse) -> list[dict]:
    return read_jsonl(log_path(warehouse))


def first_publication(warehouse: EnforcementWarehouse, day: date) -> tuple[bool, str | None]:
    """(whether ``day`` is published, the model version that scored it when first published)."""
    for entry in read_log(warehouse):
        if entry["day"] == day.isoformat() and not entry.get("scenario"):
            return True, entry["model_version"]
    scores = warehouse.read_published("account_scores", day, day)  # published before the log existed
    if scores is None:
        return False, None
    versions = scores["model_version"].unique().sort().to_list()
    return True, (versions[0] if versions else COLD_START_VERSION)


def trigger_of(context) -> str:
    tags = context.run.tags
    if tags.get(TRIGGER_TAG) in TRIGGERS:
        return tags[TRIGGER_TAG]
    if "dagster/schedule_name" in tags:
        return "nightly"
    return "backfill" if "dagster/backfill" in tags else "manual"


def _run_started_at(context) -> str:
    stats = context.instance.get_run_stats(context.run_id)
    start = stats.start_time if stats and stats.start_time else datetime.now(UTC).timestamp()
    return datetime.fromtimestamp(start, UTC).isoformat(timespec="seconds")


def _versions(tables: dict[str, pl.DataFrame], column: str, table: str) -> str | None:
    frame = tables[table]
    values = frame[column].unique().sort().to_list() if column in frame.columns and frame.height else []
    return ",".join(values) if values else None


def log_entry(
    context,
    day: date,
    tables: dict[str, pl.DataFrame],
    settings: ReplaySettings,
    superseded_run: str | None,
    gap: list[date],
) -> dict:
    from models.spec import load_policy

    return {
        "day": day.isoformat(),
        "run_id": context.run_id,
        "model_version": _versions(tables, "model_version", "account_scores") or COLD_START_VERSION,
        "policy_version": _versions(tables, "policy_version", "enforcement_actions") or load_policy().version,
        "trigger": "replay" if settings.scenario else trigger_of(context),
        "reason": context.run.tags.get(REASON_TAG, ""),
        "started_at": _run_started_at(context),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **{f"rows_{t}": tables[t].height for t in ("account_scores", "enforcement_actions", "clusters")},
        "superseded_run_id": superseded_run,
        "gap_days": [d.isoformat() for d in gap],
        "scenario": settings.scenario or None,
    }


# --- publication with history --------------------------------------------------------------------------


def archive_superseded(warehouse: EnforcementWarehouse, day: date) -> str | None:
    """Keep the currently published files of ``day`` (hard links: no copy, survives pruning); returns their run."""
    current = warehouse.manifest()
    run = None
    for table in SUPERSEDED_TABLES:
        src = current.get(table, {}).get(day.isoformat())
        if not src or not Path(src).exists():
            continue
        dst = warehouse.path / "published" / "superseded" / table / f"date={day.isoformat()}" / Path(src).name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists():
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
        run = Path(src).stem.removeprefix("run=")
    return run


def publish_with_history(
    context, warehouse: EnforcementWarehouse, day: date, tables: dict[str, pl.DataFrame], settings: ReplaySettings
) -> dict[str, int]:
    """Publish ``day`` (or write it to the scenario), keeping superseded rows and appending the log entry."""
    if settings.scenario:
        rows = write_scenario(warehouse, settings, day, tables)
        superseded, gap = None, []
    else:
        gap = missing_days(warehouse.published_days(), day) if settings.allow_gap else []
        superseded = archive_superseded(warehouse, day)
        rows = warehouse.publish_day(day, context.run_id, tables, refresh=False)
    append_jsonl(log_path(warehouse), log_entry(context, day, tables, settings, superseded, gap))
    warehouse.refresh_database()  # once, with the day's tables and its log line
    return rows


# --- day dependencies ----------------------------------------------------------------------------------


def missing_days(published: list[date], day: date) -> list[date]:
    """Unpublished days inside the lookback before ``day``, from the first published day on."""
    if not published or published[0] >= day:
        return []
    lo = max(published[0], day - timedelta(days=LOOKBACK_DAYS))
    have = set(published)
    return [lo + timedelta(days=i) for i in range((day - lo).days) if lo + timedelta(days=i) not in have]


def later_days(published: list[date], day: date) -> list[date]:
    """Published days after ``day``: they read ``day`` (hydra memory, trailing windows, cluster ids)."""
    return [d for d in published if d > day]


def dependency_problems(published: list[date], day: date, settings: ReplaySettings) -> list[str]:
    if settings.scenario:
        return []
    problems = []
    gap = missing_days(published, day)
    if gap and not settings.allow_gap:
        problems.append(
            f"{day} reads the {LOOKBACK_DAYS} days before it, and {_days(gap)} is not published; run "
            f"those first, or pass --allow-gap to publish with the gap (recorded in publication_log)"
        )
    later = later_days(published, day)
    if later and not settings.allow_later_days:
        problems.append(
            f"later published day(s) {_days(later)} read {day}; re-run them too with --cascade, "
            f"or run a what-if with `distill-guard replay`"
        )
    return problems


def _days(days: list[date]) -> str:
    return ", ".join(d.isoformat() for d in days)


# --- what-if scenarios ---------------------------------------------------------------------------------


def scenario_store(warehouse: EnforcementWarehouse, name: str) -> Store:
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"scenario name {name!r}: use letters, digits, '-' and '_' only")
    return Store(warehouse.path / "scenarios" / name)


def write_scenario(
    warehouse: EnforcementWarehouse, settings: ReplaySettings, day: date, tables: dict[str, pl.DataFrame]
) -> dict[str, int]:
    store = scenario_store(warehouse, settings.scenario)
    for table in ("account_scores", "enforcement_actions", "clusters"):
        store.write(table, day, tables[table].with_columns(scenario=pl.lit(settings.scenario)))
    meta = Path(store.root) / "scenario.json"
    meta.write_text(
        json.dumps(
            {
                "scenario": settings.scenario,
                "model": settings.model or "point-in-time",
                "model_version": _versions(tables, "model_version", "account_scores"),
                "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )
    return {t: tables[t].height for t in ("account_scores", "enforcement_actions", "clusters")}


def read_day(warehouse: EnforcementWarehouse, settings: ReplaySettings, table: str, day: date) -> pl.DataFrame | None:
    """A table's rows for ``day``: the scenario's when the run is a what-if, else the published ones."""
    if settings.scenario:
        return scenario_store(warehouse, settings.scenario).read(table, day, day)
    return warehouse.read_published(table, day, day)


# --- the analysts' database ----------------------------------------------------------------------------


def add_history_views(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """publication_log, model_promotions, superseded_* and scenario_* relations, and the views over them."""
    folder = Path(folder)
    entries = read_jsonl(folder / "published" / "publication_log.jsonl")
    log = pl.DataFrame([{k: e.get(k) for k in LOG_SCHEMA} for e in entries], schema={**LOG_SCHEMA, "day": pl.String})
    log = log.with_columns(pl.col("day").str.to_date())
    con.register("_log", log)
    con.execute(
        "create table publication_log as select * exclude (started_at, finished_at), "
        "started_at::timestamptz as started_at, finished_at::timestamptz as finished_at from _log"
    )
    con.unregister("_log")
    promotions = read_jsonl(folder / "models" / "promotions.jsonl")
    schema = {k: pl.String for k in ("version", "promoted_at", "by", "previous", "reason", "action")}
    con.register("_promotions", pl.DataFrame(promotions, schema=schema))
    con.execute("create table model_promotions as select * from _promotions")
    con.unregister("_promotions")
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    for table in SUPERSEDED_TABLES:
        files = sorted(
            os.path.relpath(p, folder) for p in (folder / "published" / "superseded" / table).glob("date=*/*.parquet")
        )
        if files:
            con.execute(
                f"create view superseded_{table} as select * from read_parquet({_sql_list(files)}, "
                "union_by_name = true)"
            )
        elif table in tables:
            con.execute(f"create view superseded_{table} as select * from {table} where false")
        files = sorted(
            os.path.relpath(p, folder) for p in (folder / "scenarios").glob(f"*/{table}/date=*/part.parquet")
        )
        if files:
            con.execute(
                f"create view scenario_{table} as select * from read_parquet({_sql_list(files)}, union_by_name = true)"
            )
    views = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    for path in sorted((SQL_DIR / "history").glob("*.sql")):
        needs = (
            {"enforcement_actions", "superseded_enforcement_actions"}
            if path.stem == "v_enforcement_history"
            else {"scenario_account_scores", "scenario_enforcement_actions", "account_scores"}
        )
        if needs <= views:
            con.execute(path.read_text())


def _sql_list(files: list[str]) -> str:
    """A SQL list literal of file paths (DDL takes no bound parameters; the paths are our own)."""
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


# --- the blocking dependency check ---------------------------------------------------------------------


@dg.asset_check(
    partitions_def=daily_partitions,  # results keyed to the day they checked
    asset=raw_partition,
    blocking=True,
    description="Day dependencies: every earlier day inside the lookback is published (or the gap is "
    "allowed) and no later published day reads this one (or they are re-run, --cascade).",
)
def day_dependencies(
    context: dg.AssetCheckExecutionContext, warehouse: EnforcementWarehouse, replay: ReplaySettings
) -> dg.AssetCheckResult:
    day = date.fromisoformat(context.partition_key)
    problems = dependency_problems(warehouse.published_days(), day, replay)
    ok = f"{day}: earlier days published, no later day reads it"
    return dg.AssetCheckResult(
        passed=not problems, severity=dg.AssetCheckSeverity.ERROR, description="; ".join(problems) or ok
    )
