"""A warehouse that describes itself and survives being moved.

Descriptions have one source: ``features/catalog.yaml`` (features), ``models/policy.yaml`` (actions and bands)
and ``features/warehouse.yaml`` (everything else). ``annotate`` writes them into the database as ``COMMENT ON``
statements; ``python -m pipelines.describe`` writes ``docs/warehouse.md`` from a built database and
``docs/contract.md`` from the schemas ``features/contract.py`` checks.

Portability: DuckDB resolves relative file paths against the ``file_search_path`` setting, or the working
directory when it is unset, never against the database file's own folder. The views therefore read Parquet
paths relative to the warehouse folder, and every opener in the product (``open_warehouse``) sets
``file_search_path`` to the folder holding the database. Another client opens a copied or moved warehouse
by starting in its folder (``cd warehouse && duckdb -readonly distill_guard.duckdb``) or by running
``set file_search_path = '<folder>'`` first.
"""

from __future__ import annotations

import ast
import itertools
import os
import sys
from functools import lru_cache
from pathlib import Path

import duckdb
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
CATALOG = REPO_ROOT / "features" / "catalog.yaml"
WAREHOUSE_DOC = REPO_ROOT / "features" / "warehouse.yaml"
VIEWS_DIR = REPO_ROOT / "sql" / "views"


def portable(con: duckdb.DuckDBPyConnection, folder: Path):
    """Make ``con`` resolve relative paths against ``folder``; returns a function turning a path relative."""
    con.execute("set file_search_path = $folder", {"folder": str(folder)})
    return lambda path: os.path.relpath(locate(folder, path), folder)


def locate(folder: Path, recorded: str) -> str:
    """A published file recorded by a warehouse that has since been copied or moved to ``folder``."""
    path = Path(recorded)
    if path.exists() or "published" not in path.parts:
        return recorded
    return str(Path(folder, *path.parts[path.parts.index("published") :]))


def open_warehouse(db_path: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the analysts' database wherever its folder has been copied or moved."""
    db_path = Path(db_path).resolve()
    con = duckdb.connect(str(db_path), read_only=read_only)
    portable(con, db_path.parent)
    return con


@lru_cache(maxsize=1)
def _sources() -> tuple[dict, dict, dict]:
    from models.spec import load_policy

    catalog = yaml.safe_load(CATALOG.read_text())
    return (
        {**catalog["identifiers"], **catalog["features"]},
        yaml.safe_load(WAREHOUSE_DOC.read_text()),
        load_policy().model_dump(),
    )


def _policy_columns(policy: dict) -> dict[str, str]:
    bands = "; ".join(
        f"{b['name']}: score >= {b['min_score']:.2f} -> {b['action']} for {b['duration_days']} days"
        for b in policy["bands"]
    )
    protections = policy["protections"]
    return {
        "action": (
            f"Action for access control to apply, from {policy['version']}: one of "
            f"{', '.join(policy['ladder'])} (the ladder, weakest first) or human_review. Bands: {bands}. "
            f"An allowlisted organisation gets {protections['allowlisted_org_instead_of_suspend']} "
            "instead of suspend."
        ),
        "risk_band": f"Policy band of the score ({bands}); null below every band.",
    }


def description(table: str, column: str) -> str | None:
    """The one description of ``table.column`` (a table's own wording first, then features, policy, shared)."""
    features, doc, policy = _sources()
    own = {**doc["tables"], **doc["views"]}.get(table, {}).get("columns", {})
    if column in own:
        return own[column]
    if column in features and column not in doc["columns"]:
        entry = features[column]
        signal = f", signal {entry['signal']}" if entry.get("signal") else ""
        return f"{entry['definition']} (window {entry['window']}{signal})"
    return _policy_columns(policy).get(column) or doc["columns"].get(column)


def object_description(name: str) -> str | None:
    _, doc, _ = _sources()
    if name in doc["tables"]:
        return doc["tables"][name]["description"]
    for folder in (VIEWS_DIR, VIEWS_DIR.parent / "history"):
        view = folder / f"{name}.sql"
        if view.exists():
            lead = itertools.takewhile(lambda line: line.startswith("--"), view.read_text().splitlines())
            return " ".join(line.removeprefix("--").strip() for line in lead)
    return None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def annotate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """``COMMENT ON`` every table, view and column that has a description; returns the columns that lack one.
    Run it inside a transaction (the database build is one)."""
    objects = con.execute(
        "select table_name, 'table' from duckdb_tables() where not internal and schema_name = 'main' union all "
        "select view_name, 'view' from duckdb_views() where not internal and schema_name = 'main' order by 1",
    ).fetchall()
    columns: dict[str, list[str]] = {}
    for name, column in con.execute(
        "select table_name, column_name from duckdb_columns() where schema_name = 'main' order by table_name, "
        "column_index"
    ).fetchall():
        columns.setdefault(name, []).append(column)
    comments, missing = [], []
    for name, kind in objects:
        text = object_description(name)
        if text:
            comments.append(f"comment on {kind} {name} is {_literal(text)}")
        for column in columns.get(name, []):
            text = description(name, column)
            if text:
                comments.append(f'comment on column {name}."{column}" is {_literal(text)}')
            else:
                missing.append(f"{name}.{column}")
    if comments:  # inside the caller's transaction: one commit, not one per comment
        con.execute(";\n".join(comments))
    return missing


def warehouse_markdown(con: duckdb.DuckDBPyConnection) -> str:
    """The data dictionary of a built database, from the comments it carries."""
    rows = con.execute(
        "select table_name, column_name, data_type, comment from duckdb_columns() "
        "where schema_name = 'main' and not internal order by table_name, column_index"
    ).fetchall()
    comments = dict(
        con.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'main' union all "
            "select view_name, comment from duckdb_views() where schema_name = 'main' and not internal"
        ).fetchall()
    )
    out = [
        "# The enforcement warehouse: data dictionary",
        "",
        "Generated by `python -m pipelines.describe` from `features/catalog.yaml`, `models/policy.yaml` and",
        "`features/warehouse.yaml`, the same text the database carries as comments",
        "(`select table_name, column_name, comment from duckdb_columns()`).",
        "",
        "Open a copied or moved warehouse from inside its folder",
        "(`cd warehouse && duckdb -readonly distill_guard.duckdb`) or run",
        "`set file_search_path = '<warehouse folder>'` first: the views read Parquet paths relative to it.",
        "",
    ]
    current = None
    for table, column, dtype, comment in rows:
        if table != current:
            current = table
            out += [
                "",
                f"## {table}",
                "",
                comments.get(table) or "",
                "",
                "| column | type | description |",
                "|---|---|---|",
            ]
        out.append(f"| {column} | {dtype} | {(comment or '').replace('|', '/')} |")
    return "\n".join(out).replace("\n\n\n", "\n\n") + "\n"


