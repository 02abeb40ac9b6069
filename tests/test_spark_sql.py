"""The account-day SQL translated for Spark (no JVM needed): one source, no DuckDB-only function left behind."""

import re
import subprocess
import sys

import pytest
import sqlglot

from features.engine import engine_name
from features.spark_sql import spark_sql

SPARK_FILES = [
    "feat_account_day",
    "feat_account_org",
    "feat_account_templates",
    "feat_account_user_agent",
    "feat_sync_buckets",
]
DUCKDB_ONLY = [
    "LIST_SUM",
    "DATE_BIN",
    "TIME_BUCKET",
    "EPOCH_US",
    "INT128",
    "HUGEINT",
    "EXCEPT",
    "EXCLUDE",
    "COLLECT_LIST(CAPABILITY)",
    "COLLECT_LIST(USER_AGENT)",
    "$DAY",
]


@pytest.mark.parametrize("name", SPARK_FILES)
def test_translation_leaves_no_duckdb_only_construct(name):
    text = spark_sql(f"features/{name}")
    code = re.sub(r"/\*.*?\*/", "", text, flags=re.S).upper()  # comments may name DuckDB's types
    assert [word for word in DUCKDB_ONLY if word in code] == []
    sqlglot.parse_one(text, read="spark")  # and it parses as Spark SQL


def test_ordered_first_keeps_order_and_tie_break():
    text = spark_sql("features/feat_account_day")
    assert "MIN_BY(capability, NAMED_STRUCT('k0', -n, 'k1', capability))" in text
    flat = re.sub(r"\s+", "", text)
    assert "TIMESTAMPDIFF(HOUR,DATE_TRUNC('HOUR',a.created_at)" in flat  # DuckDB counts hour boundaries crossed
    assert "CAST(1.0 AS DOUBLE)" in text  # decimal literals would make Spark's averages decimals
    # six distinct counts in one aggregate: sets per account, not six copies of every request
    assert "COUNT(DISTINCT" not in text.upper() and "CAST(SIZE(COLLECT_SET(ip)) AS BIGINT)" in text


def test_star_exclude_expands_to_the_cte_columns():
    text = spark_sql("features/feat_account_day")
    final = text[text.index("final AS") : text.index("FROM volume AS v")]
    assert "v.acct_req_count_1d" in final and "m.acct_age_days" in final and "m.account_id" not in final


def test_engine_name_is_validated(monkeypatch):
    monkeypatch.setenv("DISTILL_GUARD_ENGINE", "SPARK")
    assert engine_name() == "spark"
    assert engine_name("embedded") == "embedded"
    with pytest.raises(ValueError, match="'flink'.*embedded, spark"):
        engine_name("flink")


def test_default_engine_never_imports_pyspark():
    code = (
        "import sys; from pipelines.definitions import build_definitions; from features.engine import make_engine;"
        "build_definitions(); make_engine(); assert 'pyspark' not in sys.modules, 'pyspark imported'"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
