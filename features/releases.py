"""The model-release calendar: an optional input table beside the logs, ``<raw>/releases/*.parquet``.

| column | type | meaning |
|---|---|---|
| model | string | model name as requests carry it |
| released_at | timestamp[us, UTC] | when it became available |

Traffic right after a release is judged with that context (``sql/features/feat_release.sql``): evaluation
harnesses benchmark a new model on release day, and so do release chasers; the model learns the rest.
Without the table every account reads as far from any release.
"""

from __future__ import annotations

import polars as pl

SCHEMA = {"model": pl.String, "released_at": pl.Datetime("us", "UTC")}


class BadReleases(ValueError):
    """The release calendar breaks its contract (file, column and rule named)."""


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def load_releases(files: list[str]) -> pl.DataFrame:
    """The calendar from its Parquet files, checked column by column; an empty calendar when there are none."""
    frames = []
    for f in files:
        frame = pl.read_parquet(f, hive_partitioning=False)
        for column, dtype in SCHEMA.items():
            if column not in frame.columns:
                raise BadReleases(f"{f}: column '{column}' breaks rule 'required_column': missing")
            if frame.schema[column] != dtype:
                raise BadReleases(f"{f}: column '{column}' breaks rule 'type': {frame.schema[column]} is not {dtype}")
            nulls = frame[column].null_count()
            if nulls:
                raise BadReleases(f"{f}: column '{column}' breaks rule 'not_null': {nulls} row(s) break it")
        frames.append(frame.select(list(SCHEMA)))
    return pl.concat(frames) if frames else empty()
