"""Publishing stage: the day's tables into the enforcement warehouse at once, checks, and the daily summary."""

from datetime import timedelta
from pathlib import Path

import dagster as dg
import polars as pl

from features import objectstore
from features.engine import DERIVED_KIND
from models.daily_charts import WINDOW_DAYS, daily_charts, inline
from models.spec import load_policy
from pipelines.history import ReplaySettings, publish_with_history, read_day
from pipelines.ingest import partition_day
from pipelines.partitions import daily_asset, daily_partitions
from pipelines.resources import PUBLISHED_TABLES, EnforcementWarehouse, RawLogWarehouse

COMMON = daily_asset("publishing")


def day_tables(warehouse: EnforcementWarehouse, day) -> dict[str, pl.DataFrame]:
    """The day's published tables as their owning assets stored them; publication copies them unchanged."""
    store = warehouse.store()
    tables = {t: store.read(t, day, day) for t in PUBLISHED_TABLES}
    missing = [t for t, frame in tables.items() if frame is None]
    if missing:
        raise KeyError(f"{', '.join(missing)} partition missing for {day}; materialise the day's assets first")
    return tables


@dg.asset(
    kinds={"parquet", "duckdb"},
    deps=list(PUBLISHED_TABLES),
    description=(
        "Publication of the day: account_features, account_scores, clusters, cluster_members and "
        "enforcement_actions as their assets stored them, checked, then published atomically (with the analysts' "
        "database file) for access control and analysts."
    ),
    **COMMON,
)
def published_day(
    context: dg.AssetExecutionContext, raw: RawLogWarehouse, warehouse: EnforcementWarehouse, replay: ReplaySettings
) -> dg.MaterializeResult:
    day = partition_day(context)
    tables = day_tables(warehouse, day)
    # The gate runs on the staged day: a failure leaves the previous state live.
    failures = table_failures(day, tables, raw)
    if failures:
        raise dg.Failure(
            description=f"staged tables of {day} not published, rule(s) broken: " + "; ".join(failures),
            allow_retries=False,
        )
    rows = publish_with_history(context, warehouse, day, tables, replay)
    if not replay.scenario:
        with warehouse.compute() as con:  # the day's ids join the cross-day uniqueness index once it is live
            warehouse.request_ids().record(con, raw.warehouse().files("requests", day), day)
    # Per-request rows (IPs, key ids, clients) live only for the run, either engine's (a privacy rule).
    warehouse.store().drop(DERIVED_KIND, day)
    return dg.MaterializeResult(
        metadata={
            **{f"rows_{t}": n for t, n in rows.items()},
            "database": dg.MetadataValue.path(str(warehouse.db_path)),
        }
    )


@dg.asset_check(
    partitions_def=daily_partitions,  # results keyed to the day they checked
    asset=published_day,
    blocking=True,
    description=(
        "What went live is what passed the gate: the same rules (GX suites on scores and actions, unique keys, no "
        "suspended allowlisted organisation) on the published files."
    ),
)
def published_tables_valid(
    context: dg.AssetCheckExecutionContext,
    raw: RawLogWarehouse,
    warehouse: EnforcementWarehouse,
    replay: ReplaySettings,
) -> dg.AssetCheckResult:
    day = partition_day(context)
    if replay.scenario:  # a what-if: its own rows are checked, the published ones are untouched
        tables = day_tables(warehouse, day)
    else:
        tables = {t: warehouse.read_published(t, day, day) for t in ("account_features", "cluster_members")}
    for table in ("account_scores", "enforcement_actions", "clusters"):
        tables[table] = read_day(warehouse, replay, table, day).drop("scenario", strict=False)
    failures = table_failures(day, tables, raw)
    return dg.AssetCheckResult(
        passed=not failures,
        description="; ".join(failures) or "published tables valid",
        metadata={"failures": len(failures)},
    )


