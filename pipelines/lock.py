"""One writer at a time: an OS file lock on the enforcement warehouse, held for a whole run.

Two runs that publish at once would each read the manifest, add their day and write it back, losing the
other's day (or swap half-built database files). Every writer therefore holds an exclusive ``fcntl.flock`` on
``<warehouse>/.writer.lock`` for its whole run. The lock is re-entrant within a process (the CLI takes it, then
the Dagster resource and the publish step take it again in the same process) and the kernel drops it when the
process dies, so a killed run never leaves the warehouse locked. The holder's pid and start time are written
into the file so the next run can say who holds it.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = ".writer.lock"
_POLL_S = 0.2
_held: dict[str, tuple[int, int]] = {}  # resolved lock path -> (fd, depth) for locks this process holds
_guard = threading.Lock()


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse's writer lock."""


def lock_path(folder: Path | str) -> Path:
    return Path(folder).resolve() / LOCK_NAME


def _holder(path: Path) -> str:
    try:
        text = path.read_text().strip()
    except OSError:
        text = ""
    pid, _, since = text.partition(" ")
    return f"since {since or 'an unknown time'}, pid {pid or 'unknown'}"


def acquire(folder: Path | str, wait_s: float = 0.0) -> bool:
    """Take the writer lock (waiting up to ``wait_s`` seconds); returns True when this call took it first."""
    path = lock_path(folder)
    key = str(path)
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + max(wait_s, 0.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                waited = f" (waited {wait_s:g}s)" if wait_s else ""
                raise WarehouseBusy(
                    f"another run holds the warehouse {path.parent} {_holder(path)}{waited}; "
                    "retry later or pass --wait SECONDS"
                ) from None
            time.sleep(_POLL_S)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()} {datetime.now(UTC).isoformat(timespec='seconds')}\n".encode(), 0)
    with _guard:
        _held[key] = (fd, 1)
    return True


def release(folder: Path | str) -> None:
    key = str(lock_path(folder))
    with _guard:
        fd, depth = _held[key]
        if depth > 1:
            _held[key] = (fd, depth - 1)
            return
        del _held[key]
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def holds(folder: Path | str) -> bool:
    with _guard:
        return str(lock_path(folder)) in _held


@contextmanager
def writer_lock(folder: Path | str, wait_s: float = 0.0, on_first=None):
    """Hold the writer lock for the block; ``on_first`` runs once when this process newly takes it."""
    first = acquire(folder, wait_s)
    try:
        if first and on_first is not None:
            on_first()
        yield
    finally:
        release(folder)
