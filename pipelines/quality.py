"""Great Expectations 1.x suites, run directly (not through dagster-ge; see DESIGN.md's traps).

A suite is data: (expectation class, arguments) pairs, built into GX objects where they run. Importing GX takes
about 2 s, and every day's checks need it, so a process that publishes days starts a checker process at its own
start (``start_checker``, from pipelines/process.py): GX loads there on the other core while the process imports
the rest, and ``run_suite`` sends it each frame. Elsewhere (tests, a notebook) ``run_suite`` validates in the
calling process. The checker is this module run as ``python -m pipelines.quality``.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import traceback
import warnings
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

Expectation = tuple[str, dict[str, Any]]  # a GX expectation class name and its arguments

log = logging.getLogger(__name__)


def load_gx() -> ModuleType:
    """Great Expectations, imported safely beside PySpark.

    GX probes Spark Connect on import. Without Connect's client libraries (not installed: docs/scale.md), PySpark
    raises ImportError, which GX expects, unless the process's main module has no file, as in the run workers
    that Dagster's code server spawns for runs launched from the UI or a schedule (the checker has a main file,
    but a run worker without one validates in-process): then PySpark takes itself for a doctest run and calls
    ``sys.exit(0)``, and the GX check failed with ``SystemExit: 0``. Marking Connect absent turns that into the
    ImportError GX handles.
    """
    try:
        import pyspark.sql.connect  # noqa: F401
    except ImportError:
        pass
    except SystemExit:
        sys.modules["pyspark.sql.connect"] = None  # type: ignore[assignment]  # later imports raise ImportError
    import great_expectations as gx

    return gx


def requests_suite() -> list[Expectation]:
    return [
        ("ExpectColumnValuesToBeInSet", {"column": "endpoint", "value_set": ["messages", "batch"]}),
        ("ExpectColumnValuesToBeBetween", {"column": "input_tokens", "min_value": 0}),
        ("ExpectColumnValuesToBeBetween", {"column": "output_tokens", "min_value": 0}),
        ("ExpectColumnValuesToBeBetween", {"column": "max_tokens", "min_value": 1}),
        ("ExpectColumnValuesToBeBetween", {"column": "status", "min_value": 100, "max_value": 599}),
        ("ExpectColumnValuesToBeBetween", {"column": "latency_ms", "min_value": 0}),
        ("ExpectColumnValuesToMatchRegex", {"column": "country", "regex": r"^[A-Z]{2}$", "mostly": 1.0}),
        ("ExpectColumnValuesToMatchRegex", {"column": "ip", "regex": r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]+)$"}),
        ("ExpectColumnValuesToBeUnique", {"column": "request_id"}),
        # Prompt text is checked on every row by the contract rules in SQL (not null, at most 4,000
        # characters); sampling it here would read the day's text a second time.
    ]


def scores_suite() -> list[Expectation]:
    from models.spec import load_policy  # not at import: the checker process starts with this module

    return [
        ("ExpectColumnValuesToBeBetween", {"column": "score", "min_value": 0.0, "max_value": 1.0}),
        ("ExpectColumnValuesToNotBeNull", {"column": "score"}),
        ("ExpectColumnValuesToBeInSet", {"column": "risk_band", "value_set": load_policy().band_names()}),
        ("ExpectColumnValuesToNotBeNull", {"column": "model_version"}),
        ("ExpectColumnValuesToBeUnique", {"column": "account_id"}),
    ]


TRIGGERS = ["band", "rules_floor", "cluster_escalation", "protection", "persistence"]


def actions_suite() -> list[Expectation]:
    from models.spec import load_policy

    return [
        ("ExpectColumnValuesToBeInSet", {"column": "action", "value_set": load_policy().actions()}),
        ("ExpectColumnValuesToBeUnique", {"column": "account_id"}),
        ("ExpectColumnValuesToNotBeNull", {"column": "expires_at"}),
        ("ExpectColumnValuesToBeInSet", {"column": "trigger", "value_set": TRIGGERS}),
        ("ExpectColumnValuesToNotBeNull", {"column": "trigger"}),
    ]


def suite_columns(suite: list[Expectation]) -> list[str]:
    """The columns ``suite`` reads, sorted: what a sample for it needs."""
    return sorted({kwargs["column"] for _, kwargs in suite})


def run_suite(frame: pd.DataFrame, suite: list[Expectation], name: str) -> list[str]:
    """Validate ``frame`` against ``suite``; returns failure messages. In the checker process where this process
    started one, else here."""
    if _checker is not None and (failures := _checker.run(frame, suite, name)) is not None:
        return failures
    return validate(frame, suite, name)


def validate(frame: pd.DataFrame, suite: list[Expectation], name: str) -> list[str]:
    """``suite`` over ``frame`` in an ephemeral GX context, in this process."""
    gx = load_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name=f"{name}-source")
    asset = source.add_dataframe_asset(name=f"{name}-frame")
    batch_def = asset.add_batch_definition_whole_dataframe(f"{name}-batch")
    gx_suite = context.suites.add(gx.ExpectationSuite(name=f"{name}-suite"))
    for cls, kwargs in suite:
        gx_suite.add_expectation(getattr(gx.expectations, cls)(**kwargs))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{name}-validation", data=batch_def, suite=gx_suite)
    )
    result = validation.run(batch_parameters={"dataframe": frame})
    failures = []
    for r in result.results:
        if not r.success:
            cfg = r.expectation_config
            column = cfg.kwargs.get("column", "*")
            failures.append(f"column '{column}' fails {cfg.type} ({r.result.get('unexpected_count', '?')} unexpected)")
    return failures


class CheckError(RuntimeError):
    """A suite raised in the checker process (its traceback is in the message)."""


class Checker:
    """The checker process: frames in and failure lists out, pickled over its standard input and output (both
    ends are this code), one request at a time. It ends when this process closes its input (so also when this
    process dies, once GX has loaded) or at ``close``."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.quality"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._owner = os.getpid()  # a forked child must not write into its parent's conversation
        self._lock = threading.Lock()
        self._gone = False

    def run(self, frame: pd.DataFrame, suite: list[Expectation], name: str) -> list[str] | None:
        """Failures of ``suite`` over ``frame``, or None where there is no checker to ask (the caller validates)."""
        if self._gone or os.getpid() != self._owner:
            return None
        # Pickled whole before a byte is written: a request cut short would put the two ends out of step.
        request = pickle.dumps((frame[suite_columns(suite)], suite, name), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            try:
                self._proc.stdin.write(request)
                self._proc.stdin.flush()
                ok, value = pickle.load(self._proc.stdout)
            except (OSError, EOFError, pickle.UnpicklingError):
                self._give_up()
                log.warning("the Great Expectations checker process ended (exit %s); checking here", self._proc.poll())
                return None
            except BaseException:  # interrupted half-way (a run's termination): no later request could be read
                self._give_up()
                raise
        if not ok:
            raise CheckError(f"Great Expectations suite {name} failed in the checker process:\n{value}")
        return value

    def _give_up(self) -> None:
        self._gone = True
        self._proc.kill()

    def close(self) -> None:
        """End and reap it (it holds nothing to save), so that its resources count as this process's child's
        and an exit does not wait for an import still under way."""
        if os.getpid() == self._owner:
            self._proc.kill()
            self._proc.wait()


_checker: Checker | None = None


def start_checker() -> None:
    """Start this process's checker (once); it loads GX while this process goes on. Where it cannot start, the
    checks run here."""
    global _checker
    if _checker is None:
        try:
            _checker = Checker()
        except OSError as exc:
            log.warning("no Great Expectations checker process (%s); checks run in this process", exc)
            return
        atexit.register(_checker.close)


def serve() -> None:
    """The checker's loop: GX loaded once, then one suite per request until its input closes."""
    gc.disable()  # until GX is loaded: its import only adds objects for good
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C at the terminal is the caller's; it ends with its input
    warnings.filterwarnings("ignore")  # libraries' notices; a suite's errors go back to the caller
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # what libraries print goes to stderr, not into the replies
    requests = sys.stdin.buffer
    for optional in ("pyspark", "sqlalchemy"):  # GX's Spark and SQL back ends: it checks pandas frames only here
        sys.modules[optional] = None  # type: ignore[assignment]  # GX takes them as not installed (-40 MB, -0.5 s)
    load_gx()
    gc.collect()
    gc.freeze()  # GX's objects live as long as the checker: full collections need not rescan them
    gc.enable()
    while True:
        try:
            frame, suite, name = pickle.load(requests)
        except (EOFError, pickle.UnpicklingError, OSError):  # input closed, or the caller died mid-request
            break
        try:
            reply = (True, validate(frame, suite, name))
        except Exception:  # the caller raises it, with this traceback
            reply = (False, traceback.format_exc())
        del frame
        try:
            replies.write(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
            replies.flush()
        except OSError:  # the caller has gone
            break
    os._exit(0)  # nothing to clean up; interpreter shutdown would collect over everything GX left (about 1 s)


if __name__ == "__main__":
    serve()
