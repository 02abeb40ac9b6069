"""STIX export and import over the warehouse (`export-stix`, `import-stix`); the logic is in features.sharing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl

from features import objectstore, sharing
from features.raw import RawWarehouse
from pipelines.resources import EnforcementWarehouse

PARTNERS_DIR = "partners"


def evidence(raw: RawWarehouse, warehouse: EnforcementWarehouse, start: date, end: date) -> sharing.Evidence:
    names = ("enforcement_actions", "clusters", "cluster_members")
    tables = {t: warehouse.read_published(t, start, end) for t in names}
    missing = [t for t, frame in tables.items() if frame is None]
    if missing:
        raise ValueError(f"nothing published between {start} and {end} in {warehouse.db_path} ({', '.join(missing)})")
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    files = [f for d in days if raw.is_ready("accounts", d) for f in raw.files("accounts", d)]
    accounts = objectstore.read_parquet(files).unique("account_id", keep="last", maintain_order=True)
    store = warehouse.store()
    feats = store.read("features_1d", start, end)
    # Only cluster members' template use is shared; the window's whole table grows with requests.
    members = tables["cluster_members"].select("date", "account_id").unique().lazy()
    templates = store.scan("templates", start, end)
    return sharing.Evidence(
        actions=tables["enforcement_actions"],
        clusters=tables["clusters"],
        members=tables["cluster_members"],
        accounts=accounts,
        templates=templates.join(members, on=["date", "account_id"], how="semi").collect(engine="streaming")
        if templates is not None
        else None,
        user_agents=feats.select("account_id", pl.col("acct_top_user_agent_1d").alias("user_agent"))
        .drop_nulls()
        .unique(),
    )


def export_stix(
    raw: RawWarehouse, warehouse: EnforcementWarehouse, start: date, end: date, out: Path, tlp: str = "amber"
) -> dict:
    key = sharing.sharing_key()
    bundle = sharing.build_bundle(evidence(raw, warehouse, start, end), key, start, end, tlp=tlp)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(bundle.serialize(indent=1))
    tmp.replace(out)
    counts: dict[str, int] = {}
    for o in bundle.objects:
        counts[o.type] = counts.get(o.type, 0) + 1
    return counts


def import_stix(warehouse: EnforcementWarehouse, bundle_file: Path, now: datetime | None = None) -> pl.DataFrame:
    """Store a partner's indicators under ``<warehouse>/partners/`` for the coordination stage."""
    rows = sharing.parse_indicators(Path(bundle_file).read_text(), now or datetime.now(UTC))
    folder = warehouse.path / PARTNERS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    if rows.height:
        target = folder / f"{rows['bundle_id'][0]}.parquet"
        tmp = target.with_suffix(".parquet.tmp")
        rows.write_parquet(tmp)
        tmp.replace(target)
    return rows


def partner_indicators(warehouse: EnforcementWarehouse, day: date) -> pl.DataFrame:
    """Indicators valid on ``day`` and imported before it ended (point-in-time: later imports never change history)."""
    files = sorted((warehouse.path / PARTNERS_DIR).glob("*.parquet"))
    if not files:
        return pl.DataFrame(schema=sharing.PARTNER_SCHEMA)
    day_end = datetime.combine(day + timedelta(days=1), time(), UTC)
    return pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed").filter(
        (pl.col("imported_at") < day_end)
        & (pl.col("valid_from") < day_end)
        & (pl.col("valid_until").is_null() | (pl.col("valid_until") >= day_end - timedelta(days=1)))
    )
