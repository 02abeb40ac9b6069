"""Ingest stage: partition readiness and the blocking quality gates on the raw inputs."""

from datetime import date

import dagster as dg
import duckdb

from features import contract, objectstore
from features.raw import LayoutError, PartitionNotReady
from pipelines.partitions import daily_asset, daily_partitions
from pipelines.resources import EnforcementWarehouse, RawLogWarehouse

GX_SAMPLE_ROWS = 20_000


def partition_day(context) -> date:
    return date.fromisoformat(context.partition_key)


@dg.asset(
    kinds={"parquet", "great_expectations"},
    **daily_asset("ingest"),
    description="The day's raw requests and accounts snapshot, once the gateway has marked them complete (_SUCCESS).",
)
def raw_partition(context: dg.AssetExecutionContext, raw: RawLogWarehouse) -> dg.MaterializeResult:
    day = partition_day(context)
    wh = raw.warehouse()
    try:
        req, acc = wh.ready_files("requests", day), wh.ready_files("accounts", day)
    except (PartitionNotReady, LayoutError) as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    return dg.MaterializeResult(
        metadata={
            "request_files": len(req),
            "account_files": len(acc),
            "partition": dg.MetadataValue.path(wh.partition("requests", day)),
        }
    )


def _result(violations: list[contract.Violation], what: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=not violations,
        severity=dg.AssetCheckSeverity.ERROR,
        description=str(contract.ContractError(violations)) if violations else f"{what} meets the contract",
        metadata={
            "violations": len(violations),
            "details": dg.MetadataValue.md("\n".join(f"- {v}" for v in violations[:50]) or "none"),
        },
    )


@dg.asset_check(
    partitions_def=daily_partitions,  # results keyed to the day they checked
    asset=raw_partition,
    blocking=True,
    description=(
        "Requests partition: schema, types, nulls, ids unique within the day and across every published day, "
        "timestamps inside the day, allowed values and formats."
    ),
)
def requests_contract(
    context: dg.AssetCheckExecutionContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse
) -> dg.AssetCheckResult:
    day = date.fromisoformat(context.partition_key)
    files = raw.warehouse().files("requests", day)
    # The run's DuckDB budget: unbounded, the day's id checks held 4.7 GB for a moment at 30M requests.
    with warehouse.compute() as con:
        violations = contract.check_requests(con, files, day)
        if not violations:
            violations = _seen_before(con, warehouse.request_ids(), files, day)
    return _result(violations, f"requests of {day}")


def _seen_before(con, index, files: list[str], day: date) -> list[contract.Violation]:
    """Ids already published on an earlier day (a re-sent day names the day it first came on)."""
    seen = index.seen_before(con, files, day)
    return [
        contract.Violation(
            files[0],
            "request_id",
            "unique_across_days",
            f"{n} id(s) already published for {earlier}, e.g. {example}"
            + (" (the same traffic re-sent under a new date?)" if n >= 100 else ""),
        )
        for earlier, n, example in seen
    ]


@dg.asset_check(
    partitions_def=daily_partitions,  # results keyed to the day they checked
    asset=raw_partition,
    blocking=True,
    description=(
        "Accounts snapshot: schema, unique ids, allowed tiers, covers every account seen in traffic; labels and "
        "allowlist schemas."
    ),
)
def accounts_contract(context: dg.AssetCheckExecutionContext, raw: RawLogWarehouse) -> dg.AssetCheckResult:
    day = date.fromisoformat(context.partition_key)
    wh = raw.warehouse()
    with duckdb.connect() as con:
        violations = contract.check_accounts(con, wh.files("accounts", day), day, wh.files("requests", day))
        violations += contract.check_labels(con, wh.files("labels"))
        violations += contract.check_allowlist(con, wh.files("allowlist"))
    return _result(violations, f"accounts snapshot of {day}")


@dg.asset_check(
    partitions_def=daily_partitions,  # results keyed to the day they checked
    asset=raw_partition,
    blocking=True,
    description=(
        "Great Expectations suite over a seeded sample of the day's requests (value domains and formats of the "
        "non-text columns; the contract rules cover every row)."
    ),
)
def requests_gx_suite(context: dg.AssetCheckExecutionContext, raw: RawLogWarehouse) -> dg.AssetCheckResult:
    from pipelines.quality import requests_suite, run_suite, suite_columns

    day = date.fromisoformat(context.partition_key)
    files = raw.warehouse().files("requests", day)
    suite = requests_suite()
    # Only the suite's columns are sampled: a bounded read, not a second pass over the day's prompt text.
    columns = ", ".join(suite_columns(suite))
    with duckdb.connect() as con:
        try:
            sample = con.execute(
                f"select {columns} from {objectstore.parquet_view(con, files, 'gx_rows')} "
                f"using sample reservoir({GX_SAMPLE_ROWS} rows) repeatable (42)"
            ).df()
        except duckdb.Error as exc:
            bad = contract.unreadable_files(con, files, exc)
            return dg.AssetCheckResult(passed=False, description="; ".join(str(v) for v in bad))
    failures = run_suite(sample, suite, f"requests-{day}")
    where = raw.warehouse().partition("requests", day)
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{where} (GX suite on a sample): " + "; ".join(failures)
        if failures
        else f"{len(sample)} sampled requests pass the suite",
        metadata={"sampled_rows": len(sample), "failed_expectations": len(failures)},
    )
