"""The Spark engine against the embedded one on bundled sample days: same account-day features, same actions.

Needs a JVM (`java` on PATH); one local[2] session for the module, stopped at its end. Both engines derive with
the same code, so derived rows match exactly; the account-day SQL is translated, so floats match to a tolerance.
"""

import shutil
from datetime import date

import dagster as dg
import polars as pl
import pytest

from features.account_day import connect
from features.engine import make_engine
from features.store import Store

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None, reason="no `java` on PATH: the Spark engine's equivalence tests need a JVM (Java 17)"
)
DAYS = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def spark():
    from features.spark_engine import builder

    session = (
        builder("local[2]")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def both(spark, sample_raw, tmp_path_factory) -> dict:
    """Derivations and account-day outputs of two sample days from each engine."""
    from features.raw import RawWarehouse

    raw, out = RawWarehouse(str(sample_raw)), {}
    for name in ("embedded", "spark"):
        engine, store = make_engine(name), Store(tmp_path_factory.mktemp(name))
        for day in DAYS[:2]:
            engine.derive(raw, store, day)
            with connect() as con:
                engine.account_features_1d(con, raw, store, day)
        derived = store.root / "request_derivations" / f"date={DAYS[1]}"
        files = derived / ("part.parquet" if name == "embedded" else "spark/*.parquet")
        out[name] = {"store": store, "derived": pl.read_parquet(files)}
    return out


def test_per_request_derivations_agree(both):
    # Executors run the embedded derivations on Arrow batches: the same ids, signatures and markers, row for row.
    e, s = (both[n]["derived"].sort("request_id") for n in ("embedded", "spark"))
    assert e.height > 1000
    assert e.schema == s.schema
    assert e.equals(s)


def _features(store: Store) -> pl.DataFrame:
    return store.read("features_1d", DAYS[0], DAYS[1]).sort("date", "account_id")


def test_account_day_features_agree(both):
    e, s = _features(both["embedded"]["store"]), _features(both["spark"]["store"])
    assert e.schema == s.schema
    assert e.select("date", "account_id").equals(s.select("date", "account_id"))
    for col, dtype in e.schema.items():
        if dtype.is_float():
            assert (e[col] - s[col]).abs().max() <= TOLERANCE, col
        else:
            assert e[col].equals(s[col]), col  # counts, ids, strings: exact


def test_model_use_agrees(both):
    # The release calendar reads it back: the same counts and first requests, in the same column types.
    e, s = (both[n]["store"].read("model_use", DAYS[0], DAYS[1]).sort("date", "model") for n in ("embedded", "spark"))
    assert e.height >= 4 and e.schema == s.schema
    assert e.equals(s)


def test_template_history_and_lockstep_cells_agree(both):
    stores = {n: both[n]["store"] for n in both}
    shapes, schemas = {}, {}
    for name, store in stores.items():
        t = store.read("templates", DAYS[0], DAYS[1])
        per_account = (
            t.group_by("date", "account_id")
            .agg(
                templates=pl.len(),
                requests=pl.col("n_requests").sum(),
                top=pl.col("n_requests").max(),
                cot=pl.col("any_cot").sum(),
            )
            .sort("date", "account_id")
        )
        # cross-account matches: accounts sharing a template with another account
        shared = (
            t.group_by("date", "template_id")
            .agg(pl.col("account_id").sort())
            .filter(pl.col("account_id").list.len() > 1)
        )
        sync = store.read("sync", DAYS[0], DAYS[1])
        schemas[name] = sync.schema  # one dtype, time zone name included: days of both engines concatenate
        sync = sync.with_columns(pl.col("bucket").dt.epoch("us"))
        cells = sync.group_by("date", "template_id", "bucket").agg(
            pl.col("account_id").sort().str.join(","), pl.col("n_requests").sum()
        )
        shapes[name] = (
            per_account,
            sorted(map(tuple, shared["account_id"].to_list())),
            cells.drop("template_id").sort(pl.all()),
            sync.height,
        )
    e, s = shapes["embedded"], shapes["spark"]
    assert e[0].equals(s[0]) and e[1] == s[1] and e[2].equals(s[2]) and e[3] == s[3] > 0
    assert schemas["embedded"] == schemas["spark"]


def test_spark_run_publishes_the_same_enforcement_actions(spark, sample_raw, tmp_path):
    from pipelines.runner import Runner, run_days

    published = {}
    for name in ("embedded", "spark"):
        runner = Runner(str(sample_raw), str(tmp_path / name), instance=dg.DagsterInstance.ephemeral(), engine=name)
        run_days(runner, DAYS)
        published[name] = {
            t: runner.warehouse.read_published(t, DAYS[0], DAYS[-1]).sort("date", "account_id")
            for t in ("enforcement_actions", "account_scores")
        }
        assert not list((tmp_path / name / "store").glob("derived*/date=*/*"))  # per-request rows dropped
    e, s = published["embedded"], published["spark"]
    keys = ["date", "account_id", "action"]
    assert e["enforcement_actions"].height > 0
    assert e["enforcement_actions"].select(keys).equals(s["enforcement_actions"].select(keys))
    assert (e["account_scores"]["score"] - s["account_scores"]["score"]).abs().max() <= 1e-6


def test_local_masters_get_few_shuffle_partitions():
    from features.spark_engine import LOCAL_PARTITIONS_PER_CORE, builder, local_cores

    assert [local_cores(m) for m in ("local", "local[2]", "local[3,2]")] == [1, 2, 3]
    assert local_cores("local[*]") >= 1
    # a cluster's master, or none (Spark's own configuration decides), keeps the operator's setting
    assert local_cores("yarn") is local_cores("") is local_cores("spark://host:7077") is None
    assert builder("local[2]")._options["spark.sql.shuffle.partitions"] == str(2 * LOCAL_PARTITIONS_PER_CORE)
    assert "spark.sql.shuffle.partitions" not in builder("yarn")._options
