"""The views rank actions by the warehouse's action_ladder table, written from models/policy.yaml: no SQL file
spells the ladder, and a policy that reorders it reorders the views."""

import re
from datetime import UTC, date, datetime, timedelta

import duckdb
import polars as pl

from features.account_day import SQL_DIR
from models.spec import load_policy
from pipelines import resources
from pipelines.describe import open_warehouse

DAY = date(2026, 3, 2)


def test_the_published_ladder_is_the_policys(published_sample):
    policy = load_policy()
    con = open_warehouse(published_sample["db"])
    rows = con.execute("select action, rank, duration_days from action_ladder order by rank").fetchall()
    con.close()
    order = policy.strength_order()
    assert rows == [(a, i, policy.durations()[a]) for i, a in enumerate(order, start=1)]
    assert set(order) == set(policy.actions()), "every action a row can carry is ranked"


def test_no_sql_file_spells_an_action():
    actions = load_policy().actions()
    spelled = [
        f"{p.relative_to(SQL_DIR)}: '{a}'"
        for p in sorted(SQL_DIR.rglob("*.sql"))
        for a in actions
        if re.search(rf"'{a}'", p.read_text())
    ]
    assert not spelled, f"SQL naming actions instead of joining action_ladder: {spelled}"


def _views_over(actions: pl.DataFrame, monkeypatch, ranks_above: str) -> duckdb.DuckDBPyConnection:
    policy = load_policy()
    reordered = policy.model_copy(
        update={"human_review": policy.human_review.model_copy(update={"ranks_above": ranks_above})}
    )
    monkeypatch.setattr(resources, "load_policy", lambda: reordered)
    con = duckdb.connect()
    con.register("actions_frame", actions)
    con.execute("create table enforcement_actions as select * from actions_frame")
    resources.write_action_ladder(con)
    for name in ("v_todays_actions", "v_current_enforcement"):
        con.execute((SQL_DIR / "views" / f"{name}.sql").read_text())
    return con


def test_reordering_the_policy_reorders_the_views(monkeypatch):
    start = datetime(2026, 3, 3, tzinfo=UTC)
    actions = pl.DataFrame(
        {
            "date": [DAY] * 3,
            "account_id": ["acct_a", "acct_b", "acct_b"],
            "org_id": ["org_a", "org_b", "org_b"],
            "action": ["human_review", "degrade_reasoning", "human_review"],
            "score": [0.5, 0.9, 0.5],
            "risk_band": ["elevated", "high", "elevated"],
            "cluster_id": [None, None, None],
            "reasons": [["r"], ["r"], ["r"]],
            "effective_from": [start] * 3,
            "expires_at": [start + timedelta(days=7)] * 3,
            "model_version": ["m"] * 3,
            "protection": [None, None, None],
            "policy_version": ["p"] * 3,
        },
        schema_overrides={"cluster_id": pl.String, "protection": pl.String},
    )
    # Human review ranked just above rate_limit (the file's choice): degrade_reasoning is stronger.
    con = _views_over(actions, monkeypatch, "rate_limit")
    assert [r[0] for r in con.execute("select action from v_todays_actions").fetchall()][0] == "degrade_reasoning"
    current = dict(con.execute("select account_id, action from v_current_enforcement").fetchall())
    assert current == {"acct_a": "human_review", "acct_b": "degrade_reasoning"}
    # Human review above suspend: now it is the strongest, in both views, with no SQL edited.
    con = _views_over(actions, monkeypatch, "suspend")
    assert [r[0] for r in con.execute("select action from v_todays_actions").fetchall()][0] == "human_review"
    current = dict(con.execute("select account_id, action from v_current_enforcement").fetchall())
    assert current == {"acct_a": "human_review", "acct_b": "human_review"}
