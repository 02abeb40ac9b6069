"""The input contract (shared CONTRACT.md) as code: schemas, partition layout and blocking checks.

Checks name the file, the column and the rule they enforce, and cost one
metadata read per file plus one SQL pass over the partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs as pafs

from features import objectstore

TS = pa.timestamp("us", tz="UTC")
REQUESTS = {
    "request_id": (pa.string(), False),
    "ts": (TS, False),
    "account_id": (pa.string(), False),
    "org_id": (pa.string(), False),
    "api_key_id": (pa.string(), False),
    "ip": (pa.string(), False),
    "asn": (pa.int32(), False),
    "country": (pa.string(), True),
    "user_agent": (pa.string(), False),
    "model": (pa.string(), False),
    "endpoint": (pa.string(), False),
    "input_tokens": (pa.int32(), False),
    "output_tokens": (pa.int32(), False),
    "max_tokens": (pa.int32(), False),
    "thinking_budget": (pa.int32(), True),
    "system_prompt": (pa.string(), True),
    "prompt": (pa.string(), False),
    "status": (pa.int16(), False),
    "latency_ms": (pa.int32(), False),
}
ACCOUNTS = {
    "account_id": (pa.string(), False),
    "org_id": (pa.string(), False),
    "created_at": (TS, False),
    "tier": (pa.string(), False),
    "email_domain": (pa.string(), False),
    "payment_fingerprint": (pa.string(), True),
    "signup_ip": (pa.string(), False),
    "signup_asn": (pa.int32(), False),
    "country": (pa.string(), True),
    "verified": (pa.bool_(), False),
}
LABELS = {
    "account_id": (pa.string(), False),
    "label": (pa.int8(), False),
    "campaign_id": (pa.string(), True),
    "confirmed_at": (TS, False),
    "source": (pa.string(), False),
}
ALLOWLIST = {"org_id": (pa.string(), False), "reason": (pa.string(), False), "expires_at": (TS, True)}
TIERS = ("free", "build", "scale", "enterprise", "edu", "research", "startup")
ENDPOINTS = ("messages", "batch")
ACTIONS = ("monitor", "rate_limit", "require_verification", "degrade_reasoning", "suspend", "human_review")


# Columns a file adds beyond the contract are allowed (CONTRACT.md): read files by column name.
READ_OPTIONS = "hive_partitioning = false, union_by_name = true"
# Format rules on every row (a sample would let one bad row in 385k through); predicates select *bad* rows.
COUNTRY_BAD = "{col} is not null and not regexp_full_match({col}, '[A-Z]{{2}}')"
IP_BAD = r"not regexp_full_match(ip, '\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:]+')"


@dataclass(frozen=True)
class Violation:
    file: str
    column: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: column '{self.column}' breaks rule '{self.rule}': {self.detail}"


class ContractError(ValueError):
    """Input that breaks the data contract; the message lists every violation found."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        shown = "\n  ".join(str(v) for v in violations[:20])
        more = f"\n  ... and {len(violations) - 20} more" if len(violations) > 20 else ""
        super().__init__(f"{len(violations)} contract violation(s):\n  {shown}{more}")


def _same_type(actual: pa.DataType, expected: pa.DataType) -> bool:
    if pa.types.is_large_string(actual) or pa.types.is_string_view(actual):
        actual = pa.string()
    return actual.equals(expected)


def check_schemas(
    files: list[str], spec: dict[str, tuple[pa.DataType, bool]], filesystem: pafs.FileSystem | None = None
) -> list[Violation]:
    """Every file readable, with every contract column present and of the contract's Arrow type."""
    out: list[Violation] = []
    for f in files:
        try:
            schema = pq.read_schema(f, filesystem=filesystem) if filesystem else objectstore.read_schema(f)
        except Exception as exc:  # pyarrow raises several types for a corrupt footer
            out.append(Violation(f, "*", "readable_parquet", f"cannot read Parquet metadata ({exc})"))
            continue
        for col, (typ, _) in spec.items():
            idx = schema.get_field_index(col)
            if idx < 0:
                out.append(Violation(f, col, "column_present", "required column is missing"))
            elif not _same_type(schema.field(idx).type, typ):
                out.append(Violation(f, col, "column_type", f"expected {typ}, found {schema.field(idx).type}"))
    return out


def _data_rules(
    con: duckdb.DuckDBPyConnection, files: list[str], rules: list[tuple[str, str, str]], params: dict
) -> list[Violation]:
    """Evaluate (column, rule, SQL predicate for a *bad* row) in one pass; report the first offending file."""
    selects = ",\n".join(
        f"count(*) filter (where {pred}) as bad_{i}, min(filename) filter (where {pred}) as file_{i}"
        for i, (_, _, pred) in enumerate(rules)
    )
    source = objectstore.parquet_view(con, files, "contract_rows")
    row = con.execute(f"select {selects} from {source}", params).fetchone()
    out = []
    for i, (col, rule, _) in enumerate(rules):
        if row[2 * i]:
            out.append(Violation(row[2 * i + 1], col, rule, f"{row[2 * i]} row(s) break it"))
    return out


def unreadable_files(con: duckdb.DuckDBPyConnection, files: list[str], exc: Exception) -> list[Violation]:
    """After a failed pass: each file whose data pages cannot be decoded (its footer may be fine), by name."""
    out = []
    for f in files:
        try:
            con.execute(
                "select max(length(columns(*)::varchar)) from read_parquet($f, hive_partitioning = false)", {"f": f}
            ).fetchall()
        except duckdb.Error as err:
            out.append(Violation(f, "*", "readable_data", _one_line(err)))
    return out or [Violation(files[0] if files else "?", "*", "readable_data", _one_line(exc))]


