"""The warehouse describes itself, opens from anywhere it is copied, and answers the analysts' standing questions."""

import shutil
from datetime import date

import duckdb
import polars as pl
import pytest

from pipelines import describe
from pipelines.runner import Runner

STRENGTH = {
    "suspend": 1,
    "degrade_reasoning": 2,
    "require_verification": 3,
    "human_review": 4,
    "rate_limit": 5,
    "monitor": 6,
}


@pytest.fixture(scope="module")
def con(published_sample):
    c = describe.open_warehouse(published_sample["db"])
    yield c
    c.close()


def test_every_published_table_view_and_column_has_a_comment(con):
    columns = con.execute(
        "select table_name, column_name, comment from duckdb_columns() where schema_name = 'main' and not internal"
    ).fetchall()
    uncommented = [f"{t}.{c}" for t, c, comment in columns if not comment]
    assert not uncommented, f"columns without a description (add them to features/warehouse.yaml): {uncommented}"
    assert len(columns) >= 150  # 200 at the time of writing: 88 in account_features alone
    objects = con.execute(
        "select table_name, comment from duckdb_tables() where schema_name = 'main' union all "
        "select view_name, comment from duckdb_views() where schema_name = 'main' and not internal",
    ).fetchall()
    names = {o for o, _ in objects}
    assert {"account_features", "enforcement_actions", "v_current_enforcement", "publication"} <= names
    assert all(comment for _, comment in objects), objects
    feature = con.execute(
        "select comment from duckdb_columns() where table_name = 'account_features' "
        "and column_name = 'acct_cot_rate_1d'"
    ).fetchall()[0][0]
    assert feature.startswith("Share of prompts eliciting chain-of-thought") and "window 1d" in feature
    action = con.execute(
        "select comment from duckdb_columns() where table_name = 'enforcement_actions' and column_name = 'action'"
    ).fetchall()[0][0]
    assert "critical: score >= 0.90 -> suspend for 30 days" in action


def test_a_copied_warehouse_folder_answers_queries(raw_copy, tmp_path, monkeypatch):
    import dagster as dg

    original = tmp_path / "built"
    runner = Runner(str(raw_copy), str(original), instance=dg.DagsterInstance.ephemeral())
    runner.run_day(date(2026, 3, 2))
    moved = tmp_path / "elsewhere" / "warehouse"
    charts = sorted(p.name for p in (original / "reports" / "daily").glob("*.svg"))
    assert charts == ["2026-03-02-actions-30d.svg", "2026-03-02-scores.svg"]  # the daily summary's charts
    shutil.copytree(original, moved)
    shutil.rmtree(original)  # nothing may still point at the old folder
    views = [v.stem for v in describe.VIEWS_DIR.glob("*.sql")]
    con = describe.open_warehouse(moved / "distill_guard.duckdb")
    assert con.execute("select count(*) from account_scores").fetchall()[0][0] > 0
    for view in views:
        con.execute(f"select count(*) from {view}").fetchall()
    con.close()
    # The pipeline goes on in the new place: the next day publishes and every day stays readable.
    Runner(str(raw_copy), str(moved), instance=dg.DagsterInstance.ephemeral()).run_day(date(2026, 3, 3))
    con = describe.open_warehouse(moved / "distill_guard.duckdb")
    assert con.execute("select count(distinct date) from account_scores").fetchall()[0][0] == 2
    con.close()
    monkeypatch.chdir(moved)  # a plain client started inside the folder needs no setting
    plain = duckdb.connect("distill_guard.duckdb", read_only=True)
    assert plain.execute("select count(*) from enforcement_actions").fetchall()[0][0] >= 0
    plain.close()


def test_current_enforcement_is_the_strongest_action_in_force(con, published_sample):
    current = con.sql("select * from v_current_enforcement").pl()
    assert current.height == current["account_id"].n_unique() > 0
    actions = published_sample["enforcement_actions"]
    as_of = actions["effective_from"].max()
    in_force = actions.filter((pl.col("effective_from") <= as_of) & (pl.col("expires_at") > as_of))
    expected = (
        in_force.with_columns(strength=pl.col("action").replace_strict(STRENGTH, return_dtype=pl.Int32))
        .group_by("account_id")
        .agg(pl.col("action").sort_by("strength").first())
    )
    got = current.select("account_id", "action").sort("account_id")
    assert got.equals(expected.sort("account_id"))
    assert (current["since"] <= current["as_of"]).all() and (current["until"] > current["as_of"]).all()
    assert current["reasons"].list.len().min() > 0


def test_cluster_history_shows_growth_and_churn(con):
    history = con.sql(
        "select cluster_id, date, n_accounts, new_members, members_lost, days_alive "
        "from v_cluster_history order by cluster_id, date"
    ).pl()
    prev = history.with_columns(
        pl.col("date").shift(1).over("cluster_id").alias("prev_date"),
        pl.col("n_accounts").shift(1).over("cluster_id").alias("prev_n"),
    )
    consecutive = prev.filter((pl.col("date") - pl.col("prev_date")).dt.total_days() == 1)
    assert consecutive.height > 0
    balance = consecutive["prev_n"] + consecutive["new_members"] - consecutive["members_lost"]
    assert (balance == consecutive["n_accounts"]).all()
    first = history.group_by("cluster_id").agg(pl.all().sort_by("date").first())
    assert (first["days_alive"] == 1).all() and (first["new_members"] == first["n_accounts"]).all()
    assert (history["members_lost"] > 0).any() and (history["days_alive"] > 1).any()


def test_generated_docs_match_the_code(published_sample, con):
    from pathlib import Path

    docs = Path(describe.REPO_ROOT) / "docs"
    assert (docs / "contract.md").read_text() == describe.contract_markdown(), "run python -m pipelines.describe"
    assert all(rule in describe.RULES for rule in describe.contract_rules())
    page = (docs / "warehouse.md").read_text()
    columns = con.execute(
        "select table_name, column_name from duckdb_columns() where schema_name = 'main' and not internal"
    ).fetchall()
    missing = [f"{t}.{c}" for t, c in columns if f"## {t}" not in page or f"| {c} |" not in page]
    assert not missing, f"docs/warehouse.md is stale (python -m pipelines.describe <db>): {missing[:10]}"
