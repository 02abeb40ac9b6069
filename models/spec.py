"""Typed loaders for the declarative model spec and enforcement policy files."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

MODELS_DIR = Path(__file__).resolve().parent
FEATURE_CATALOG = MODELS_DIR.parent / "features" / "catalog.yaml"
Action = Literal["monitor", "rate_limit", "require_verification", "degrade_reasoning", "suspend", "human_review"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromotionGate(_Strict):
    """Blocking checks a newly trained model passes before it becomes current (models/gate.py)."""

    min_validation_positives: int = Field(ge=1, description="Fewer positive validation rows: metrics unmeasured.")
    min_validation_negatives: int = Field(ge=1, description="Fewer negative validation rows: metrics unmeasured.")
    min_validation_auc: float = Field(ge=0, le=1)
    max_validation_brier: float = Field(ge=0, le=1, description="Calibration bound (mean squared error).")
    recent_days: int = Field(ge=1, description="Last published days the candidate is replayed on.")
    max_action_change_share: float = Field(
        ge=0, le=1, description="Share of scored account-days whose action may change."
    )
    watch_only: list[str] = Field(
        default_factory=list, description="Actions that enforce nothing: to or from them is not a change."
    )
    reviewed_benign_max_action: str = Field(description="A reviewed-benign account may not move above this action.")


class ModelSpec(_Strict):
    name: str
    owner: str
    features: Literal["all_numeric"] = Field(description="Which account_features columns feed the model.")
    exclude_features: list[str] = []
    training_window_days: int = Field(gt=0, description="Account-days before the as-of date used for training.")
    validation_days: int = Field(gt=0, description="Latest training days held out for early stopping and calibration.")
    unlabeled_weight: float = Field(ge=0, le=1, description="Weight of unlabeled account-days, taken as benign.")
    exclude_unlabeled_in_positive_clusters: bool = True
    exclude_unlabeled_rules_score_at_least: float = Field(
        default=1.01, ge=0, le=1.01, description="Unlabeled rows the rules score at least this high are left out."
    )
    min_positive_accounts: int = Field(ge=1)
    min_positive_campaigns: int = Field(ge=1)
    stack_rule_score: bool = Field(description="Feed the cold-start rule score to the model as a feature.")
    monotone_decreasing: list[str] = Field(
        default=[], description="Features the score may only fall with (LightGBM monotone constraints)."
    )
    calibration_tie_break: float = Field(
        default=0.0, ge=0, le=0.05, description="Raw score times this is added to the calibrated score (order kept)."
    )
    seed: int
    num_threads: int = Field(ge=1)
    lightgbm: dict[str, float | int | str]
    num_boost_round: int = Field(gt=0)
    early_stopping_rounds: int = Field(gt=0)
    promotion_gate: PromotionGate

    @model_validator(mode="after")
    def _constrained_features_exist(self) -> ModelSpec:
        """A misspelt or excluded name would silently leave the score free to rise with it."""
        catalog = yaml.safe_load(FEATURE_CATALOG.read_text())["features"]
        named = set(self.monotone_decreasing)
        unknown = sorted((named - set(catalog)) | (named & set(self.exclude_features)))
        if unknown:
            raise ValueError(f"monotone_decreasing: {unknown} are not model features in {FEATURE_CATALOG.name}")
        return self


class Band(_Strict):
    name: str
    min_score: float = Field(ge=0, le=1)
    action: Action
    duration_days: int = Field(gt=0)


class ClusterEscalation(_Strict):
    min_cluster_score: float = Field(ge=0, le=1)
    min_cluster_accounts: int = Field(ge=2)
    min_cluster_orgs: int = Field(
        default=1, ge=1, description="A cluster inside fewer organisations is one customer, not coordination."
    )
    min_account_cross_org_links: int = Field(
        default=0, ge=0, description="Other organisations the account itself must share a strong indicator with."
    )
    steps: int = Field(ge=0)
    floor_action: Action


Line = Literal["model", "rules", "content", "coordination", "pool", "volume", "persistence"]


class Corroboration(_Strict):
    model_min_score: float = Field(ge=0, le=1, description="Trained-model score that counts as a line of evidence.")
    volume_min_requests_1d: int = Field(ge=1, description="Requests in the day that count as extraction volume.")
    pool_min_orgs: int = Field(
        default=10, ge=1, description="Other organisations sending the account's main template that make a pool."
    )
    content_template_min_orgs: int = Field(
        default=1,
        ge=1,
        description="Other organisations sending, with extraction content, a template the account sends so.",
    )
    band: list[Line] = Field(
        min_length=1, description="Lines that must agree with a model band above monitor (any one)."
    )
    band_alone: Action
    rules_floor: list[Line] = Field(min_length=1, description="Lines that must agree with the rules floor (any one).")
    rules_alone: Action
    rules_alone_model_below: float = Field(
        default=0.0, ge=0, le=1, description="Trained-model score under which the model disagrees."
    )
    rules_alone_model_disagrees: Action = Field(
        default="human_review", description="The rules alone, where the trained model disagrees."
    )
    volume_min_requests_1d_model_disagrees: int | None = Field(
        default=None,
        ge=1,
        description="Requests in the day that count as extraction volume where the trained model disagrees.",
    )

    @model_validator(mode="after")
    def _independent(self) -> Corroboration:
        if "model" in self.band or "rules" in self.rules_floor:
            raise ValueError("corroboration: a line cannot corroborate itself (model in band, or rules in rules_floor)")
        return self


class EstablishedOrg(_Strict):
    min_verified_share: float = Field(ge=0, le=1)
    require_corporate_domain: bool
    min_org_age_days: float = Field(ge=0)
    max_payment_orgs: int = Field(ge=0)
    ignored_lines: list[Line] = []
    rules_alone: Action
    max_automatic_action: Action = "suspend"
    above_max_goes_to: Action = "human_review"
    self_contained: SelfContained | None = None


class SelfContained(_Strict):
    """An established organisation whose traffic touches no other organisation."""

    max_template_pool_orgs: int = Field(ge=0, description="Most other orgs sending its main template alongside.")
    max_action: Action = Field(description="The strongest automatic action for such an organisation's accounts.")


class Persistence(_Strict):
    lookback_days: int = Field(ge=1, description="Earlier published days read for persistence.")
    min_prior_score: float = Field(ge=0, le=1)


class FirstStrongAction(_Strict):
    actions: list[Action] = Field(min_length=1)
    needs_any: list[Literal["persistence", "model_and_rules"]] = Field(min_length=1)
    model_and_rules_min_score: float = Field(ge=0, le=1)
    model_and_rules_also: list[Line] = []
    cap: Action
    already_enforced_lookback_days: int = Field(ge=1)


class SettledAccountBand(_Strict):
    """An account with history is acted on from the model band only after the model scored it on an earlier day."""

    min_age_days: float = Field(ge=0, description="Accounts at least this old are held.")
    min_prior_score: float = Field(ge=0, le=1, description="Score on an earlier day of the persistence lookback.")
    cap: Action = Field(description="What the band gives on the first day (a ladder action).")


class RulesFloor(_Strict):
    min_rules_score: float = Field(ge=0, le=1)
    action: Action


class Tenured(_Strict):
    min_age_days: float = Field(ge=0)
    require_verified: bool
    require_payment: bool
    max_automatic_action: Action
    above_max_goes_to: Action


class ContentEvidence(_Strict):
    min_marker_rate: float = Field(gt=0, le=1)
    max_action_without: Action


class Protections(_Strict):
    allowlisted_org_instead_of_suspend: Action
    tenured: Tenured
    content_evidence: ContentEvidence


class SingleOrgCohort(_Strict):
    """An account of a young organisation holding many accounts, touching no other organisation: one customer."""

    min_org_accounts: int = Field(ge=2, description="Accounts the organisation holds, at least.")
    max_org_age_days: float = Field(gt=0, description="Days since the organisation's first account, below this.")
    max_template_pool_orgs: int = Field(ge=0, description="Most other orgs sending the account's main template.")
    max_action: Action = Field(description="The strongest automatic action for such an account (a ladder action).")


class HumanReview(_Strict):
    duration_days: int = Field(gt=0, description="How long a review action stays in force.")
    ranks_above: Action = Field(description="Where review sits among ladder actions when the strongest is chosen.")


class PublishedScore(_Strict):
    """What the published ``score`` is beside the detector's own ``model_score``."""

    raise_to_corroborated_rules: bool = Field(
        description="Where an action above monitor came from a path other than the model's band, with the rules and "
        "a line they need agreeing, publish at least the rules' score."
    )


