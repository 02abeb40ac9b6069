"""A day launched from the UI runs as the CLI's does: the webserver and daemon of `distill-guard ui` launch it in
a run worker that Dagster's code server spawns, a process unlike the CLI's (no main file)."""

from types import SimpleNamespace

from benchmarks.stage import ui_run
from pipelines.describe import open_warehouse

DAY = "2026-03-02"


def test_a_day_launched_from_the_ui_publishes(sample_raw, tmp_path):
    work = tmp_path / "wh"
    out = ui_run(SimpleNamespace(raw=str(sample_raw), work=str(work), day=DAY))
    assert out["status"] == "SUCCESS" and out["job"] == "nightly"
    assert {"raw_partition_requests_gx_suite", "request_derivations", "published_day"} <= set(out["steps"])
    with open_warehouse(work / "distill_guard.duckdb") as con:
        published = con.execute("select count(*) from account_scores where date = ?", [DAY]).fetchone()[0]
    assert published > 0
