"""Resources: the raw log warehouse (input) and the enforcement warehouse (output).

Publishing design (analysts never block the nightly run, the run never breaks an
open analyst session): each published table-day is an immutable Parquet file
named by run, a JSON manifest lists the current file of every table-day, and
the DuckDB file analysts open holds only views over the manifest's files. A
publish writes new files, then a new manifest, then builds a new DuckDB file
beside the old one and renames it into place. Readers holding the old file keep
a consistent old state; a crash at any point leaves the last good state readable.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from pydantic import Field

from features.account_day import DEFAULT_MEMORY_LIMIT, SQL_DIR, connect
from features.raw import RawWarehouse
from features.request_ids import RequestIdIndex
from features.store import Store
from models.spec import load_policy
from pipelines import describe, lock

PUBLISHED_TABLES = ("account_features", "account_scores", "clusters", "cluster_members", "enforcement_actions")
# Built with the analysts' database file itself, by the publication (published_day or repair-manifest).
PUBLICATION_TABLES = ("action_ladder", "publication", "publication_log", "model_promotions")
DB_NAME = "distill_guard.duckdb"
KEY_FILE = "warehouse.key"


class RawLogWarehouse(dg.ConfigurableResource):
    """Daily Hive-partitioned Parquet written by the API gateway (CONTRACT.md)."""

    root: str = Field(
        description="Folder or object-store URI (s3://bucket/prefix) holding requests/, accounts/, labels/, allowlist/."
    )

    def warehouse(self) -> RawWarehouse:
        return RawWarehouse(self.root)


class EnforcementWarehouse(dg.ConfigurableResource):
    """The enforcement warehouse folder: published tables, the analysts' DuckDB file, models and working state."""

    folder: str = Field(description="Warehouse folder; the analysts' database is <folder>/distill_guard.duckdb.")
    threads: int = Field(default=0, description="DuckDB threads for feature SQL (0: all cores).")
    memory_limit: str = Field(
        default="", description=f"DuckDB memory limit for feature SQL, e.g. '6GB' (empty: {DEFAULT_MEMORY_LIMIT})."
    )
    retire_after_hours: float = Field(
        default=24.0,
        description="Hours a superseded published file stays readable "
        "for analyst sessions opened before the publish that replaced it.",
    )
    lock_wait_s: float = Field(default=0.0, description="Seconds a run waits for another run's writer lock.")

    def setup_for_execution(self, context) -> None:
        # The writer lock is held for the whole run (re-entrant: the CLI may hold it already). Sensors and
        # schedules only read, outside any run, and must not wait for (or block) the writer.
        if context.run is None:
            return
        lock.acquire(self.path, self.lock_wait_s)
        try:
            self.clean_stale_temp()
            self.manifest()  # a lost or damaged manifest stops the run before any work
        except Exception:
            lock.release(self.path)
            raise

    def teardown_after_execution(self, context) -> None:
        if context.run is not None:
            lock.release(self.path)

    def clean_stale_temp(self) -> None:
        """Remove temporary files a killed run left behind; only called by the lock holder, so none is live."""
        if not lock.holds(self.path):
            raise RuntimeError("clean_stale_temp needs the writer lock")
        patterns = [f".{DB_NAME}.*building", "published/**/.*.tmp", "published/manifest.json.tmp", "store/**/*.tmp"]
        for pattern in patterns:
            for p in self.path.glob(pattern):
                if p.is_file():
                    p.unlink(missing_ok=True)

    @property
    def path(self) -> Path:
        return Path(self.folder).resolve()

    @property
    def db_path(self) -> Path:
        return self.path / DB_NAME

    @property
    def models_dir(self) -> Path:
        return self.path / "models"

    def store(self) -> Store:
        return Store(self.path / "store")

    def fingerprint_key(self) -> bytes:
        """The key of published fingerprints: $DISTILL_GUARD_WAREHOUSE_KEY, else <folder>/warehouse.key (0600,
        created on first use). The confined analyst path cannot read it (only published/ is readable)."""
        env = os.environ.get("DISTILL_GUARD_WAREHOUSE_KEY")
        if env:
            return env.encode()
        path = self.path / KEY_FILE
        if not path.exists():
            self.path.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_hex(32))
        if path.stat().st_mode & 0o077:
            raise PermissionError(f"{path} must be readable by its owner only: chmod 600 {path}")
        return path.read_bytes().strip()

    def request_ids(self) -> RequestIdIndex:
        return RequestIdIndex(self.path / "request_ids")

    def compute(self) -> duckdb.DuckDBPyConnection:
        """A private in-memory DuckDB connection for feature SQL (never the analysts' file)."""
        return connect(threads=self.threads or None, memory_limit=self.memory_limit or None)

    # --- publication -------------------------------------------------------------------------

    def _manifest_path(self) -> Path:
        return self.path / "published" / "manifest.json"

    def manifest(self) -> dict[str, dict[str, str]]:
        """table -> {day: file}, the currently published files; ManifestError when it is lost or damaged."""
        p = self._manifest_path()
        repair = f"rebuild it from the published files with `distill-guard repair-manifest --warehouse {self.path}`"
        if not p.exists():
            if any((self.path / "published").glob("*/date=*/run=*.parquet")):
                raise ManifestError(f"{p} is missing but published files exist; refusing to start over: {repair}")
            return {t: {} for t in PUBLISHED_TABLES}
        try:
            manifest = json.loads(p.read_text())
            _check_manifest(manifest)
        except (OSError, ValueError) as exc:
            raise ManifestError(f"{p} is unreadable ({type(exc).__name__}: {exc}): {repair}") from exc
        return manifest

    def repair_manifest(self) -> dict[str, dict[str, str]]:
        """Rebuild the manifest from the immutable published files: per day, the newest run present in every table."""
        with lock.writer_lock(self.path, self.lock_wait_s, on_first=self.clean_stale_temp):
            runs: dict[str, dict[str, dict[str, Path]]] = {}  # day -> run -> table -> file
            for table in PUBLISHED_TABLES:
                for f in (self.path / "published" / table).glob("date=*/run=*.parquet"):
                    day, run = f.parent.name.split("=", 1)[1], f.name[len("run=") : -len(".parquet")]
                    runs.setdefault(day, {}).setdefault(run, {})[table] = f
            manifest: dict[str, dict[str, str]] = {t: {} for t in PUBLISHED_TABLES}
            for day, by_run in sorted(runs.items()):
                complete = [files for files in by_run.values() if len(files) == len(PUBLISHED_TABLES)]
                if not complete:
                    continue
                newest = max(complete, key=lambda files: max(f.stat().st_mtime_ns for f in files.values()))
                for table, f in newest.items():
                    manifest[table][day] = str(f)
            self._write_manifest(manifest)
            self.refresh_database(manifest)
            return manifest

    def published_days(self) -> list[date]:
        return sorted(date.fromisoformat(d) for d in self.manifest().get("account_scores", {}))

    def read_published(self, table: str, first: date, last: date) -> pl.DataFrame | None:
        files = [
            describe.locate(self.path, f)
            for d, f in sorted(self.manifest().get(table, {}).items())
            if first <= date.fromisoformat(d) <= last
        ]
        if not files:
            return None
        return pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")

    def publish_day(
        self, day: date, run_id: str, tables: dict[str, pl.DataFrame], refresh: bool = True
    ) -> dict[str, int]:
        """Replace ``day`` in every table at once; other days are untouched. With ``refresh`` False the caller
        rebuilds the analysts' database itself (once, after what else it records)."""
        missing = set(PUBLISHED_TABLES) - set(tables)
        if missing:
            raise ValueError(f"publish of {day} lacks tables {sorted(missing)}")
        with lock.writer_lock(self.path, self.lock_wait_s, on_first=self.clean_stale_temp):
            return self._publish_locked(day, run_id, tables, refresh)

    def _publish_locked(
        self, day: date, run_id: str, tables: dict[str, pl.DataFrame], refresh: bool
    ) -> dict[str, int]:
        manifest = self.manifest()
        for table in PUBLISHED_TABLES:
            folder = self.path / "published" / table / f"date={day.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"run={run_id}.parquet"
            tmp = folder / f".run={run_id}.{uuid.uuid4().hex}.parquet.tmp"
            tables[table].write_parquet(tmp, compression="zstd")
            os.replace(tmp, target)
            manifest.setdefault(table, {})[day.isoformat()] = str(target)
        self._write_manifest(manifest)
        if refresh:
            self.refresh_database(manifest)
        self._prune(day, manifest)
        return {t: tables[t].height for t in PUBLISHED_TABLES}

    def _write_manifest(self, manifest: dict) -> None:
        p = self._manifest_path()
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.parent / f".manifest.{uuid.uuid4().hex}.json.tmp"
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
        os.replace(tmp, p)

    def refresh_database(self, manifest: dict | None = None) -> Path:
        """Build the analysts' DuckDB file from the manifest beside the live one, then swap it in."""
        manifest = manifest if manifest is not None else self.manifest()
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / f".{DB_NAME}.{uuid.uuid4().hex}.building"
        con = duckdb.connect(str(tmp))
        try:
            # One transaction for the whole build: committing each view and comment (several hundred) on its own
            # was most of a publication's fixed cost.
            con.execute("begin")
            relative = describe.portable(con, self.path)  # views read paths relative to the warehouse folder
            write_action_ladder(con)  # the views rank actions by it
            for table in PUBLISHED_TABLES:
                files = [relative(f) for _, f in sorted(manifest.get(table, {}).items())]
                if files:
                    con.execute(
                        f"create view {table} as select * from read_parquet({_sql_list(files)}, union_by_name = true)"
                    )
            if all(manifest.get(t) for t in PUBLISHED_TABLES):
                for view in sorted((SQL_DIR / "views").glob("*.sql")):
                    con.execute(view.read_text())
            con.execute(
                "create table publication as select ?::timestamptz as published_at, ?::varchar as manifest",
                [datetime.now(UTC), json.dumps(manifest)],
            )
            from pipelines.history import add_history_views  # publication log, superseded rows, scenarios

            add_history_views(con, self.path)
            describe.annotate(con)
            con.execute("commit")
        finally:
            con.close()
        os.replace(tmp, self.db_path)
        return self.db_path

    def _prune(self, day: date, manifest: dict) -> None:
        """Retire a superseded file once its successor has been live for the grace period: an analyst session
        opened before a publish keeps its snapshot across any number of later publishes within that time."""
        cutoff = time.time_ns() - int(self.retire_after_hours * 3600 * 1e9)
        for table in PUBLISHED_TABLES:
            folder = self.path / "published" / table / f"date={day.isoformat()}"
            runs = sorted(folder.glob("run=*.parquet"), key=lambda p: p.stat().st_mtime_ns)
            current = manifest[table][day.isoformat()]
            for older, newer in zip(runs, runs[1:], strict=False):
                if str(older) != current and newer.stat().st_mtime_ns < cutoff:
                    older.unlink(missing_ok=True)

    def reset(self) -> None:
        """Remove published tables, working state and models (the demo starts clean); Dagster's run history stays."""
        for child in self.path.glob("*"):
            if child.name in ("dagster_home", lock.LOCK_NAME, KEY_FILE):
                continue
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()


def write_action_ladder(con: duckdb.DuckDBPyConnection) -> None:
    """models/policy.yaml's actions as a table (rank 1 strongest, days in force): views and analysts rank actions
    by it instead of spelling the list."""
    policy = load_policy()
    durations = policy.durations()
    con.execute("create table action_ladder (action varchar not null, rank integer not null, duration_days integer)")
    con.executemany(
        "insert into action_ladder values (?, ?, ?)",
        [(action, rank, durations.get(action)) for rank, action in enumerate(policy.strength_order(), start=1)],
    )


class ManifestError(RuntimeError):
    """The publication manifest is missing or damaged while published files exist."""


def _check_manifest(manifest) -> None:
    if not isinstance(manifest, dict) or not all(
        isinstance(days, dict) and all(isinstance(d, str) and isinstance(f, str) for d, f in days.items())
        for days in manifest.values()
    ):
        raise ValueError("expected an object of table -> {day: file}")
    for days in manifest.values():
        for d in days:
            date.fromisoformat(d)


def _sql_list(files: list[str]) -> str:
    """A SQL list literal of file paths (DDL takes no bound parameters; paths come from our own manifest)."""
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
