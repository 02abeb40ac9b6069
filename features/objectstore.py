"""Where the log warehouse's files live: a local folder or S3-compatible object storage.

One place turns a path or URI into a ``pyarrow.fs`` filesystem, a Polars frame or a DuckDB relation, so
every read path (contract checks included) works the same on both. DuckDB 2 downloads its httpfs
extension at run time, which fails offline, so remote Parquet is read through ``pyarrow.fs`` and handed
to DuckDB as Arrow datasets (scanned lazily, with projection pushdown); local files go to DuckDB directly.

S3 settings come from the standard AWS variables, read when a filesystem is made (never at import):
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_REGION`` (or
``AWS_DEFAULT_REGION``) and ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` for S3-compatible servers.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pyarrow import fs as pafs


def is_remote(path: str) -> bool:
    return "://" in str(path) and not str(path).startswith("file://")


def _endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def _region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def s3_filesystem() -> pafs.S3FileSystem:
    """An S3 filesystem configured from the AWS environment variables (endpoint, region, credentials)."""
    kwargs: dict = {}
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        kwargs.update(
            access_key=os.environ["AWS_ACCESS_KEY_ID"],
            secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
            session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
        )
    if _region():
        kwargs["region"] = _region()
    endpoint = _endpoint()
    if endpoint:
        scheme, _, host = endpoint.rpartition("://")
        kwargs.update(endpoint_override=host.rstrip("/"), scheme=scheme or "https")
    return pafs.S3FileSystem(**kwargs)


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem holding ``uri`` and the path to use with it."""
    uri = str(uri)
    if uri.startswith("file://"):
        return pafs.LocalFileSystem(), uri.removeprefix("file://")
    if uri.startswith(("s3://", "s3a://")):
        return s3_filesystem(), uri.split("://", 1)[1]
    if "://" in uri:
        return pafs.FileSystem.from_uri(uri)
    return pafs.LocalFileSystem(), str(Path(uri).resolve())


def polars_options(uri: str) -> dict | None:
    """``storage_options`` for Polars' own object-store reader (the same settings as ``s3_filesystem``)."""
    if not str(uri).startswith(("s3://", "s3a://")):
        return None
    names = {
        "AWS_ACCESS_KEY_ID": "aws_access_key_id",
        "AWS_SECRET_ACCESS_KEY": "aws_secret_access_key",
        "AWS_SESSION_TOKEN": "aws_session_token",
    }
    options = {key: os.environ[var] for var, key in names.items() if os.environ.get(var)}
    if _region():
        options["aws_region"] = _region()
    if _endpoint():
        options["aws_endpoint_url"] = _endpoint()
        options["aws_allow_http"] = str(_endpoint().startswith("http://")).lower()
    return options


def _local(files: list[str]) -> list[str]:
    return [f.removeprefix("file://") for f in files]


def scan_parquet(files: list[str], **options) -> pl.LazyFrame:
    """A lazy Polars scan of Parquet files, local or remote (one store per call); ``options`` go to Polars."""
    if files and is_remote(files[0]):
        return pl.scan_parquet(files, hive_partitioning=False, storage_options=polars_options(files[0]), **options)
    return pl.scan_parquet(_local(files), hive_partitioning=False, **options)


def read_parquet(files: list[str]) -> pl.DataFrame:
    """Parquet files read eagerly into one frame, in file order."""
    if files and is_remote(files[0]):
        return pl.read_parquet(files, hive_partitioning=False, storage_options=polars_options(files[0]))
    return pl.read_parquet(_local(files), hive_partitioning=False)


def read_schema(file: str) -> pa.Schema:
    filesystem_, path = filesystem(file)
    return pq.read_schema(path, filesystem=filesystem_)


def _dataset(file: str) -> ds.Dataset:
    filesystem_, path = filesystem(file)
    return ds.dataset(path, format="parquet", filesystem=filesystem_)


def duckdb_relation(con: duckdb.DuckDBPyConnection, files: list[str]) -> duckdb.DuckDBPyRelation:
    """The files as one DuckDB relation (columns unified by name)."""
    if not any(is_remote(f) for f in files):
        return con.read_parquet(_local(files), hive_partitioning=False, union_by_name=True)
    filesystem_, _ = filesystem(files[0])
    return con.from_arrow(ds.dataset([filesystem(f)[1] for f in files], format="parquet", filesystem=filesystem_))


def parquet_view(con: duckdb.DuckDBPyConnection, files: list[str], name: str) -> str:
    """Register the files as temporary view ``name`` with a ``filename`` column; returns ``name``.

    Remote files become one Arrow dataset each, so every row still names the object it came from.
    """
    con.execute(f"drop view if exists {name}")
    if not any(is_remote(f) for f in files):
        con.read_parquet(_local(files), filename=True, hive_partitioning=False, union_by_name=True).create_view(name)
        return name
    parts = []
    for i, f in enumerate(files):
        con.register(f"{name}_part{i}", _dataset(f))
        parts.append(f"select *, '{quote(f)}' as filename from {name}_part{i}")
    con.execute(f"create temp view {name} as " + " union all by name ".join(parts))
    return name


def quote(text: str) -> str:
    return text.replace("'", "''")
