"""The code location the UI and the daemon load, and every run worker they start: the definitions, in a process
that publishes days and ends with its run (pipelines/process.py)."""

import atexit
import gc

gc.disable()  # until ``settle``: the imports below only add objects for good

from pipelines.definitions import defs  # noqa: E402
from pipelines.process import end, settle  # noqa: E402

settle(publishing=True)
atexit.register(end)

__all__ = ["defs"]
