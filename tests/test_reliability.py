"""Safe concurrent runs, exact file listing, clean-up after a killed run, demo input checked first."""

import multiprocessing as mp
import subprocess
import sys
from datetime import date, timedelta

import dagster as dg
import polars as pl
import pytest

from features.raw import LayoutError, RawWarehouse
from pipelines import cli, lock
from pipelines.describe import open_warehouse
from pipelines.history import ReplaySettings
from pipelines.resources import PUBLISHED_TABLES, EnforcementWarehouse
from pipelines.runner import DayFailed, Runner, run_days

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)
ROUNDS = 20


def runner(raw, tmp_path, name="wh") -> Runner:
    return Runner(str(raw), str(tmp_path / name), instance=dg.DagsterInstance.ephemeral())


@pytest.fixture(scope="module")
def day_tables(sample_raw, tmp_path_factory) -> dict:
    """One real published day, as frames to publish again under other dates."""
    r = runner(sample_raw, tmp_path_factory.mktemp("seed"))
    r.run_day(D1)
    return {t: r.warehouse.read_published(t, D1, D1) for t in PUBLISHED_TABLES}


def _writer(folder: str, source: str, worker: int, barrier) -> None:
    wh = EnforcementWarehouse(folder=folder, lock_wait_s=120)
    tables = {t: pl.read_parquet(f"{source}/{t}.parquet") for t in PUBLISHED_TABLES}
    for i in range(ROUNDS):
        day = D1 + timedelta(days=1 + 2 * i + worker)
        barrier.wait()  # both writers start each publish together
        wh.publish_day(day, f"w{worker}-{i}", {t: f.with_columns(date=pl.lit(day)) for t, f in tables.items()})


def test_two_writers_at_once_always_leave_a_complete_consistent_database(day_tables, tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for t, f in day_tables.items():
        f.write_parquet(source / f"{t}.parquet")
    folder = tmp_path / "wh"
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(str(folder), str(source), w, barrier)) for w in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(600)
    assert [p.exitcode for p in procs] == [0, 0]
    wh = EnforcementWarehouse(folder=str(folder))
    expected = {D1 + timedelta(days=1 + k) for k in range(2 * ROUNDS)}
    manifest = wh.manifest()
    con = open_warehouse(str(wh.db_path))
    for t in PUBLISHED_TABLES:
        assert {date.fromisoformat(d) for d in manifest[t]} == expected, t
        assert all(
            (folder / "published").joinpath(*f.split("/published/")[1].split("/")).exists()
            for f in manifest[t].values()
        )
        counts = dict(con.execute(f"select date, count(*) from {t} group by date").fetchall())
        assert set(counts) == expected and set(counts.values()) == {day_tables[t].height}, t
    assert not [p for p in folder.rglob("*") if p.name.endswith((".tmp", ".building"))]


def _hold(folder: str) -> subprocess.Popen:
    code = (
        "import sys; from pipelines import lock; lock.acquire(sys.argv[1]); print('held', flush=True); sys.stdin.read()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, folder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_run_names_the_holder_and_waits_when_asked(raw_copy, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    folder = tmp_path / "wh"
    args = ["run", "--start", str(D1), "--raw", str(raw_copy), "--warehouse", str(folder)]
    child = _hold(str(folder))
    try:
        assert cli.main(args) == 1
        err = capsys.readouterr().err
        assert "another run holds the warehouse" in err and f"pid {child.pid}" in err and "since 20" in err
        assert not (folder / "distill_guard.duckdb").exists()
        child.stdin.close()  # the holder finishes; a waiting run then goes ahead
        assert cli.main(args + ["--wait", "300"]) == 0
    finally:
        child.kill()
        child.wait()
    assert EnforcementWarehouse(folder=str(folder)).published_days() == [D1]
    assert not lock.holds(folder), "the run released the lock (Dagster resource teardown included)"


def test_a_killed_runs_temporary_files_are_removed_by_the_next_run(raw_copy, tmp_path):
    r = runner(raw_copy, tmp_path)
    r.run_day(D1)
    wh = r.warehouse.path
    day_dir = wh / "published" / "account_scores" / f"date={D1}"
    leftovers = [
        day_dir / ".run=dead.parquet.tmp",
        day_dir / ".run=dead.0a1b.parquet.tmp",
        wh / "published" / "manifest.json.tmp",
        wh / "published" / ".manifest.0a1b.json.tmp",
        wh / ".distill_guard.duckdb.building",
        wh / ".distill_guard.duckdb.0a1b.building",
        wh / "store" / "request_derivations" / f"date={D1}" / "part.parquet.tmp",
        wh / "store" / "request_derivations" / f"date={D1}" / ".part-0a1b.parquet.tmp",
    ]
    for p in leftovers:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"half written")
    r.run_day(D2)
    assert [p for p in leftovers if p.exists()] == []
    assert r.warehouse.published_days() == [D1, D2]


