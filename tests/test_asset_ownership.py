"""One asset, one table: every stored and published table has exactly one owning asset, named after it, and a step
writes only the tables it owns (pipelines/tables.py)."""

import re
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines.definitions import ASSETS, build_definitions
from pipelines.resources import PUBLICATION_TABLES, PUBLISHED_TABLES
from pipelines.runner import DayFailed, Runner
from pipelines.tables import PUBLISHED, STORE, TABLE_TAG, NotOwner, OwnedStore, owners, tables_in

REPO = Path(__file__).resolve().parents[1]
D1 = date(2026, 3, 2)


def test_every_table_has_one_owner_named_after_it():
    found = owners(ASSETS)
    assert found, "no asset declares a table"
    misnamed = [f"{t} owned by {k.to_user_string()}" for t, k in found.items() if k != dg.AssetKey([t])]
    assert not misnamed, misnamed
    graph = build_definitions().resolve_asset_graph()
    for table, key in found.items():
        assert graph.get(key).tags[TABLE_TAG] in (STORE, PUBLISHED), table


def test_a_second_owner_of_a_table_is_refused():
    @dg.asset(name="clusters", key_prefix="elsewhere", tags={TABLE_TAG: STORE})
    def another():
        return None

    with pytest.raises(ValueError, match="table 'clusters' has two owners"):
        owners([*ASSETS, another])


def test_the_published_tables_are_the_ones_their_assets_declare():
    assert sorted(tables_in(ASSETS, PUBLISHED)) == sorted(PUBLISHED_TABLES)


def test_every_table_named_in_the_code_has_an_owner():
    # Literal table names handed to the Store (read, write, days, ...), in the pipelines and the feature library.
    call = re.compile(r"store(?:\(\))?\.(?:write|read|days|path|has|drop|prune)\(\s*\"([a-z0-9_]+)\"")
    constant = re.compile(r"^(?:DERIVED|CLUSTERS) = \"([a-z0-9_]+)\"", re.M)
    named = {
        (m, str(p.relative_to(REPO)))
        for room in ("pipelines", "features")
        for p in (REPO / room).rglob("*.py")
        for m in call.findall(p.read_text()) + constant.findall(p.read_text())
    }
    assert named, "the scan found no table names"
    unowned = sorted(f"{t} ({where})" for t, where in named if t not in owners(ASSETS))
    assert not unowned, f"tables without an owning asset: {unowned}"


def test_the_replayed_warehouse_holds_only_owned_tables(published_sample):
    wh = published_sample["runner"].warehouse.path
    found = owners(ASSETS)
    stored = {p.name for p in (wh / "store").iterdir() if p.is_dir()}
    assert {"features_1d", "coordination_clusters", "model_scores", "account_scores"} <= stored
    assert stored <= set(found), f"stored tables without an owner: {sorted(stored - set(found))}"
    published = {p.name for p in (wh / "published").iterdir() if p.is_dir() and p.name != "superseded"}
    assert published == set(tables_in(ASSETS, PUBLISHED))


def test_the_analysts_database_holds_owned_tables_and_the_publications_own(published_sample):
    """Its views read the owned published tables; its few base tables are written by the publication itself."""
    from pipelines.describe import open_warehouse

    con = open_warehouse(published_sample["db"])
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()}
    views = {r[0] for r in con.execute("select view_name from duckdb_views() where schema_name = 'main'").fetchall()}
    con.close()
    assert tables == set(PUBLICATION_TABLES)
    assert set(PUBLISHED_TABLES) <= views


def test_the_published_rows_are_the_owners_rows(published_sample):
    """Publication copies each table as its owning asset stored it (nothing is computed on the way)."""
    runner, day = published_sample["runner"], published_sample["days"][-1]
    store = runner.warehouse.store()
    for table in PUBLISHED_TABLES:
        stored, live = store.read(table, day, day), runner.warehouse.read_published(table, day, day)
        assert stored.equals(live), table


def test_the_owned_store_refuses_a_table_the_step_does_not_own(tmp_path):
    from features.store import Store

    store = OwnedStore(Store(tmp_path), {"clusters"}, "scores")
    frame = pl.DataFrame({"a": [1]})
    store.write("clusters", D1, frame)
    with pytest.raises(NotOwner, match="step scores wrote table 'account_scores', which it does not own"):
        store.write("account_scores", D1, frame)
    assert store.read("clusters", D1, D1).equals(frame)


def test_a_step_writing_another_assets_table_fails_the_run(raw_copy, tmp_path, monkeypatch):
    from features import daily

    original = daily.coordination

    def trespassing(raw, store, day, *args, **kwargs):
        store.write("features_1d", day, pl.DataFrame({"account_id": ["x"]}))
        return original(raw, store, day, *args, **kwargs)

    monkeypatch.setattr(daily, "coordination", trespassing)
    runner = Runner(str(raw_copy), str(tmp_path / "wh"), instance=dg.DagsterInstance.ephemeral())
    with pytest.raises(DayFailed, match="step coordination failed: NotOwner: .*'features_1d'"):
        runner.run_day(D1)
    assert runner.warehouse.published_days() == []
