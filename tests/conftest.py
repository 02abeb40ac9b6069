import os
import shutil
import warnings
from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data_samples" / "raw"
# DISTILL_GUARD_CORPORA points elsewhere, e.g. from a git worktree that sits deeper than the main checkout.
CORPORA = Path(os.environ.get("DISTILL_GUARD_CORPORA") or REPO.parent / "shared" / "corpora")

warnings.filterwarnings("ignore")


@pytest.fixture(scope="session")
def sample_raw() -> Path:
    assert (SAMPLE / "requests").is_dir(), "data_samples/raw is missing; run `make sample`"
    return SAMPLE


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not (CORPORA / "README.md").exists():
        pytest.skip(f"public corpora not found at {CORPORA} (they sit beside the checkout in development)")
    return CORPORA


@pytest.fixture(scope="session")
def small_world(tmp_path_factory) -> Path:
    """Eight simulated days (seed 3): every population and campaign at a small scale."""
    from simulator.generate import simulate

    out = tmp_path_factory.mktemp("small_world")
    simulate(out, date(2026, 5, 4), 8, 0.02, 3, progress=False)
    return out


@pytest.fixture()
def raw_copy(sample_raw, tmp_path) -> Path:
    """A writable copy of the first four sample days (tests corrupt it)."""
    dst = tmp_path / "raw"
    days = sorted(p.name for p in (sample_raw / "requests").iterdir())[:4]
    for table in ("requests", "accounts"):
        for d in days:
            shutil.copytree(sample_raw / table / d, dst / table / d)
    for table in ("labels", "allowlist"):
        shutil.copytree(sample_raw / table, dst / table)
    return dst


@pytest.fixture(scope="session")
def published_sample(sample_raw, tmp_path_factory) -> dict:
    """All sample days replayed through the Dagster assets into a temporary warehouse (trains once labels allow)."""
    import dagster as dg
    import polars as pl

    from pipelines.runner import Runner, replay

    wh = tmp_path_factory.mktemp("warehouse")
    runner = Runner(str(sample_raw), str(wh), instance=dg.DagsterInstance.ephemeral())
    days = runner.raw.days()
    trained = replay(runner, days)
    tables = {
        t: runner.warehouse.read_published(t, days[0], days[-1])
        for t in ("account_features", "account_scores", "clusters", "cluster_members", "enforcement_actions")
    }
    truth = pl.read_parquet(sample_raw / "_truth" / "accounts.parquet")
    return {
        **tables,
        "runner": runner,
        "days": days,
        "trained": trained,
        "db": runner.warehouse.db_path,
        "truth": truth,
    }
