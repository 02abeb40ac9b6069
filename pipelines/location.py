"""The code location the UI and the daemon load, in their code server and in every run worker that server starts:
the definitions, in a process that publishes days and ends with its run (pipelines/process.py)."""

import atexit
import gc
import multiprocessing

gc.disable()  # until ``settle``: the imports below only add objects for good
try:
    from pipelines.process import release, settle

    # Run workers are the code server's multiprocessing children; the code server itself runs no day's checks.
    settle(publishing=True, checks=multiprocessing.parent_process() is not None)
    from pipelines.definitions import defs  # after: settle starts the checker before the definitions load
finally:
    gc.enable()  # also when the definitions fail to load: the code server lives on to show why
atexit.register(release)  # Dagster ends its run workers; shutdown then frees what settle froze

__all__ = ["defs"]
