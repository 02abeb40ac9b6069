"""Contract checks name the file, the column and the rule for each class of bad input."""

from datetime import date, timedelta

import duckdb
import polars as pl
import pytest

from features import contract
from features.raw import PartitionNotReady, RawWarehouse

DAY = date(2026, 3, 2)


def first_file(raw, table="requests"):
    return sorted((raw / table / f"date={DAY}").glob("*.parquet"))[0]


def violations(raw, table="requests"):
    wh = RawWarehouse(str(raw))
    with duckdb.connect() as con:
        if table == "requests":
            return contract.check_requests(con, wh.files("requests", DAY), DAY)
        return contract.check_accounts(con, wh.files("accounts", DAY), DAY, wh.files("requests", DAY))


def rewrite(path, fn):
    df = pl.read_parquet(path)
    fn(df).write_parquet(path)


def test_clean_partition_passes(raw_copy):
    assert violations(raw_copy) == [] and violations(raw_copy, "accounts") == []


@pytest.mark.parametrize(
    "mutate,column,rule",
    [
        (lambda df: df.drop("asn"), "asn", "column_present"),
        (lambda df: df.with_columns(pl.col("input_tokens").cast(pl.Int64)), "input_tokens", "column_type"),
        (lambda df: df.with_columns(pl.col("ts").cast(pl.Datetime("us"))), "ts", "column_type"),
        (
            lambda df: df.with_columns(
                account_id=pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise("account_id")
            ),
            "account_id",
            "not_null",
        ),
        (
            lambda df: df.with_columns(
                request_id=pl.when(pl.int_range(pl.len()) == 1)
                .then(pl.col("request_id").first())
                .otherwise("request_id")
            ),
            "request_id",
            "unique",
        ),
        (
            lambda df: df.with_columns(
                ts=pl.when(pl.int_range(pl.len()) == 0).then(pl.col("ts") + timedelta(days=2)).otherwise("ts")
            ),
            "ts",
            "ts_inside_partition_day",
        ),
        (
            lambda df: df.with_columns(
                endpoint=pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("stream")).otherwise("endpoint")
            ),
            "endpoint",
            "allowed_values",
        ),
        (
            lambda df: df.with_columns(
                output_tokens=pl.when(pl.int_range(pl.len()) == 0).then(-5).otherwise("output_tokens").cast(pl.Int32)
            ),
            "output_tokens",
            "non_negative",
        ),
    ],
)
def test_each_bad_input_is_named(raw_copy, mutate, column, rule):
    path = first_file(raw_copy)
    rewrite(path, mutate)
    found = violations(raw_copy)
    assert any(v.column == column and v.rule == rule and v.file.endswith(path.name) for v in found), found
    assert path.name in str(contract.ContractError(found))


def test_corrupt_parquet_file_is_named(raw_copy):
    path = first_file(raw_copy)
    path.write_bytes(b"PAR1 this is not parquet")
    found = violations(raw_copy)
    assert found[0].rule == "readable_parquet" and found[0].file.endswith(path.name)


def test_snapshot_must_cover_traffic_and_keep_ids_unique(raw_copy):
    path = first_file(raw_copy, "accounts")
    active = pl.read_parquet(first_file(raw_copy))["account_id"][0]
    rewrite(path, lambda df: df.filter(pl.col("account_id") != active))
    assert any(v.rule == "snapshot_covers_traffic" for v in violations(raw_copy, "accounts"))
    rewrite(path, lambda df: pl.concat([df, df.head(1)]))
    assert any(v.rule == "unique" and v.column == "account_id" for v in violations(raw_copy, "accounts"))


def test_missing_success_marker_means_not_ready(raw_copy):
    (raw_copy / "requests" / f"date={DAY}" / "_SUCCESS").unlink()
    wh = RawWarehouse(str(raw_copy))
    assert not wh.is_ready("requests", DAY)
    with pytest.raises(PartitionNotReady, match="_SUCCESS"):
        wh.ready_files("requests", DAY)


@pytest.mark.parametrize(
    "table,column,value,rule",
    [
        ("requests", "country", "de", "iso_alpha2_upper"),
        ("requests", "country", "DEU", "iso_alpha2_upper"),
        ("requests", "ip", "not-an-ip", "ip_text"),
        ("accounts", "country", "fr", "iso_alpha2_upper"),
    ],
)
def test_format_rules_hold_on_every_row_not_a_sample(raw_copy, table, column, value, rule):
    files = sorted((raw_copy / table / f"date={DAY}").glob("*.parquet"))
    path = files[-1]
    rewrite(
        path,
        lambda df: df.with_columns(
            pl.when(pl.int_range(pl.len()) == pl.len() - 1).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
        ),
    )
    found = violations(raw_copy, table)
    assert [(v.column, v.rule, v.detail) for v in found] == [(column, rule, "1 row(s) break it")]
    assert found[0].file.endswith(path.name)
