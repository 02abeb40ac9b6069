"""The account-day SQL of ``sql/features`` (DuckDB dialect, the one source) as Spark SQL, through sqlglot.

sqlglot translates most of the dialect; the rewrites below cover what it leaves in a form Spark cannot run or
would run with other semantics. No JVM needed here, so the translation is tested on every machine.
"""

from __future__ import annotations

from functools import cache

import sqlglot
from sqlglot import exp

from features.account_day import sql


def _spark(text: str) -> exp.Expression:
    return sqlglot.parse_one(text, read="spark")


def _interval_us(interval: exp.Interval) -> int:
    per = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}
    unit = interval.args["unit"].name.upper().rstrip("S")
    return int(interval.this.name) * per[unit] * 1_000_000


def _ordered_first(node: exp.Bracket) -> exp.Expression | None:
    """``(array_agg(x order by k desc, j))[1]`` -> ``min_by(x, named_struct(-k, j))``: Spark's collect_list has no
    order, so sqlglot drops it; min_by over a struct keeps DuckDB's order and tie-break."""
    inner = node.this.unnest()
    if not (isinstance(inner, exp.ArrayAgg) and isinstance(inner.this, exp.Order)):
        return None
    if [i.name for i in node.expressions] != ["0"]:  # sqlglot holds indexes 0-based
        raise ValueError(f"{node.sql('duckdb')}: only the first element of an ordered array_agg translates")
    value, keys = inner.this.this, inner.this.expressions
    fields = []
    for i, key in enumerate(keys):
        value_of = exp.Neg(this=key.this.copy()) if key.args.get("desc") else key.this.copy()
        fields += [exp.Literal.string(f"k{i}"), value_of]
    order = exp.Anonymous(this="named_struct", expressions=fields)  # descending keys must be numeric (negated)
    return exp.Anonymous(this="min_by", expressions=[value.copy(), order])


def _expand_star_except(select: exp.Select, ctes: dict[str, exp.Select]) -> None:
    """``v.* exclude (a, b)`` -> the columns of the CTE ``v`` names, less ``a`` and ``b`` (Spark has no star except)."""
    aliases = {t.alias_or_name: t.name for t in select.find_all(exp.Table)}
    out = []
    for col in select.expressions:
        star = col if isinstance(col, exp.Column) and isinstance(col.this, exp.Star) else None
        excluded = star and (star.this.args.get("except_") or star.this.args.get("except"))
        if not excluded:
            out.append(col)
            continue
        source = ctes[aliases[star.table]]
        drop = {e.name for e in excluded}
        out += [
            exp.column(c.alias_or_name, table=star.table) for c in source.expressions if c.alias_or_name not in drop
        ]
    select.set("expressions", out)


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Count) and isinstance(node.this, exp.Distinct) and len(node.this.expressions) == 1:
        # Spark runs several count(distinct) of one aggregate by copying every row once per distinct column
        # (Expand); a set per group is the same count (nulls skipped alike) without the copies
        return _spark(f"cast(size(collect_set({node.this.expressions[0].sql('spark')})) as bigint)")
    if isinstance(node, exp.Literal) and node.is_number and "." in node.name:
        return exp.cast(node.copy(), "double")  # Spark reads 1.0 as DECIMAL(2,1): averages would round
    if isinstance(node, exp.Bracket):
        return _ordered_first(node) or node
    if isinstance(node, exp.DateBin):
        n = _interval_us(node.this)
        return _spark(f"timestamp_micros((unix_micros({node.expression.sql('spark')}) div {n}) * {n})")
    if isinstance(node, exp.DateDiff) and node.args.get("date_part_boundary"):
        # DuckDB counts unit boundaries crossed; Spark's timestampdiff counts whole units: truncate both ends
        unit = node.unit.name.upper()
        start, end = node.expression.sql("spark"), node.this.sql("spark")
        return _spark(f"timestampdiff({unit}, date_trunc('{unit}', {start}), date_trunc('{unit}', {end}))")
    if isinstance(node, exp.Anonymous) and node.name.lower() == "epoch_us":
        return exp.Anonymous(this="unix_micros", expressions=[e.copy() for e in node.expressions])
    if isinstance(node, exp.Anonymous) and node.name.lower() == "list_sum":
        return _spark(f"aggregate({node.expressions[0].sql('spark')}, cast(0 as double), (acc, x) -> acc + x)")
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
        return exp.DataType.build("decimal(38, 0)")  # exact integer moments without DuckDB's hugeint
    return node


@cache
def spark_sql(name: str) -> str:
    """``sql/<name>.sql`` translated to Spark SQL; ``$day`` stays a named parameter (``:day``)."""
    tree = sqlglot.parse_one(sql(name), read="duckdb").transform(_rewrite)
    ctes = {c.alias: c.this for c in tree.find_all(exp.CTE)}
    for select in list(tree.find_all(exp.Select)):
        _expand_star_except(select, ctes)
    return tree.sql(dialect="spark", pretty=True)
