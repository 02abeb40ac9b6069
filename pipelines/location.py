"""The code location the UI and the daemon load, and every run worker they start: the definitions, in a process
that publishes days and ends with its run (pipelines/process.py)."""

import atexit
import gc

gc.disable()  # until ``settle``: the imports below only add objects for good
try:
    from pipelines.definitions import defs
    from pipelines.process import release, settle

    settle(publishing=True)
finally:
    gc.enable()  # also when the definitions fail to load: the code server lives on to show why
atexit.register(release)  # Dagster ends its run workers; shutdown then frees what settle froze

__all__ = ["defs"]
