"""Processes that run the asset graph and end with it: the collector kept off what they hold for good.

The libraries such a process loads (Dagster, Great Expectations, Polars, DuckDB) leave about 430,000
objects that live as long as it does, yet Python's full collections rescan every one of them: eight a day on the
bundled sample, about 1 s; and interpreter shutdown collects over them once more (1.3 s). Frozen, they are left
alone. Only for processes of their own (the `distill-guard` command, the run workers of the UI and the daemon):
frozen objects are never collected, which a test process that calls the command's ``main`` would pay for.
"""

from __future__ import annotations

import gc


def settle(publishing: bool) -> None:
    """Load what a process that publishes days loads anyway, then freeze what it holds and collect again.

    Call with collection disabled since the process started, so that imports do not collect over each other.
    """
    if publishing:
        # Not matplotlib: the day's charts load it after the day's peak of memory, which it would raise by 30 MB.
        import pipelines.definitions  # noqa: F401
        from pipelines.quality import load_gx

        load_gx()  # the raw-request check of every day
    gc.collect()  # what the imports left behind, once, before it would be frozen with the rest
    gc.freeze()
    gc.enable()


def end() -> None:
    """The process ends: interpreter shutdown need not collect over what it holds (the OS takes it back)."""
    gc.freeze()
