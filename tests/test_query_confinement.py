"""The analysts' query path reads the warehouse's published files and nothing else, and writes nothing."""

import json
from datetime import date

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines import cli
from pipelines.analyst import QueryRefused, open_confined, run_query
from pipelines.runner import Runner

D1 = date(2026, 3, 2)


@pytest.fixture(scope="module")
def warehouse(sample_raw, tmp_path_factory):
    wh = tmp_path_factory.mktemp("confined") / "wh"
    Runner(str(sample_raw), str(wh), instance=dg.DagsterInstance.ephemeral()).run_day(D1)
    return wh


def query(warehouse, capsys, *args):
    code = cli.main(["query", "--warehouse", str(warehouse), *args])
    out, err = capsys.readouterr()
    return code, out, err


def escapes(warehouse, sample_raw, tmp_path):
    published = warehouse / "published"
    scores = sorted((published / "account_scores").glob("date=*/run=*.parquet"))[0]
    return {
        "read a host file": ("select * from read_text('/etc/passwd')", "Permission"),
        "read the raw root": (f"select count(*) from read_parquet('{sample_raw}/requests/*/*.parquet')", "Permission"),
        "read the working store": (
            f"select count(*) from read_parquet('{published}/../store/request_derivations/*/*.parquet')",
            "Permission",
        ),
        "glob the host": ("select * from glob('/etc/*')", "Permission"),
        "copy to a file": (f"copy (select 1) to '{tmp_path}/x.csv'", "COPY statements are not allowed"),
        "copy over a published file": (f"copy (select * from account_scores limit 1) to '{scores}'", "COPY"),
        "explain analyze copy": (f"explain analyze copy (select 1) to '{tmp_path}/y.csv'", "EXPLAIN"),
        "attach writable": (f"attach '{tmp_path}/n.duckdb' as n (read_only false)", "ATTACH"),
        "unlock by set": ("set enable_external_access = true", "SET"),
        "set lock off": ("set lock_configuration = false", "SET"),
        "install an extension": ("install httpfs", "LOAD"),
        "load an extension": ("load httpfs", "LOAD"),
        "export the database": (f"export database '{tmp_path}/exp'", "EXPORT"),
        "create a table": ("create table t as select 1", "CREATE"),
        "two statements": ("select 1; copy (select 1) to 'z.csv'", "exactly one"),
    }


def test_every_escape_is_refused_with_one_clear_line(warehouse, sample_raw, tmp_path, capsys):
    before = sorted(p.name for p in (warehouse / "published").rglob("*"))
    for name, (sql, expected) in escapes(warehouse, sample_raw, tmp_path).items():
        code, out, err = query(warehouse, capsys, sql)
        assert code == 1 and out == "", name
        assert err.startswith("error: ") and err.count("\n") == 1 and expected in err, (name, err)
    assert not list(tmp_path.iterdir()), "nothing may be written"
    assert sorted(p.name for p in (warehouse / "published").rglob("*")) == before


def test_the_confinement_itself_refuses_file_access_even_without_the_statement_filter(warehouse, tmp_path):
    con = open_confined(warehouse / "distill_guard.duckdb")
    for sql in (
        "select * from read_text('/etc/passwd')",
        f"copy (select 1) to '{tmp_path}/x.csv'",
        f"attach '{tmp_path}/n.duckdb' as n (read_only false)",
    ):
        with pytest.raises(duckdb.PermissionException):
            con.execute(sql)
    for sql in ("set enable_external_access = true", "set allowed_directories = ['/']", "reset lock_configuration"):
        with pytest.raises(duckdb.InvalidInputException, match="locked"):
            con.execute(sql)
    with pytest.raises(duckdb.Error):
        con.execute("load httpfs")
    assert con.execute("select count(*) from account_scores").fetchone()[0] > 0
    con.close()
    assert not list(tmp_path.iterdir())


def test_reads_views_describe_and_explain(warehouse):
    assert run_query(warehouse / "distill_guard.duckdb", "select count(*) as n from v_todays_actions")["n"][0] >= 0
    assert "score" in run_query(warehouse / "distill_guard.duckdb", "describe account_scores")["column_name"].to_list()
    assert run_query(warehouse / "distill_guard.duckdb", "explain select 1").height >= 1
    with pytest.raises(QueryRefused):
        run_query(warehouse / "distill_guard.duckdb", "pragma show_tables")


def test_formats_outputs_and_no_silent_truncation(warehouse, tmp_path, capsys):
    sql = "select account_id, reasons, score from account_scores order by account_id"
    full = run_query(warehouse / "distill_guard.duckdb", sql)
    long_reason = max((r for rs in full["reasons"].to_list() for r in rs), key=len)
    code, out, _ = query(warehouse, capsys, sql, "--limit", "3")
    assert code == 0 and f"(3 of {full.height} rows shown" in out
    code, out, _ = query(
        warehouse,
        capsys,
        "select reasons from account_scores where list_contains(reasons, ?)".replace(
            "?", "'" + long_reason.replace("'", "''") + "'"
        ),
    )
    assert code == 0 and long_reason in out, "table cells are never cut"
    assert query(warehouse, capsys, sql, "--format", "csv", "--output", str(tmp_path / "a.csv"))[0] == 0
    csv = pl.read_csv(tmp_path / "a.csv")
    assert csv.height == full.height and json.loads(csv["reasons"][0]) == full["reasons"][0].to_list()
    code, out, _ = query(warehouse, capsys, sql, "--format", "json")
    assert code == 0 and len(json.loads(out)) == full.height
    assert query(warehouse, capsys, sql, "--format", "parquet", "--output", str(tmp_path / "a.parquet"))[0] == 0
    assert pl.read_parquet(tmp_path / "a.parquet").equals(full)
    assert query(warehouse, capsys, sql, "--format", "parquet")[0] == 2


def test_sql_errors_are_one_line(warehouse, capsys):
    code, out, err = query(warehouse, capsys, "selec 1")
    assert code == 1 and err.count("\n") == 1 and "ParserException" in err
    code, out, err = query(warehouse, capsys, "select nope from account_scores")
    assert code == 1 and err.count("\n") == 1 and "BinderException" in err