RULES = {
    "readable_parquet": "the file's Parquet footer can be read",
    "column_present": "every contract column is present",
    "column_type": "every contract column has the contract's Arrow type (string, large_string and string_view are one)",
    "not_null": "columns not marked nullable hold no null",
    "unique": "ids are unique within the partition (request_id) or snapshot (account_id)",
    "unique_across_days": "request ids were not published on any earlier day (per-day id digests and a Bloom filter)",
    "ts_inside_partition_day": "ts falls inside the partition's UTC day",
    "allowed_values": "endpoint, tier and label take only the listed values",
    "non_negative": "token counts and latency are >= 0",
    "positive": "max_tokens > 0",
    "positive_when_set": "thinking_budget > 0 when set",
    "http_status": "status is between 100 and 599",
    "max_length_4000": "prompt has at most 4,000 characters",
    "max_length_2000": "system_prompt has at most 2,000 characters",
    "not_after_snapshot_day": "created_at is before the end of the snapshot's day",
    "snapshot_covers_traffic": "every account seen in the day's requests is in the day's accounts snapshot",
    "non_empty_partition": "a partition marked complete holds at least one row",
    "iso_alpha2_upper": "country, when set, is two upper-case letters (ISO 3166-1 alpha-2), on every row",
    "ip_text": "ip is IPv4 or IPv6 text, on every row",
    "readable_data": "every data page of every file can be decoded (the file is named when one cannot)",
}


def contract_rules() -> list[str]:
    """Rule names ``features/contract.py`` enforces, read from its syntax tree so this page cannot drift."""
    tree = ast.parse((REPO_ROOT / "features" / "contract.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Violation" and len(node.args) > 2:
            names.add(getattr(node.args[2], "value", None))
        elif (
            isinstance(node, ast.Tuple)
            and len(node.elts) == 3
            and isinstance(node.elts[2], (ast.Constant, ast.JoinedStr, ast.Call, ast.Name))
        ):
            names.add(getattr(node.elts[1], "value", None))
    return sorted(n for n in names if isinstance(n, str))


def contract_markdown() -> str:
    from features import contract

    out = [
        "# Input contract",
        "",
        "Generated by `python -m pipelines.describe` from `features/contract.py`, the schemas and",
        "rules the blocking checks enforce before any feature work. A root folder or `s3://bucket/prefix` holds",
        "Hive-partitioned Parquet: `requests/date=YYYY-MM-DD/*.parquet` and `accounts/date=YYYY-MM-DD/*.parquet`",
        "(complete once `_SUCCESS` exists), `labels/*.parquet`, and optionally `allowlist/*.parquet`.",
        "",
    ]
    allowed = {"tier": contract.TIERS, "endpoint": contract.ENDPOINTS, "label": (0, 1)}
    for name, spec in (
        ("requests", contract.REQUESTS),
        ("accounts", contract.ACCOUNTS),
        ("labels", contract.LABELS),
        ("allowlist", contract.ALLOWLIST),
    ):
        out += [f"## {name}", "", "| column | Arrow type | nullable | allowed values |", "|---|---|---|---|"]
        for column, (dtype, nullable) in spec.items():
            values = ", ".join(str(v) for v in allowed.get(column, ()))
            out.append(f"| {column} | {dtype} | {'yes' if nullable else 'no'} | {values} |")
        out.append("")
    out += [
        "## Rules",
        "",
        "A failure names the file, the column and the rule, e.g. "
        "`requests/date=2026-03-03/part-00000.parquet: column 'ts' breaks rule 'ts_inside_partition_day'`.",
        "",
        "| rule | meaning |",
        "|---|---|",
    ]
    undocumented = "(undocumented: describe it in RULES, pipelines/describe.py)"
    out += [f"| {rule} | {RULES.get(rule, undocumented)} |" for rule in contract_rules()]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    """``python -m pipelines.describe [DB]``: write docs/contract.md, and docs/warehouse.md when a database is given."""
    (REPO_ROOT / "docs" / "contract.md").write_text(contract_markdown())
    if argv:
        con = open_warehouse(argv[0])
        (REPO_ROOT / "docs" / "warehouse.md").write_text(warehouse_markdown(con))
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
