"""Every entry point runs a day as the real `nightly` job, all steps in one process."""

from datetime import date

import dagster as dg

from pipelines.definitions import ASSETS, build_definitions
from pipelines.runner import Runner
from pipelines.tables import owners


def test_jobs_run_their_steps_in_one_process(tmp_path):
    defs = build_definitions(str(tmp_path / "raw"), str(tmp_path / "wh"))
    for name in ("nightly", "retrain"):
        assert defs.resolve_job_def(name).executor_def is dg.in_process_executor, name


def test_cli_runner_submits_the_nightly_job(sample_raw, tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    runner = Runner(str(sample_raw), str(tmp_path / "wh"), instance=instance)
    result = runner.run_day(date(2026, 3, 2))
    run = instance.get_run_by_id(result.run_id)
    assert run.job_name == "nightly"
    assert run.tags["dagster/partition"] == "2026-03-02"
    done = {s.step_key for s in instance.get_run_step_stats(result.run_id)}
    assert {"request_derivations", "account_day_features", "published_day"} <= done
    # Checks and table metadata are keyed to the day: every check result names the partition, and every
    # table-owning asset reports its rows and columns (with the catalogue's descriptions) for that day.
    assert {e.partition for e in result.get_asset_check_evaluations()} == {"2026-03-02"}
    tables = set(owners(ASSETS))
    reported = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        if mat.asset_key.path[-1] in tables:
            assert mat.partition == "2026-03-02"
            reported[mat.asset_key.path[-1]] = mat.metadata
    assert set(reported) == tables
    assert all("dagster/row_count" in m for m in reported.values())
    schema = reported["account_features"]["dagster/column_schema"].schema
    described = {c.name: c.description for c in schema.columns}
    assert described["acct_req_count_1d"] and described["account_id"]
