"""The log warehouse as CONTRACT.md lays it out: a local folder or an object-store URI.

Listing goes through ``pyarrow.fs`` (local, S3 and GCS alike); reading is
left to Polars and DuckDB, which take the same URIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
from pyarrow import fs as pafs

from features import objectstore

SUCCESS_MARKER = "_SUCCESS"


class PartitionNotReady(RuntimeError):
    """The gateway has not finished the day (no ``_SUCCESS`` yet)."""


class LayoutError(ValueError):
    """An entry in the log warehouse that the contract's layout does not allow."""


def visible(name: str) -> bool:
    """The one listing rule: names starting with '.' or '_' (markers, writers' temporary files) are not data."""
    return not name.startswith((".", "_"))


def _kind(entry: pafs.FileInfo) -> str:
    return {pafs.FileType.Directory: "a directory", pafs.FileType.File: "a file"}.get(entry.type, "not a regular file")


@dataclass(frozen=True)
class RawWarehouse:
    root: str

    def _fs(self) -> tuple[pafs.FileSystem, str]:
        return objectstore.filesystem(self.root)

    def _uri(self, path: str) -> str:
        if "://" in self.root:
            scheme = self.root.split("://", 1)[0]
            return f"{scheme}://{path}"
        return path

    def partition(self, table: str, day: date) -> str:
        _, base = self._fs()
        return f"{base}/{table}/date={day.isoformat()}"

    def is_ready(self, table: str, day: date) -> bool:
        filesystem, _ = self._fs()
        info = filesystem.get_file_info(f"{self.partition(table, day)}/{SUCCESS_MARKER}")
        return info.type == pafs.FileType.File

    def files(self, table: str, day: date | None = None) -> list[str]:
        """Parquet files of a day's partition (or of an unpartitioned table), sorted for determinism.

        One rule everywhere: names starting with '.' or '_' are ignored; every other entry must be a regular
        *.parquet file (LayoutError otherwise, e.g. a directory named part-00003.parquet)."""
        filesystem, base = self._fs()
        folder = self.partition(table, day) if day else f"{base}/{table}"
        info = filesystem.get_file_info(folder)
        if info.type != pafs.FileType.Directory:
            return []
        entries = filesystem.get_file_info(pafs.FileSelector(folder, recursive=False))
        out = []
        for e in sorted((e for e in entries if visible(e.base_name)), key=lambda e: e.path):
            if e.type == pafs.FileType.Directory and day is None and not e.base_name.endswith(".parquet"):
                continue  # a table-level listing passes over date= partition folders
            if e.type != pafs.FileType.File or not e.base_name.endswith(".parquet"):
                raise LayoutError(
                    f"{self._uri(e.path)}: rule 'only_parquet_files': {_kind(e)} where only regular "
                    "*.parquet files may be (names starting with '.' or '_' are ignored)"
                )
            out.append(self._uri(e.path))
        return out

    def ready_files(self, table: str, day: date) -> list[str]:
        if not self.is_ready(table, day):
            raise PartitionNotReady(
                f"{self.partition(table, day)}: no {SUCCESS_MARKER} marker, the partition is not complete"
            )
        files = self.files(table, day)
        if not files:
            raise PartitionNotReady(f"{self.partition(table, day)}: marked complete but holds no Parquet file")
        return files

    def days(self, table: str = "requests") -> list[date]:
        filesystem, base = self._fs()
        info = filesystem.get_file_info(f"{base}/{table}")
        if info.type != pafs.FileType.Directory:
            return []
        entries = filesystem.get_file_info(pafs.FileSelector(f"{base}/{table}", recursive=False))
        return sorted(_partition_day(e, self._uri(e.path)) for e in entries if visible(e.base_name))


def _partition_day(entry: pafs.FileInfo, uri: str) -> date:
    key, _, value = entry.base_name.partition("=")
    try:
        if entry.type == pafs.FileType.Directory and key == "date":
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise LayoutError(
        f"{uri}: rule 'date_partition': {_kind(entry)} where only date=YYYY-MM-DD partition folders "
        "may be (names starting with '.' or '_' are ignored)"
    )


def scan_contract(files: list[str], spec: dict) -> pl.LazyFrame:
    """The contract's columns of ``files``; columns some files add (the contract allows additions) are dropped."""
    return objectstore.scan_parquet(files, missing_columns="insert", extra_columns="ignore").select(list(spec))
