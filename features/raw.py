"""The log warehouse as CONTRACT.md lays it out: a local folder or an object-store URI.

Listing goes through ``pyarrow.fs`` (local, S3 and GCS alike); reading is
left to Polars and DuckDB, which take the same URIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pyarrow import fs as pafs

from features import objectstore

SUCCESS_MARKER = "_SUCCESS"


class PartitionNotReady(RuntimeError):
    """The gateway has not finished the day (no ``_SUCCESS`` yet)."""


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
        """Parquet files of a day's partition (or of an unpartitioned table), sorted for determinism."""
        filesystem, base = self._fs()
        folder = self.partition(table, day) if day else f"{base}/{table}"
        info = filesystem.get_file_info(folder)
        if info.type != pafs.FileType.Directory:
            return []
        entries = filesystem.get_file_info(pafs.FileSelector(folder, recursive=False))
        return sorted(self._uri(e.path) for e in entries if e.type == pafs.FileType.File and e.path.endswith(".parquet"))

    def ready_files(self, table: str, day: date) -> list[str]:
        if not self.is_ready(table, day):
            raise PartitionNotReady(f"{self.partition(table, day)}: no {SUCCESS_MARKER} marker, the partition is not complete")
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
        return sorted(date.fromisoformat(e.base_name.split("=", 1)[1]) for e in entries
                      if e.type == pafs.FileType.Directory and e.base_name.startswith("date="))