def table_failures(day, tables: dict[str, pl.DataFrame], raw: RawLogWarehouse) -> list[str]:
    """Every rule the day's tables must meet before and after publication, each failure naming its rule."""
    from models.policy import active_allowlist
    from pipelines.quality import actions_suite, run_suite, scores_suite

    scores, actions, features = tables["account_scores"], tables["enforcement_actions"], tables["account_features"]
    clusters, members = tables["clusters"], tables["cluster_members"]
    failures = run_suite(scores.drop("reasons").to_pandas(), scores_suite(), f"scores-{day}")
    if features["account_id"].n_unique() != features.height or features.height != scores.height:
        failures.append(
            "rule 'one_feature_row_per_scored_account': account_features must hold one row per scored account"
        )
    if clusters.height and (
        clusters["cluster_id"].n_unique() != clusters.height or not clusters["score"].is_between(0, 1).all()
    ):
        failures.append("rule 'clusters_valid': clusters must have unique ids and scores in 0..1")
    if not members.join(clusters, on="cluster_id", how="anti").is_empty():
        failures.append("rule 'members_in_clusters': cluster_members names a cluster missing from clusters")
    if actions.height:
        failures += run_suite(actions.drop("reasons").to_pandas(), actions_suite(), f"actions-{day}")
    allow_files = raw.warehouse().files("allowlist")
    if allow_files:
        allowed = active_allowlist(objectstore.read_parquet(allow_files), day)
        bad = actions.filter((pl.col("action") == "suspend") & pl.col("org_id").is_in(allowed["org_id"].implode()))
        if bad.height:
            failures.append(f"rule 'allowlisted_never_suspended': {bad.height} allowlisted account(s) suspended")
    return failures


def summary_markdown(day, tables: dict[str, pl.DataFrame]) -> str:
    """What an access-control lead reads first: actions by type, largest clusters with reasons, where to look next."""
    actions, scores, clusters = tables["enforcement_actions"], tables["account_scores"], tables["clusters"]
    lines = [
        f"# distill-guard daily summary for {day}",
        "",
        f"{scores.height} active accounts scored with "
        f"{', '.join(scores['model_version'].unique().sort().to_list()) or 'no model'}.",
        "",
        "## Actions by type",
        "",
    ]
    order = load_policy().strength_order()  # models/policy.yaml
    counts = dict(actions.group_by("action").len().iter_rows()) if actions.height else {}
    lines += [f"- {a}: {counts.get(a, 0)}" for a in order] + ["", "## Largest clusters", ""]
    for r in clusters.sort(["score", "n_accounts"], descending=True).head(5).iter_rows(named=True):
        lines.append(
            f"- **{r['cluster_id']}**: {r['n_accounts']} accounts, score {r['score']:.2f}; "
            + "; ".join((r["indicators"] or [])[:3])
        )
    lines += ["", "## Where to look next", ""]
    review = actions.filter(pl.col("action") == "human_review")
    if review.height:
        lines.append(
            f"- {review.height} account(s) await human review (allowlisted or tenured customers the model flags)."
        )
    top = actions.sort("score", descending=True).head(5)
    for r in top.iter_rows(named=True):
        lines.append(
            f"- {r['account_id']} ({r['org_id']}): {r['action']} at score {r['score']:.2f}: "
            + "; ".join(r["reasons"][:2])
        )
    return "\n".join(lines) + "\n"


@dg.asset(
    kinds={"markdown", "svg"},
    deps=[published_day],
    description="Markdown summary of the day for access control, also shown in the asset's metadata.",
    **COMMON,
)
def daily_summary(
    context: dg.AssetExecutionContext, warehouse: EnforcementWarehouse, replay: ReplaySettings
) -> dg.MaterializeResult:
    day = partition_day(context)
    tables = {t: read_day(warehouse, replay, t, day) for t in ("enforcement_actions", "account_scores", "clusters")}
    text = summary_markdown(day, tables)
    reports = Path(warehouse.path) / ("scenarios/" + replay.scenario if replay.scenario else "") / "reports"
    path = reports / "daily" / f"{day}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    window = warehouse.read_published("enforcement_actions", day - timedelta(days=WINDOW_DAYS - 1), day)
    charts = daily_charts(path.parent, day, tables["account_scores"], window)
    path.write_text(text + "\n## Charts\n\n" + "\n".join(f"![{p.stem}]({p.name})" for p in charts) + "\n")
    counts = dict(tables["enforcement_actions"].group_by("action").len().iter_rows())
    by_action = [dg.TableRecord({"action": a, "accounts": counts.get(a, 0)}) for a in load_policy().strength_order()]
    return dg.MaterializeResult(
        metadata={
            "actions_by_type": dg.MetadataValue.table(
                records=by_action,
                schema=dg.TableSchema(columns=[dg.TableColumn("action", "string"), dg.TableColumn("accounts", "int")]),
            ),
            "summary": dg.MetadataValue.md(text),
            "path": dg.MetadataValue.path(str(path)),
            "charts": dg.MetadataValue.md("\n\n".join(inline(p) for p in charts)),
            **{f"chart_{p.stem.split('-', 3)[-1]}": dg.MetadataValue.path(str(p)) for p in charts},
        }
    )