class Policy(_Strict):
    version: str
    bands: list[Band]
    below_bands: str = Field(default="low", description="risk_band of a score below every band (no action row).")
    human_review: HumanReview = HumanReview(duration_days=7, ranks_above="rate_limit")
    rules_floor: RulesFloor
    cluster_escalation: ClusterEscalation
    corroboration: Corroboration
    established_org: EstablishedOrg
    single_org_cohort: SingleOrgCohort | None = None
    persistence: Persistence
    first_strong_action: FirstStrongAction
    settled_account_band: SettledAccountBand | None = None
    protections: Protections
    published_score: PublishedScore = PublishedScore(raise_to_corroborated_rules=False)
    ladder: list[Action]

    def band_names(self) -> list[str]:
        """Every risk_band value, highest first."""
        return [b.name for b in self.bands] + [self.below_bands]

    def actions(self) -> list[str]:
        """Every action a row can carry: the ladder (weakest first), then human review."""
        return [*self.ladder, "human_review"]

    def strength_order(self) -> list[str]:
        """Actions strongest first, human review placed above ``human_review.ranks_above``."""
        out = list(reversed(self.ladder))
        out.insert(out.index(self.human_review.ranks_above), "human_review")
        return out

    def durations(self) -> dict[str, int]:
        """Days each action stays in force."""
        days = {b.action: b.duration_days for b in self.bands}
        return {**days, "human_review": self.human_review.duration_days}

    @model_validator(mode="after")
    def _ordered(self) -> Policy:
        scores = [b.min_score for b in self.bands]
        if scores != sorted(scores, reverse=True):
            raise ValueError("policy bands must be listed from the highest min_score down")
        if self.protections.allowlisted_org_instead_of_suspend == "suspend":
            raise ValueError("an allowlisted organisation may never be suspended automatically")
        for b in self.bands:
            if b.action not in self.ladder:
                raise ValueError(f"band {b.name}: action {b.action} is not on the ladder")
        for name, action in [
            ("rules_floor.action", self.rules_floor.action),
            ("first_strong_action.cap", self.first_strong_action.cap),
            *([("settled_account_band.cap", self.settled_account_band.cap)] if self.settled_account_band else []),
            ("corroboration.band_alone", self.corroboration.band_alone),
            *([("single_org_cohort.max_action", self.single_org_cohort.max_action)] if self.single_org_cohort else []),
        ]:
            if action not in self.ladder:
                raise ValueError(f"{name}: action {action} is not on the ladder")
        cor = self.corroboration
        alone = (cor.band_alone, cor.rules_alone, cor.rules_alone_model_disagrees, self.established_org.rules_alone)
        if "suspend" in alone:
            raise ValueError("corroboration: an uncorroborated signal may never lead to suspend")
        return self


def _load(path: Path) -> dict:
    with Path(path).open() as fh:
        return yaml.safe_load(fh)


def load_spec(path: Path | None = None) -> ModelSpec:
    return ModelSpec.model_validate(_load(path or MODELS_DIR / "spec.yaml"))


def load_policy(path: Path | None = None) -> Policy:
    return Policy.model_validate(_load(path or MODELS_DIR / "policy.yaml"))
