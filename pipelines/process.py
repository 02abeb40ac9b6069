"""Processes that run the asset graph and end with it: the collector kept off what they hold for good.

The libraries such a process loads (Dagster, Polars, DuckDB) leave about 230,000 objects that live as long as it
does, yet Python's full collections rescan every one of them: eight a day on the bundled sample; and interpreter
shutdown collects over them once more. Frozen, they are left alone. Only for processes of their own (the
`distill-guard` command, the run workers of the UI and the daemon): frozen objects are never collected, which a
test process that calls the command's ``main`` would pay for. Great Expectations (another 210,000 objects and
about 2 s of imports) loads in a checker process of their own instead (pipelines/quality.py).
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading


def settle(publishing: bool, checks: bool = True) -> None:
    """Load what a process that publishes days loads anyway, then freeze what it holds and collect again; where
    it runs the day's ``checks``, start its Great Expectations checker first.

    Call with collection disabled since the process started, so that imports do not collect over each other.
    """
    if publishing:
        # Dagster's run storage imports its daemon module, which loads structlog's console renderer, which loads
        # rich where it is installed (0.1-0.15 s); neither Dagster's runs nor this project use rich. Later imports of
        # it raise ImportError, which structlog takes as rich not being installed.
        sys.modules.setdefault("rich", None)  # type: ignore[arg-type]
        if checks:
            from pipelines.quality import start_checker

            start_checker()  # Great Expectations loads there, on the other core, while this process imports the rest
        import pipelines.definitions  # noqa: F401
    gc.collect()  # what the imports left behind, once, before it would be frozen with the rest
    gc.freeze()
    gc.enable()


def release() -> None:
    """Hand the frozen objects back to the collector, so that the interpreter's shutdown frees them: DuckDB's
    bindings report every object of theirs still alive then as a leak (43 lines on stderr)."""
    gc.unfreeze()


def exit_now(code: int) -> int:
    """End the process with ``code`` once its exit handlers have run, without the interpreter's shutdown, which
    would collect over everything once more (1.3 s) or, frozen, report DuckDB's objects as leaks. A thread of
    the process's own still running gets the ordinary shutdown instead, which waits for it."""
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        release()
        return code
    atexit._run_exitfuncs()  # what any exit runs: logging's flush, Dagster's and the libraries' own handlers
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
