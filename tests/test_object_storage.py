"""The raw root on S3-compatible storage: a real S3 server (moto in server mode) on 127.0.0.1, started here."""

import socket
from datetime import date

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from features import objectstore
from pipelines.runner import DayFailed, Runner

DAYS = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
BUCKET = "gateway-logs"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    """A moto S3 server on a free local port, with the standard AWS variables pointing at it."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            mp.delenv(var, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing-key")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
        mp.setenv("AWS_REGION", "us-east-1")
        mp.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}"
    server.stop()


def _upload(raw_copy, prefix: str) -> str:
    import boto3

    client = boto3.client("s3")
    if BUCKET not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket=BUCKET)
    for path in sorted(p for p in raw_copy.rglob("*") if p.is_file()):
        client.upload_file(str(path), BUCKET, f"{prefix}/{path.relative_to(raw_copy).as_posix()}")
    return f"s3://{BUCKET}/{prefix}"


def test_listing_and_reading_go_through_the_s3_server(s3_server, raw_copy):
    root = _upload(raw_copy, "listing")
    r = Runner(root, "/nonexistent-unused", instance=dg.DagsterInstance.ephemeral())
    assert r.raw.days() == sorted(date.fromisoformat(p.name[5:]) for p in (raw_copy / "requests").iterdir())
    files = r.raw.ready_files("accounts", DAYS[0])
    assert files and all(f.startswith(f"s3://{BUCKET}/listing/accounts/date=2026-03-02/") for f in files)
    local = sorted(str(p) for p in (raw_copy / "accounts" / "date=2026-03-02").glob("*.parquet"))
    assert_frame_equal(objectstore.read_parquet(files), objectstore.read_parquet(local))


def test_pipeline_on_s3_publishes_what_a_local_run_publishes(s3_server, raw_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_GUARD_WAREHOUSE_KEY", "one-key-for-both-warehouses")  # same fingerprints
    root = _upload(raw_copy, "prod/raw")
    remote = Runner(root, str(tmp_path / "wh_s3"), instance=dg.DagsterInstance.ephemeral())
    local = Runner(str(raw_copy), str(tmp_path / "wh_local"), instance=dg.DagsterInstance.ephemeral())
    for day in DAYS:
        checks = {ev.check_name: ev.passed for ev in remote.run_day(day).get_asset_check_evaluations()}
        assert all(checks.values()) and {"requests_contract", "accounts_contract", "requests_gx_suite"} <= set(checks)
        local.run_day(day)
    for table in ("account_scores", "clusters", "enforcement_actions"):
        a = remote.warehouse.read_published(table, DAYS[0], DAYS[-1]).drop("run_id", strict=False)
        b = local.warehouse.read_published(table, DAYS[0], DAYS[-1]).drop("run_id", strict=False)
        assert a.height > 0 or table != "account_scores"
        assert_frame_equal(a, b, check_row_order=False)


def test_contract_checks_on_s3_name_the_object_that_breaks_them(s3_server, raw_copy, tmp_path):
    bad = raw_copy / "requests" / "date=2026-03-02" / "part-00000.parquet"
    frame = pl.read_parquet(bad)
    frame.with_columns(pl.col("ts").dt.offset_by("2d")).write_parquet(bad)
    root = _upload(raw_copy, "broken")
    r = Runner(root, str(tmp_path / "wh"), instance=dg.DagsterInstance.ephemeral())
    with pytest.raises(DayFailed) as err:
        r.run_day(DAYS[0])
    assert f"s3://{BUCKET}/broken/requests/date=2026-03-02/part-00000.parquet: column 'ts'" in str(err.value)
    assert "ts_inside_partition_day" in str(err.value)
    assert r.warehouse.published_days() == []


def test_missing_bucket_or_prefix_is_an_empty_root_not_a_crash(s3_server):
    from features.raw import RawWarehouse

    assert RawWarehouse(f"s3://{BUCKET}/no-such-prefix").days() == []