def _one_line(exc: Exception) -> str:
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"


def _not_null_rules(spec) -> list[tuple[str, str, str]]:
    return [(c, "not_null", f"{c} is null") for c, (_, nullable) in spec.items() if not nullable]


def _unique(con: duckdb.DuckDBPyConnection, files: list[str], column: str) -> list[Violation]:
    dup = con.execute(
        f"select {column}, min(filename) from {objectstore.parquet_view(con, files, 'contract_rows')} "
        f"group by {column} having count(*) > 1 order by {column} limit 3"
    ).fetchall()
    if not dup:
        return []
    return [Violation(dup[0][1], column, "unique", f"duplicated ids, e.g. {', '.join(d[0] for d in dup)}")]


def check_requests(
    con: duckdb.DuckDBPyConnection, files: list[str], day: date, earlier: list[str] = ()
) -> list[Violation]:
    """``earlier``: request files (raw or derived) of recent days, for uniqueness across days."""
    bad = check_schemas(files, REQUESTS)
    if bad:
        return bad
    rules = _not_null_rules(REQUESTS) + [
        ("ts", "ts_inside_partition_day", "ts < $day::timestamptz or ts >= ($day::date + 1)::timestamptz"),
        ("endpoint", "allowed_values", "endpoint not in ('messages', 'batch')"),
        ("input_tokens", "non_negative", "input_tokens < 0"),
        ("output_tokens", "non_negative", "output_tokens < 0"),
        ("max_tokens", "positive", "max_tokens <= 0"),
        ("latency_ms", "non_negative", "latency_ms < 0"),
        ("status", "http_status", "status < 100 or status > 599"),
        ("thinking_budget", "positive_when_set", "thinking_budget <= 0"),
        ("prompt", "max_length_4000", "length(prompt) > 4000"),
        ("system_prompt", "max_length_2000", "length(system_prompt) > 2000"),
        ("country", "iso_alpha2_upper", COUNTRY_BAD.format(col="country")),
        ("ip", "ip_text", IP_BAD),
    ]
    try:
        out = _data_rules(con, files, rules, {"day": day}) + _unique(con, files, "request_id")
    except duckdb.Error as exc:
        return unreadable_files(con, files, exc)
    if not con.execute(f"select count(*) from {objectstore.parquet_view(con, files, 'contract_rows')}").fetchall()[0][
        0
    ]:
        out.append(
            Violation(
                files[0],
                "*",
                "non_empty_partition",
                f"the day is marked complete ({len(files)} file(s)) but holds no request",
            )
        )
    if earlier:
        seen = con.execute(
            "select count(*), min(r.request_id), min(r.filename) "
            f"from {objectstore.parquet_view(con, files, 'contract_rows')} as r "
            "semi join read_parquet($earlier, hive_partitioning = false) as e on e.request_id = r.request_id",
            {"earlier": list(earlier)},
        ).fetchone()
        if seen[0]:
            out.append(
                Violation(
                    seen[2],
                    "request_id",
                    "unique_across_days",
                    f"{seen[0]} id(s) already seen on earlier days, e.g. {seen[1]}",
                )
            )
    return out


def check_accounts(
    con: duckdb.DuckDBPyConnection, files: list[str], day: date, request_files: list[str]
) -> list[Violation]:
    bad = check_schemas(files, ACCOUNTS)
    if bad:
        return bad
    rules = _not_null_rules(ACCOUNTS) + [
        (
            "tier",
            "allowed_values",
            "tier not in ('free', 'build', 'scale', 'enterprise', 'edu', 'research', 'startup')",
        ),
        ("created_at", "not_after_snapshot_day", "created_at >= ($day::date + 1)::timestamptz"),
        ("country", "iso_alpha2_upper", COUNTRY_BAD.format(col="country")),
    ]
    try:
        out = _data_rules(con, files, rules, {"day": day}) + _unique(con, files, "account_id")
    except duckdb.Error as exc:
        return unreadable_files(con, files, exc)
    if request_files:
        missing = con.execute(
            "select count(distinct r.account_id), min(r.account_id) "
            f"from {objectstore.parquet_view(con, request_files, 'contract_req')} as r "
            f"anti join {objectstore.parquet_view(con, files, 'contract_acc')} as a on a.account_id = r.account_id",
        ).fetchone()
        if missing[0]:
            out.append(
                Violation(
                    files[0],
                    "account_id",
                    "snapshot_covers_traffic",
                    f"{missing[0]} account(s) seen in traffic are missing from the snapshot, e.g. {missing[1]}",
                )
            )
    return out


def check_labels(con: duckdb.DuckDBPyConnection, files: list[str]) -> list[Violation]:
    bad = check_schemas(files, LABELS)
    if bad or not files:
        return bad
    return _data_rules(con, files, _not_null_rules(LABELS) + [("label", "allowed_values", "label not in (0, 1)")], {})


def check_allowlist(con: duckdb.DuckDBPyConnection, files: list[str]) -> list[Violation]:
    bad = check_schemas(files, ALLOWLIST)
    if bad or not files:
        return bad
    return _data_rules(con, files, _not_null_rules(ALLOWLIST), {})
