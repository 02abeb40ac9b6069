"""The one daily partitions definition: a UTC traffic day per partition."""

import os

import dagster as dg

# Earliest day the warehouse can hold, near the data so the UI lists no empty years; backfills of older
# incidents set DISTILL_GUARD_FIRST_DAY earlier. Read here because the partitions definition is bound to the
# assets when they are declared (and a run process must see the same value as the UI).
FIRST_DAY = os.environ.get("DISTILL_GUARD_FIRST_DAY", "2026-01-01")
OWNERS = ["team:detection"]

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")


def daily_asset(group: str) -> dict:
    """Arguments every daily asset shares. One run per day: a day reads what earlier days published."""
    return dict(
        partitions_def=daily_partitions, group_name=group, backfill_policy=dg.BackfillPolicy.multi_run(1), owners=OWNERS
    )


def daily_multi_asset() -> dict:
    """Arguments of a daily multi-asset (one step, several tables); group and owners sit on each spec."""
    return dict(partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.multi_run(1))
