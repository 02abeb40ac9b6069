"""Typed loader for features/coordination.yaml: the coordination thresholds, windows and hydra memory."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

COORDINATION_FILE = Path(__file__).resolve().parent / "coordination.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TemplateLink(_Strict):
    min_share: float = Field(gt=0, le=1)
    min_requests: int = Field(ge=1)


class Lockstep(_Strict):
    min_buckets: int = Field(ge=2)
    min_share: float = Field(gt=0, le=1)


class ContentTemplate(_Strict):
    min_requests: int = Field(ge=1, description="Requests with extraction content from the template in the window.")
    min_share: float = Field(gt=0, le=1, description="... and at least this share of the account's use of it.")
    min_sender_age_days: int = Field(ge=0, description="Other senders count when verified and at least this old.")


class Wake(_Strict):
    memory_days: int = Field(ge=3, description="Days of account-day rows read for wake-ups.")
    min_age_days: int = Field(ge=1, description="An account younger than this never counts as woken.")
    min_distinct_asns: int = Field(ge=1, description="Autonomous systems on the day it came back.")
    min_silent_days: int = Field(ge=1, description="Days the window holds on which a waker sent nothing.")
    min_orgs: int = Field(ge=2, description="Organisations coming back on one day for them to link.")
    min_ratio: float = Field(gt=1, description="... and this many times the median of earlier days.")
    join_days: int = Field(ge=0, description="Days after a pool's day on which stragglers still join it.")


class Hydra(_Strict):
    memory_days: int = Field(ge=1, description="Days back an enforced account still joins the graph.")
    enforced_actions: tuple[str, ...] = Field(min_length=1, description="Actions that mark an account's pool.")


class CoordinationConfig(_Strict):
    window_days: int = Field(ge=1)
    min_cluster_size: int = Field(ge=2)
    max_indicator_degree: int = Field(ge=2)
    template: TemplateLink
    lockstep: Lockstep
    content_template: ContentTemplate
    generic_clients: tuple[str, ...]
    risky_tiers: tuple[str, ...]
    academic_domain_pattern: str
    weak_kinds: tuple[str, ...]
    indicator_words: dict[str, str]
    wake: Wake
    hydra: Hydra


def load_coordination(path: Path | None = None) -> CoordinationConfig:
    """The coordination file, validated; an error names the file and the offending key."""
    path = Path(path or COORDINATION_FILE)
    with path.open() as fh:
        raw = yaml.safe_load(fh)
    try:
        return CoordinationConfig.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"{path}: {where}") from None


@lru_cache(maxsize=1)
def coordination_config() -> CoordinationConfig:
    return load_coordination()
