"""Cold-start rules: the typed loader for models/rules.yaml and the rule score it defines.

Each rule that fires contributes its weight, combined as a noisy-OR (tenure protections live in the policy,
not here). Reasons are the rules that fired, strongest first. The file is the only place a rule is written.
"""

from __future__ import annotations

import operator
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.reasons import sentence

RULES_FILE = Path(__file__).resolve().parent / "rules.yaml"
MAX_REASONS = 3
_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
_CONDITION = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(>=|<=|==|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True)
    feature: str
    op: str
    value: float

    def expr(self) -> pl.Expr:
        # A missing value never satisfies a condition.
        return _OPS[self.op](pl.col(self.feature), self.value).fill_null(False)

    def holds(self, row: dict) -> bool:
        value = row.get(self.feature)
        return value is not None and bool(_OPS[self.op](value, self.value))


def _parse(text: str) -> Condition:
    m = _CONDITION.match(str(text))
    if m is None:
        raise ValueError(f"condition {text!r} is not '<feature> <op> <number>' with op one of {', '.join(_OPS)}")
    return Condition(feature=m[1], op=m[2], value=float(m[3]))


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    weight: float = Field(gt=0, lt=1, description="Contribution to the noisy-OR rule score when the rule fires.")
    when: tuple[Condition, ...] = ()
    when_any: tuple[tuple[Condition, ...], ...] = ()
    unless: tuple[Condition, ...] = ()
    explained_by: tuple[str, ...] = Field(min_length=1, description="Features whose sentences explain the rule.")
    false_positives: tuple[str, ...] = Field(min_length=1)
    hit: dict[str, float] = Field(min_length=1, description="Features on which the rule must fire.")
    miss: dict[str, float] = Field(min_length=1, description="Features on which the rule must not fire.")

    @field_validator("when", "unless", mode="before")
    @classmethod
    def _conditions(cls, v):
        return tuple(_parse(c) for c in v)

    @field_validator("when_any", mode="before")
    @classmethod
    def _groups(cls, v):
        return tuple(tuple(_parse(c) for c in group) for group in v)

    def model_post_init(self, _context) -> None:
        if not self.when and not self.when_any:
            raise ValueError(f"rule {self.id}: needs `when` or `when_any`")

    @property
    def features(self) -> set[str]:
        """Every feature the rule reads or explains itself with."""
        conds = [*self.when, *self.unless, *(c for g in self.when_any for c in g)]
        return {c.feature for c in conds} | set(self.explained_by)

    def expr(self) -> pl.Expr:
        fires = pl.all_horizontal([c.expr() for c in self.when]) if self.when else pl.lit(True)
        if self.when_any:
            fires = fires & pl.any_horizontal([pl.all_horizontal([c.expr() for c in g]) for g in self.when_any])
        if self.unless:
            fires = fires & ~pl.all_horizontal([c.expr() for c in self.unless])
        return fires.alias(self.id)

    def fires(self, row: dict) -> bool:
        """The same decision on one row of plain values (fixtures, explanations)."""
        ok = all(c.holds(row) for c in self.when)
        ok = ok and (not self.when_any or any(all(c.holds(row) for c in g) for g in self.when_any))
        return ok and not (self.unless and all(c.holds(row) for c in self.unless))


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str = Field(description="model_version of rows the rules scored alone.")
    rules: tuple[Rule, ...] = Field(min_length=1)

    def model_post_init(self, _context) -> None:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate rule ids: {', '.join(dupes)}")


def load_rules(path: Path | None = None) -> RuleSet:
    """The rule file, validated; an error names the file and the offending key."""
    path = Path(path or RULES_FILE)
    with path.open() as fh:
        raw = yaml.safe_load(fh)
    try:
        return RuleSet.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(_key(raw, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"{path}: {where}") from None


def _key(raw, loc) -> list[str]:
    # rules.3.weight reads better as rules[3] (templated_volume).weight
    out, node = [], raw
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and out and part < len(node):
            node = node[part]
            label = node.get("id") if isinstance(node, dict) else None
            out[-1] += f"[{part}]" + (f" ({label})" if label else "")
            continue
        node = node.get(part) if isinstance(node, dict) else None
        out.append(str(part))
    return out


@lru_cache(maxsize=1)
def rules() -> RuleSet:
    return load_rules()


def rule_hits(features: pl.DataFrame, ruleset: RuleSet | None = None) -> np.ndarray:
    """(rows x rules) booleans, in file order."""
    rs = ruleset or rules()
    # Features stored before a rule's input existed (older backfilled days) simply do not fire it.
    needed = {c.feature for r in rs.rules for c in [*r.when, *r.unless, *(c for g in r.when_any for c in g)]}
    missing = sorted(needed - set(features.columns))
    features = features.with_columns([pl.lit(None, dtype=pl.Float64).alias(c) for c in missing])
    return features.select([r.expr() for r in rs.rules]).to_numpy().astype(bool)


def rule_reasons(features: pl.DataFrame) -> list[list[str]]:
    """Sentences for the rules that fired on each row, strongest rule first."""
    rs = rules()
    hits = rule_hits(features, rs)
    order = np.argsort(-np.array([r.weight for r in rs.rules]), kind="stable")
    # Rows one at a time: the whole day as dicts of ~100 features held 3 GB at 520,000 accounts.
    return [
        [sentence(rs.rules[k].explained_by[0], row) for k in order if hits[i, k]]
        for i, row in enumerate(features.iter_rows(named=True))
    ]


def score_rules(features: pl.DataFrame) -> pl.DataFrame:
    """Cold-start scores: (account_id, score, reasons, model_version)."""
    rs = rules()
    if features.is_empty():
        return empty_scores()
    hits = rule_hits(features, rs)
    weights = np.array([r.weight for r in rs.rules])
    score = 1.0 - np.prod(np.where(hits, 1.0 - weights, 1.0), axis=1)
    reasons = [texts[:MAX_REASONS] for texts in rule_reasons(features)]
    return pl.DataFrame(
        {
            "account_id": features["account_id"],
            "score": score.astype(float),
            "reasons": pl.Series(reasons, dtype=pl.List(pl.String)),
            "model_version": rs.version,
        }
    )


def empty_scores() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"account_id": pl.String, "score": pl.Float64, "reasons": pl.List(pl.String), "model_version": pl.String}
    )
