"""The one daily partitions definition: a UTC traffic day per partition."""

import dagster as dg

# Earliest day the warehouse can hold; backfills of older incidents need an earlier start.
FIRST_DAY = "2026-01-01"

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")
