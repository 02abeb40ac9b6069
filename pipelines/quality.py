"""Great Expectations 1.x suites, run directly (not through dagster-ge; see DESIGN.md's traps).

GX is imported lazily: it takes seconds to import and only the checks need it (processes that publish days load
it up front, before they freeze what they hold: pipelines/process.py).
"""

from __future__ import annotations

import sys
from types import ModuleType

import pandas as pd

from models.spec import load_policy


def load_gx() -> ModuleType:
    """Great Expectations, imported safely beside PySpark.

    GX probes Spark Connect on import. Without Connect's client libraries (not installed: docs/scale.md), PySpark
    raises ImportError, which GX expects, unless the process's main module has no file, as in the run worker that
    Dagster's code server spawns (``python -c``) for runs launched from the UI or a schedule: then PySpark takes
    itself for a doctest run and calls ``sys.exit(0)``, and the GX check failed with ``SystemExit: 0``. Marking
    Connect absent turns that into the ImportError GX handles.
    """
    try:
        import pyspark.sql.connect  # noqa: F401
    except ImportError:
        pass
    except SystemExit:
        sys.modules["pyspark.sql.connect"] = None  # type: ignore[assignment]  # later imports raise ImportError
    import great_expectations as gx

    return gx


def requests_suite():
    E = load_gx().expectations
    return [
        E.ExpectColumnValuesToBeInSet(column="endpoint", value_set=["messages", "batch"]),
        E.ExpectColumnValuesToBeBetween(column="input_tokens", min_value=0),
        E.ExpectColumnValuesToBeBetween(column="output_tokens", min_value=0),
        E.ExpectColumnValuesToBeBetween(column="max_tokens", min_value=1),
        E.ExpectColumnValuesToBeBetween(column="status", min_value=100, max_value=599),
        E.ExpectColumnValuesToBeBetween(column="latency_ms", min_value=0),
        E.ExpectColumnValuesToMatchRegex(column="country", regex=r"^[A-Z]{2}$", mostly=1.0),
        E.ExpectColumnValuesToMatchRegex(column="ip", regex=r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]+)$"),
        E.ExpectColumnValuesToBeUnique(column="request_id"),
        # Prompt text is checked on every row by the contract rules in SQL (not null, at most 4,000
        # characters); sampling it here would read the day's text a second time.
    ]


def scores_suite():
    E = load_gx().expectations
    return [
        E.ExpectColumnValuesToBeBetween(column="score", min_value=0.0, max_value=1.0),
        E.ExpectColumnValuesToNotBeNull(column="score"),
        E.ExpectColumnValuesToBeInSet(column="risk_band", value_set=load_policy().band_names()),
        E.ExpectColumnValuesToNotBeNull(column="model_version"),
        E.ExpectColumnValuesToBeUnique(column="account_id"),
    ]


def actions_suite():
    E = load_gx().expectations
    return [
        E.ExpectColumnValuesToBeInSet(column="action", value_set=load_policy().actions()),
        E.ExpectColumnValuesToBeUnique(column="account_id"),
        E.ExpectColumnValuesToNotBeNull(column="expires_at"),
        E.ExpectColumnValuesToBeInSet(
            column="trigger", value_set=["band", "rules_floor", "cluster_escalation", "protection", "persistence"]
        ),
        E.ExpectColumnValuesToNotBeNull(column="trigger"),
    ]


def run_suite(frame: pd.DataFrame, expectations: list, name: str) -> list[str]:
    """Validate ``frame`` against ``expectations`` in an ephemeral context; returns failure messages."""
    gx = load_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name=f"{name}-source")
    asset = source.add_dataframe_asset(name=f"{name}-frame")
    batch_def = asset.add_batch_definition_whole_dataframe(f"{name}-batch")
    suite = context.suites.add(gx.ExpectationSuite(name=f"{name}-suite"))
    for expectation in expectations:
        suite.add_expectation(expectation)
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{name}-validation", data=batch_def, suite=suite)
    )
    result = validation.run(batch_parameters={"dataframe": frame})
    failures = []
    for r in result.results:
        if not r.success:
            cfg = r.expectation_config
            column = cfg.kwargs.get("column", "*")
            failures.append(f"column '{column}' fails {cfg.type} ({r.result.get('unexpected_count', '?')} unexpected)")
    return failures
