"""Memory and time of coordination's wake-up read over four weeks of account-day history.

A single benchmark day has no history, so `benchmarks.run` cannot show what a nightly day with 28 days behind it
reads for wake-ups (features/coordination.py, the account-day rows of `wake.memory_days`). This writes that many
synthetic days of the rows it reads (WAKE_COLUMNS; ``--accounts`` active a day out of a population 1.6 times as
large, so accounts come and go) and runs the real read on them in this process, once.

    PYTHONPATH=$PWD .venv/bin/python -m benchmarks.wake_history --accounts 450000

About 490,000 to 510,000 accounts are active on a simulated 30M-request day (the simulator's accounts per request
on days of 22k and 248k requests, scaled).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from features.coordination import WAKE, WAKE_COLUMNS, _wake_indicators


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_history(folder: Path, accounts: int, days: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    population = int(accounts * 1.6)
    for d in range(days):
        ids = rng.choice(population, accounts, replace=False)
        pl.DataFrame(
            {
                "date": [date(2026, 3, 1) + timedelta(days=d)] * accounts,
                "account_id": [f"acct_{i:010d}" for i in ids],
                "org_id": [f"org_{i // 3:09d}" for i in ids],
                "acct_age_days": rng.uniform(0, 900, accounts),
                "acct_distinct_asns_1d": rng.integers(1, 8, accounts).astype(np.int32),
            }
        ).select(WAKE_COLUMNS).write_parquet(folder / f"day-{d:02d}.parquet")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--accounts", type=int, default=450_000, help="active accounts a day")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="dg-wake-") as tmp:
        write_history(Path(tmp), args.accounts, WAKE.memory_days)
        before = peak_mb()
        t = time.perf_counter()
        _wake_indicators(pl.scan_parquet(f"{tmp}/*.parquet"))
        seconds = time.perf_counter() - t
    print(
        f"{WAKE.memory_days} days of {args.accounts:,} accounts a day: wake-up read {seconds:.1f} s, process peak "
        f"{peak_mb():,.0f} MB ({before:,.0f} MB before the read, writing the history included)"
    )


if __name__ == "__main__":
    main()