def test_listing_takes_regular_parquet_files_only_and_refuses_look_alikes(raw_copy, tmp_path):
    part = raw_copy / "requests" / f"date={D2}"
    first = sorted(part.glob("*.parquet"))[0]
    for name in (".x.parquet", "_temporary.parquet"):
        (part / name).write_bytes(first.read_bytes())
    wh = RawWarehouse(str(raw_copy))
    names = [f.rsplit("/", 1)[1] for f in wh.files("requests", D2)]
    assert names == sorted(p.name for p in part.glob("part-*.parquet"))
    (part / "part-00099.parquet").mkdir()
    with pytest.raises(LayoutError, match="part-00099.parquet: rule 'only_parquet_files': a directory"):
        wh.files("requests", D2)
    r = runner(raw_copy, tmp_path)
    with pytest.raises(DayFailed, match="only_parquet_files"):
        r.run_day(D2)
    (raw_copy / "requests" / "date=garbage").mkdir()
    with pytest.raises(LayoutError, match="date=garbage: rule 'date_partition'"):
        wh.days()
    assert RawWarehouse(str(raw_copy)).days("accounts")[0] == D1


def test_demo_checks_its_input_before_touching_the_warehouse(raw_copy, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    folder = tmp_path / "wh"
    (folder / "published").mkdir(parents=True)
    keep = folder / "published" / "manifest.json"
    keep.write_text("{}")
    (raw_copy / "requests" / "date=garbage").mkdir()
    assert cli.main(["demo", "--raw", str(raw_copy), "--warehouse", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "date=garbage" in err and "date_partition" in err and err.count("\n") == 1
    assert keep.read_text() == "{}"
    assert lock.holds(folder) is False


def test_published_table_gate_runs_on_the_staged_day_before_anything_is_live(raw_copy, tmp_path, monkeypatch):
    from pipelines import publishing

    r = runner(raw_copy, tmp_path)
    r.run_day(D1)
    live = r.warehouse.manifest()
    staged = publishing.day_tables

    def broken(warehouse, day):
        tables = staged(warehouse, day)
        features = tables["account_features"]
        return {**tables, "account_features": pl.concat([features, features.head(1)])}

    monkeypatch.setattr(publishing, "day_tables", broken)
    with pytest.raises(DayFailed, match="one_feature_row_per_scored_account") as err:
        r.run_day(D2)
    assert "not published" in str(err.value)
    assert not lock.holds(r.warehouse.path), "a failed run releases the lock"
    assert r.warehouse.manifest() == live
    assert not list((r.warehouse.path / "published").glob(f"*/date={D2}/*"))
    con = open_warehouse(str(r.warehouse.db_path))
    assert con.execute("select max(date) from account_features").fetchone()[0] == D1


def test_train_refuses_labels_and_allowlist_that_break_the_contract(raw_copy, tmp_path):
    r = runner(raw_copy, tmp_path)
    labels = sorted((raw_copy / "labels").glob("*.parquet"))[0]
    pl.read_parquet(labels).with_columns(label=pl.lit(2, pl.Int8)).write_parquet(labels)
    with pytest.raises(DayFailed, match=rf"{labels.name}: column 'label' breaks rule 'allowed_values'"):
        r.train(D2)
    allow = sorted((raw_copy / "allowlist").glob("*.parquet"))[0]
    pl.read_parquet(allow).drop("reason").write_parquet(allow)
    with pytest.raises(DayFailed, match=rf"{allow.name}: column 'reason' breaks rule 'column_present'"):
        r.train(D2)
    assert not (r.warehouse.models_dir).exists()


@pytest.mark.parametrize("damage", ["missing", "invalid json", "wrong shape"])
def test_a_lost_or_damaged_manifest_stops_the_run_until_repaired(raw_copy, tmp_path, monkeypatch, capsys, damage):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    folder = tmp_path / "wh"
    args = ["--raw", str(raw_copy), "--warehouse", str(folder)]
    assert cli.main(["run", "--start", str(D1), "--end", str(D2), *args]) == 0
    wh = EnforcementWarehouse(folder=str(folder))
    before = wh.manifest()
    path = folder / "published" / "manifest.json"
    if damage == "missing":
        path.unlink()
    else:
        path.write_text("{not json" if damage == "invalid json" else '{"account_scores": ["x"]}')
    capsys.readouterr()
    assert cli.main(["run", "--start", "2026-03-04", *args]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "distill-guard repair-manifest" in err and err.count("\n") == 1
    assert not (folder / "published" / "account_scores" / "date=2026-03-04").exists()
    assert cli.main(["replay", "--start", str(D2), "--scenario", "what-if", *args]) == 1  # a what-if stops too
    err = capsys.readouterr().err
    assert "distill-guard repair-manifest" in err and err.count("\n") == 1
    assert cli.main(["repair-manifest", "--warehouse", str(folder)]) == 0
    assert wh.manifest() == before
    assert cli.main(["run", "--start", "2026-03-04", *args]) == 0
    assert wh.published_days() == [D1, D2, date(2026, 3, 4)]


def test_an_open_analyst_session_keeps_its_snapshot_across_many_publishes(day_tables, tmp_path):
    import os

    from pipelines.analyst import open_confined

    wh = EnforcementWarehouse(folder=str(tmp_path / "wh"))
    wh.publish_day(D1, "run-0", day_tables)
    session = open_confined(wh.db_path)
    expected = session.execute("select count(*), sum(score) from account_scores").fetchone()
    for i in range(1, 5):
        wh.publish_day(D1, f"run-{i}", {**day_tables, "account_scores": day_tables["account_scores"].head(i)})
        assert session.execute("select count(*), sum(score) from account_scores").fetchone() == expected
    session.close()
    folder = wh.path / "published" / "account_scores" / f"date={D1}"
    assert len(list(folder.glob("run=*.parquet"))) == 5
    for f in folder.parent.parent.glob("*/date=*/run=*.parquet"):  # a day later, superseded files retire
        os.utime(f, ns=(f.stat().st_mtime_ns - 25 * 3600 * 10**9,) * 2)
    wh.publish_day(D1, "run-5", day_tables)
    assert sorted(p.name for p in folder.glob("run=*.parquet")) == ["run=run-4.parquet", "run=run-5.parquet"]


def test_a_day_re_sent_under_a_new_date_is_refused_naming_the_earlier_day(raw_copy, tmp_path):
    late = D1 + timedelta(days=7)  # past any "recent days" window
    for table in ("requests", "accounts"):
        src, dst = raw_copy / table / f"date={D1}", raw_copy / table / f"date={late}"
        dst.mkdir()
        for f in src.iterdir():
            frame = pl.read_parquet(f) if f.suffix == ".parquet" else None
            if frame is None:
                (dst / f.name).write_bytes(f.read_bytes())
            elif table == "requests":
                frame.with_columns(ts=pl.col("ts") + timedelta(days=7)).write_parquet(dst / f.name)
            else:
                frame.write_parquet(dst / f.name)
    r = runner(raw_copy, tmp_path)
    r.run_day(D1)
    r.run_day(D2)
    run_days(r, [D1], cascade=True)  # a rerun of the same day is not a re-send
    with pytest.raises(DayFailed, match=rf"unique_across_days.*already published for {D1}") as err:
        r.run_day(late, ReplaySettings(allow_gap=True))
    assert "re-sent" in str(err.value)
    assert r.warehouse.published_days() == [D1, D2]


def _zero_rows(raw):
    for f in (raw / "requests" / f"date={D2}").glob("*.parquet"):
        pl.read_parquet(f).head(0).write_parquet(f)


def _corrupt_page(raw):
    f = sorted((raw / "requests" / f"date={D2}").glob("*.parquet"))[0]
    data = bytearray(f.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 200] = bytes(200)  # the footer stays readable, a data page does not
    f.write_bytes(bytes(data))


def _labels_type(raw):
    f = sorted((raw / "labels").glob("*.parquet"))[0]
    pl.read_parquet(f).with_columns(pl.col("label").cast(pl.Int64)).write_parquet(f)


FAILURE_CAUSES = {
    "zero-row day with _SUCCESS": (_zero_rows, "part-00000.parquet: column '*' breaks rule 'non_empty_partition'"),
    "corrupt data page": (_corrupt_page, "part-00000.parquet: column '*' breaks rule 'readable_data'"),
    "labels of the wrong type": (_labels_type, "column 'label' breaks rule 'column_type': expected int8, found int64"),
}


@pytest.mark.parametrize("case", sorted(FAILURE_CAUSES))
def test_every_failure_names_its_cause(raw_copy, tmp_path, case):
    damage, expected = FAILURE_CAUSES[case]
    damage(raw_copy)
    with pytest.raises(DayFailed) as err:
        runner(raw_copy, tmp_path).run_day(D2)
    assert expected in str(err.value) and "Error occurred while executing op" not in str(err.value)


def test_a_column_added_in_one_file_only_is_accepted(raw_copy, tmp_path):
    for table in ("requests", "accounts"):
        f = sorted((raw_copy / table / f"date={D2}").glob("*.parquet"))[-1]
        pl.read_parquet(f).with_columns(gateway_region=pl.lit("eu")).write_parquet(f)
    r = runner(raw_copy, tmp_path)
    r.run_day(D2)
    assert r.warehouse.published_days() == [D2]


def test_a_failing_step_shows_the_exception_class_and_message(raw_copy, tmp_path, monkeypatch):
    from pipelines import publishing

    def broken(warehouse, day):
        raise KeyError("cluster_members partition missing")

    monkeypatch.setattr(publishing, "day_tables", broken)
    with pytest.raises(DayFailed, match="step published_day failed: KeyError: .*cluster_members partition missing"):
        runner(raw_copy, tmp_path).run_day(D1)


def test_a_bad_date_is_one_clear_line(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--start", "2026-02-30"])
    err = capsys.readouterr().err
    assert "'2026-02-30' is not a day: use YYYY-MM-DD" in err and "Traceback" not in err
