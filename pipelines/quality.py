"""Great Expectations 1.x suites, run directly (not through dagster-ge; see DESIGN.md's traps).

GX is imported lazily: it takes seconds to import and only the checks need it.
"""

from __future__ import annotations

import pandas as pd

from models.spec import load_policy


def requests_suite():
    import great_expectations as gx

    E = gx.expectations
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
    import great_expectations as gx

    E = gx.expectations
    return [
        E.ExpectColumnValuesToBeBetween(column="score", min_value=0.0, max_value=1.0),
        E.ExpectColumnValuesToNotBeNull(column="score"),
        E.ExpectColumnValuesToBeInSet(column="risk_band", value_set=load_policy().band_names()),
        E.ExpectColumnValuesToNotBeNull(column="model_version"),
        E.ExpectColumnValuesToBeUnique(column="account_id"),
    ]


def actions_suite():
    import great_expectations as gx

    E = gx.expectations
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
    import great_expectations as gx
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
