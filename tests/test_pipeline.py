"""The product end to end through the Dagster assets: publication, idempotence, backfills, bad input, analysts."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines import definitions
from pipelines.describe import open_warehouse
from pipelines.partitions import daily_partitions
from pipelines.runner import DayFailed, Runner

D1, D2, D3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
CONTRACT_COLUMNS = {
    "account_features": {"date", "account_id", "org_id"},
    "account_scores": {
        "date",
        "account_id",
        "org_id",
        "score",
        "risk_band",
        "cluster_id",
        "reasons",
        "model_version",
        "run_id",
    },
    "clusters": {"date", "cluster_id", "n_accounts", "score", "indicators"},
    "enforcement_actions": {
        "date",
        "account_id",
        "org_id",
        "action",
        "score",
        "cluster_id",
        "reasons",
        "effective_from",
        "expires_at",
        "model_version",
        "run_id",
    },
}


def runner(raw, tmp_path, name="wh") -> Runner:
    return Runner(str(raw), str(tmp_path / name), instance=dg.DagsterInstance.ephemeral())


def table(r: Runner, name: str, day: date) -> pl.DataFrame:
    return r.warehouse.read_published(name, day, day)


def without_run(df: pl.DataFrame) -> pl.DataFrame:
    return df.drop([c for c in ("run_id",) if c in df.columns])


def test_a_day_runs_end_to_end_into_the_warehouse(raw_copy, tmp_path):
    r = runner(raw_copy, tmp_path)
    result = r.run_day(D1)
    checks = {ev.check_name: ev.passed for ev in result.get_asset_check_evaluations()}
    assert checks == {
        "requests_contract": True,
        "accounts_contract": True,
        "requests_gx_suite": True,
        "published_tables_valid": True,
        "day_dependencies": True,
    }
    con = open_warehouse(r.warehouse.db_path)
    for name, cols in CONTRACT_COLUMNS.items():
        types = {row[0]: row[1] for row in con.execute(f"describe {name}").fetchall()}
        assert cols <= set(types), name
    types = {row[0]: row[1] for row in con.execute("describe account_scores").fetchall()}
    assert types["score"] == "DOUBLE" and types["reasons"] == "VARCHAR[]"
    n = con.execute("select count(*) from account_scores where date = ?", [D1]).fetchone()[0]
    assert n == con.execute("select count(*) from account_features").fetchone()[0] > 0
    assert con.execute("select count(*) from v_todays_actions").fetchone()[0] >= 0
    assert (r.warehouse.path / "reports" / "daily" / f"{D1}.md").exists()


def test_rerunning_a_day_replaces_only_that_day(raw_copy, tmp_path):
    r = runner(raw_copy, tmp_path)
    r.run_day(D1)
    r.run_day(D2)
    before_d1 = r.warehouse.manifest()["account_scores"][D1.isoformat()]
    first = table(r, "account_scores", D2)
    r.run_day(D2)
    assert r.warehouse.manifest()["account_scores"][D1.isoformat()] == before_d1
    again = table(r, "account_scores", D2)
    assert_frame_equal(without_run(first), without_run(again))
    assert first["run_id"][0] != again["run_id"][0]
    con = open_warehouse(r.warehouse.db_path)
    assert con.execute("select count(*) from account_scores where date = ?", [D2]).fetchone()[0] == again.height


def test_backfill_over_a_range_matches_day_by_day(raw_copy, tmp_path, monkeypatch):
    from pipelines import cli

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DISTILL_GUARD_WAREHOUSE_KEY", "one key for both warehouses")  # same fingerprints
    assert (
        cli.main(
            ["run", "--start", str(D1), "--end", str(D3), "--raw", str(raw_copy), "--warehouse", str(tmp_path / "a")]
        )
        == 0
    )
    day_by_day = runner(raw_copy, tmp_path, "b")
    for d in (D1, D2, D3):
        day_by_day.run_day(d)
    backfilled = runner(raw_copy, tmp_path, "a")
    for name in ("account_features", "account_scores", "clusters", "enforcement_actions"):
        for d in (D1, D2, D3):
            assert_frame_equal(without_run(table(backfilled, name, d)), without_run(table(day_by_day, name, d)))


def _first_requests_file(raw, day):
    return sorted((raw / "requests" / f"date={day}").glob("*.parquet"))[0]


BAD_INPUTS = {
    "missing column": (lambda df: df.drop("model"), "model", "column_present"),
    "wrong type": (lambda df: df.with_columns(pl.col("status").cast(pl.Int64)), "status", "column_type"),
    "null key": (
        lambda df: df.with_columns(account_id=pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise("account_id")),
        "account_id",
        "not_null",
    ),
    "duplicate ids": (lambda df: pl.concat([df, df.head(2)]), "request_id", "unique"),
    "day out of range": (
        lambda df: df.with_columns(ts=pl.col("ts") - timedelta(days=1)),
        "ts",
        "ts_inside_partition_day",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_stops_the_day_and_keeps_published_results(raw_copy, tmp_path, kind):
    mutate, column, rule = BAD_INPUTS[kind]
    r = runner(raw_copy, tmp_path)
    r.run_day(D1)
    published = r.warehouse.manifest()
    path = _first_requests_file(raw_copy, D2)
    pl.read_parquet(path).pipe(mutate).write_parquet(path)
    with pytest.raises(DayFailed) as err:
        r.run_day(D2)
    message = str(err.value)
    assert path.name in message and f"'{column}'" in message and rule in message
    assert r.warehouse.manifest() == published
    con = open_warehouse(r.warehouse.db_path)
    assert con.execute("select max(date) from account_scores").fetchone()[0] == D1


def test_request_ids_reused_from_an_earlier_day_stop_the_day(raw_copy, tmp_path):
    r = runner(raw_copy, tmp_path)
    r.run_day(D1)
    reused = pl.read_parquet(_first_requests_file(raw_copy, D1))["request_id"][0]
    path = _first_requests_file(raw_copy, D2)
    df = pl.read_parquet(path)
    df.with_columns(
        request_id=pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(reused)).otherwise("request_id")
    ).write_parquet(path)
    with pytest.raises(DayFailed, match="unique_across_days"):
        r.run_day(D2)


def test_corrupt_file_and_missing_success_marker_stop_the_day(raw_copy, tmp_path):
    r = runner(raw_copy, tmp_path)
    r.run_day(D1)
    _first_requests_file(raw_copy, D2).write_bytes(b"not parquet at all")
    with pytest.raises(DayFailed, match="readable_parquet"):
        r.run_day(D2)
    (raw_copy / "requests" / f"date={D3}" / "_SUCCESS").unlink()
    with pytest.raises(DayFailed, match="_SUCCESS"):
        r.run_day(D3)
    assert r.warehouse.published_days() == [D1]


def test_open_analyst_session_neither_blocks_the_run_nor_sees_a_half_day(raw_copy, tmp_path):
    r = runner(raw_copy, tmp_path)
    r.run_day(D1)
    analyst = open_warehouse(r.warehouse.db_path)
    before = analyst.execute("select count(*), max(date) from account_scores").fetchone()
    r.run_day(D2)  # must not fail on the analyst's open file
    assert analyst.execute("select count(*), max(date) from account_scores").fetchone() == before
    assert analyst.execute("select count(*) from enforcement_actions").fetchone()[0] >= 0
    analyst.close()
    fresh = open_warehouse(r.warehouse.db_path)
    counts = dict(fresh.execute("select date, count(*) from account_scores group by date").fetchall())
    assert set(counts) == {D1, D2}
    assert counts[D2] == fresh.execute("select count(*) from account_features where date = ?", [D2]).fetchone()[0]


def test_whole_sample_allowlisted_orgs_never_suspended_and_campaigns_acted_on(published_sample, sample_raw):
    allow = pl.read_parquet(sample_raw / "allowlist" / "*.parquet")["org_id"]
    actions = published_sample["enforcement_actions"]
    assert actions.filter(pl.col("org_id").is_in(allow.implode()) & (pl.col("action") == "suspend")).is_empty()
    truth = published_sample["truth"]
    acted = actions.filter(pl.col("action") != "monitor").join(truth, on="account_id")
    assert acted.filter(pl.col("is_attack"))["campaign_id"].n_unique() >= 6
    hard = ["labeling_pipeline", "eval_harness", "class_hackathon", "synthetic_contract"]
    assert acted.filter(pl.col("population").is_in(hard) & (pl.col("action") == "suspend")).is_empty()
    assert published_sample["trained"] is not None
    assert published_sample["account_scores"]["model_version"].str.starts_with("lgbm-").any()
    assert published_sample["account_scores"]["model_version"].str.starts_with("rules-").any()


def test_schedule_targets_the_previous_day_and_waits_for_success(raw_copy, tmp_path):
    raw = {
        "raw": definitions.RawLogWarehouse(root=str(raw_copy)),
        "warehouse": definitions.EnforcementWarehouse(folder=str(tmp_path)),
    }
    when = datetime(2026, 3, 4, 1, 15, tzinfo=UTC)
    with dg.build_schedule_context(scheduled_execution_time=when, resources=raw) as ctx:
        request = definitions.nightly_schedule(ctx)
    assert isinstance(request, dg.RunRequest) and request.partition_key == "2026-03-03"
    (raw_copy / "requests" / "date=2026-03-03" / "_SUCCESS").unlink()
    with dg.build_schedule_context(scheduled_execution_time=when, resources=raw) as ctx:
        skip = definitions.nightly_schedule(ctx)
    assert isinstance(skip, dg.SkipReason) and "_SUCCESS" in skip.skip_message and "2026-03-03" in skip.skip_message
    assert definitions.nightly_schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert definitions.retrain_schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_every_asset_has_a_description_a_group_and_the_daily_partitions():
    defs = definitions.build_definitions("raw", "warehouse")
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key
        assert node.group_name in {"ingest", "intermediate", "features", "scoring", "publishing", "model"}, key
        if node.group_name != "model":
            assert node.partitions_def == daily_partitions, key
    checked = {c.asset_key.path[-1] for c in graph.asset_check_keys}
    assert {"raw_partition", "published_day"} <= checked


def test_raw_root_given_as_a_uri(raw_copy, tmp_path):
    """Object-store roots (s3://, gs://) go through the same URI code path as file:// here."""
    r = Runner(f"file://{raw_copy}", str(tmp_path / "wh"), instance=dg.DagsterInstance.ephemeral())
    r.run_day(D1)
    assert r.warehouse.published_days() == [D1]
