"""The model-release calendar: an optional input table beside the logs, ``<raw>/releases/*.parquet``.

| column | type | meaning |
|---|---|---|
| model | string | model name as requests carry it |
| released_at | timestamp[us, UTC] | when it became available |

Traffic right after a release is judged with that context (``sql/features/feat_release.sql``): evaluation
harnesses benchmark a new model on release day, and so do release chasers; the model learns the rest.

The table is not part of the log warehouse's contract, so a warehouse may not have it, or it may not list every
model. The traffic dates those releases itself (``dated``): a model that nobody requested on any of the days
before and that a share of the day's requests use at once is a release, whichever warehouse it comes from.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

SCHEMA = {"model": pl.String, "released_at": pl.Datetime("us", "UTC")}

# A model is dated by the traffic when none of the QUIET_DAYS days before its first request (every one of them on
# record) had a request to it, and its first day's requests were at least MIN_SHARE of that day's: a release is
# taken up at once (evaluation harnesses, release chasers, early adopters), whereas a model in use since before
# the record begins has no quiet days, and an old model that a few accounts come back to carries too little.
QUIET_DAYS = 5
MIN_SHARE = 0.001
# Days of model use read back: a dated release stays on the calendar for the last USE_DAYS - QUIET_DAYS days, past
# the 14 days of acct_new_model_share_1d.
USE_DAYS = 33


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


def dated(use: pl.DataFrame | None, day: date) -> pl.DataFrame:
    """Releases the traffic dates by the end of ``day``, from ``use`` (the stored ``model_use`` rows of the
    USE_DAYS days up to ``day``: date, model, n_requests, first_ts); ``released_at`` is the first request."""
    if use is None or use.is_empty():
        return empty()
    on_record = set(use["date"].to_list())
    totals = use.group_by("date").agg(total=pl.col("n_requests").sum())
    first = use.filter(pl.col("date") <= day).sort("date", "model").group_by("model", maintain_order=True).first()
    first = first.join(totals, on="date").filter(pl.col("n_requests") >= MIN_SHARE * pl.col("total"))
    quiet = [all(d - timedelta(days=k) in on_record for k in range(1, QUIET_DAYS + 1)) for d in first["date"].to_list()]
    return first.filter(pl.Series(quiet, dtype=pl.Boolean)).select(
        "model", released_at=pl.col("first_ts").cast(SCHEMA["released_at"])
    )


def calendar(listed: pl.DataFrame, use: pl.DataFrame | None, day: date) -> pl.DataFrame:
    """The release calendar as known at the end of ``day``: ``listed`` (``load_releases``) for the models it
    lists, the traffic's dating for the others."""
    traffic = dated(use, day).filter(~pl.col("model").is_in(listed["model"].implode()))
    return pl.concat([listed, traffic]).sort("model", "released_at")
