"""Which asset owns which table, declared once, on the assets themselves.

A table-owning asset is named after its table and carries the tag ``distill_guard/table``: ``store`` for a
working table (``<warehouse>/store/<name>/date=.../part.parquet``, read by later steps and later days), ``published``
for one of the warehouse's tables (stored the same way, then copied unchanged into the published warehouse by
``published_day``). ``owners`` reads the tags back from the definitions, so the mapping cannot drift from the graph.

A step writes working tables only through ``OwnedStore``, which refuses a table that the step does not
materialise; library code handed the store (the feature engines) is held to the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from features.store import Store
from pipelines import describe
from pipelines.partitions import OWNERS

TABLE_TAG = "distill_guard/table"
STORE = "store"
PUBLISHED = "published"


def table_tags(where: str) -> dict[str, str]:
    """Tags of an asset that owns the table named like it (``STORE`` or ``PUBLISHED``)."""
    if where not in (STORE, PUBLISHED):
        raise ValueError(f"a table lives in {STORE!r} or {PUBLISHED!r}, not {where!r}")
    return {TABLE_TAG: where}


def table_spec(name: str, where: str, group: str, description: str, kinds: set[str], deps=()) -> dg.AssetSpec:
    """The spec of an asset that owns table ``name`` (for multi-assets: one step, several tables)."""
    return dg.AssetSpec(
        name, description=description, group_name=group, owners=OWNERS, kinds=kinds, tags=table_tags(where), deps=deps
    )


def owners(assets: Iterable[dg.AssetsDefinition]) -> dict[str, dg.AssetKey]:
    """table name -> key of the one asset that owns it, from the assets' tags; two owners of one name raise."""
    found: dict[str, dg.AssetKey] = {}
    for asset in assets:
        for spec in asset.specs:
            if TABLE_TAG not in (spec.tags or {}):
                continue
            name = spec.key.path[-1]
            if name in found:
                raise ValueError(f"table {name!r} has two owners: {found[name].to_user_string()} and {spec.key}")
            found[name] = spec.key
    return found


def tables_in(assets: Iterable[dg.AssetsDefinition], where: str) -> list[str]:
    """Names of the tables kept in ``where`` (``STORE`` or ``PUBLISHED``), in definition order."""
    return [spec.key.path[-1] for a in assets for spec in a.specs if (spec.tags or {}).get(TABLE_TAG) == where]


class NotOwner(RuntimeError):
    """A step tried to write a table it does not materialise."""


class OwnedStore:
    """The working Store as one step sees it: reads anything, writes only the tables the step owns."""

    def __init__(self, store: Store, owned: Iterable[str], step: str):
        self._store, self.owned, self.step = store, frozenset(owned), step

    @property
    def root(self) -> Path:
        return self._store.root

    def write(self, kind: str, day: date, frame: pl.DataFrame | duckdb.DuckDBPyRelation) -> Path:
        if kind not in self.owned:
            raise NotOwner(
                f"step {self.step} wrote table {kind!r}, which it does not own (it owns {sorted(self.owned)}); "
                "the asset named after a table is the only one that writes it (pipelines/tables.py)"
            )
        return self._store.write(kind, day, frame)

    # Reading and retention are open to every step: a table is read downstream, and per-request rows are
    # dropped once the day is published (a privacy rule, not content).
    def path(self, kind: str, day: date) -> Path:
        return self._store.path(kind, day)

    def read(self, kind: str, first: date, last: date) -> pl.DataFrame | None:
        return self._store.read(kind, first, last)

    def scan(self, kind: str, first: date, last: date) -> pl.LazyFrame | None:
        return self._store.scan(kind, first, last)

    def files(self, kind: str, first: date, last: date) -> list[str]:
        return self._store.files(kind, first, last)

    def has(self, kind: str, day: date) -> bool:
        return self._store.has(kind, day)

    def days(self, kind: str) -> list[date]:
        return self._store.days(kind)

    def prune(self, kind: str, before: date) -> None:
        self._store.prune(kind, before)

    def drop(self, kind: str, day: date) -> None:
        self._store.drop(kind, day)


def owned_store(context: dg.AssetExecutionContext, store: Store) -> OwnedStore:
    """The store for the running step: it may write the tables named like the assets it materialises."""
    keys = context.selected_asset_keys
    return OwnedStore(store, {k.path[-1] for k in keys}, context.op_def.name)


def column_schema(table: str, schema: pl.Schema) -> dg.TableSchema:
    """The table's columns with their types and the catalogue's descriptions (the UI's column view)."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=c, type=str(t), description=describe.description(table, c) or "")
            for c, t in schema.items()
        ]
    )


def store_table(store: OwnedStore, table: str, day: date, frame: pl.DataFrame, **metadata) -> dg.MaterializeResult:
    """Write the step's own ``table`` for ``day`` and report it: rows, columns and any further ``metadata``."""
    store.write(table, day, frame)
    return reported(table, frame, **metadata)


def reported(table: str, frame: pl.DataFrame | pl.LazyFrame | None, **metadata) -> dg.MaterializeResult:
    """What the UI shows of a stored table: rows and columns (a scan's rows come from the Parquet footers)."""
    frame = (frame if frame is not None else pl.DataFrame()).lazy()
    return dg.MaterializeResult(
        asset_key=table,
        metadata={
            "dagster/row_count": frame.select(pl.len()).collect().item(),
            "dagster/column_schema": column_schema(table, frame.collect_schema()),
            **metadata,
        },
    )
