"""The one daily partitions definition: a UTC traffic day per partition."""

import dagster as dg

# Earliest day the warehouse can hold; backfills of older incidents need an earlier start.
FIRST_DAY = "2024-01-01"

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")


def daily_asset(group: str) -> dict:
    """Arguments every daily asset shares. One run per day: a day reads what earlier days published."""
    return dict(partitions_def=daily_partitions, group_name=group, backfill_policy=dg.BackfillPolicy.multi_run(1))
