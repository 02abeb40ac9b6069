"""The simulated world: who the accounts are and how each population behaves.

A population spec says how many accounts it has at scale 1, how they sign up,
when and how much they send, and what they ask. Attack behaviours are
populations too, with campaign-level parameters drawn from the seed so that no
two seeds share one signature.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from simulator import languages

WEBMAIL = ["gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com", "qq.com", "163.com", "gmx.de", "mail.ru"]
THROWAWAY = ["tempmail.dev", "inboxkit.io", "mailpad.cc", "quickbox.top", "fastinbox.xyz"]
UNIVERSITIES = [
    "uni-lisbon.edu",
    "state-tech.edu",
    "northfield.edu",
    "kyoto-inst.ac.jp",
    "tsinghua-example.edu.cn",
    "lagos-poly.edu.ng",
]
# (asn, first octets, country) — residential ISPs and hosting providers.
RESIDENTIAL = [
    (7922, "73.", "US"),
    (3320, "87.", "DE"),
    (4134, "116.", "CN"),
    (9808, "120.", "CN"),
    (2856, "86.", "GB"),
    (701, "71.", "US"),
    (3215, "90.", "FR"),
    (4766, "121.", "KR"),
    (9829, "117.", "IN"),
    (28573, "177.", "BR"),
    (12389, "95.", "RU"),
    (1221, "110.", "AU"),
]
HOSTING = [
    (16509, "54.", "US"),
    (14061, "159.", "US"),
    (24940, "95.216.", "DE"),
    (16276, "51.", "FR"),
    (396982, "34.", "US"),
    (8075, "20.", "US"),
    (45102, "47.", "SG"),
    (63949, "172.104.", "US"),
]
UA_CHAT = ["Mozilla/5.0 web-console", "anthropic-ios/4.2", "anthropic-android/4.1"]
UA_SDK = ["anthropic-python/0.{v}.0", "anthropic-typescript/0.{v}.1", "httpx/0.27", "curl/8.5.0", "anthropic-go/1.{v}"]
UA_AGENT = ["agent-cli/2.{v}", "ide-copilot/1.{v}", "openhands/0.{v}"]
MODELS_OLD = ["atlas-3", "atlas-3-mini"]
MODEL_NEW = "atlas-4"
TIERS = ["free", "build", "scale", "enterprise", "edu", "research", "startup"]

# Hour-of-day weights in the account's local time.
HUMAN = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.5, 3.5, 4, 4, 3.5, 4, 4, 3.8, 3.5, 3.2, 3, 3.2, 3.4, 3, 2.4, 1.6]
)
WORK = np.array(
    [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 6, 6.5, 6, 4, 6, 6.5, 6, 5, 3, 1.2, 0.8, 0.6, 0.5, 0.4, 0.3]
)
FLAT = np.ones(24)


@dataclass(frozen=True)
class Pop:
    name: str
    n: int  # accounts at scale 1
    rate: float  # mean requests per active account-day at scale 1
    families: dict[str, float]
    min_n: int = 2
    attack: bool = False
    rate_sigma: float = 0.8  # lognormal spread of rates across accounts
    rate_scales: bool = False  # per-account volume grows with scale (pipelines, aggregators)
    p_active: float = 0.9
    weekend: float = 1.0  # activity factor on Saturday/Sunday
    tiers: dict[str, float] = field(default_factory=lambda: {"free": 0.6, "build": 0.4})
    timing: str = "human"  # human | work | flat | burst | sync
    tz: tuple[int, ...] = (-8, -5, 0, 1, 2, 8, 9)
    hosting: float = 0.0  # share of accounts behind a hosting ASN
    proxies: bool = False  # each request through a shared residential/hosting pool
    org: str = "own"  # own | shared | single
    orgs: int = 1
    payment: str = "own"  # own | org | groups
    payment_null: float = 0.3
    group_size: tuple[int, int] = (3, 8)
    email: str = "webmail"  # webmail | corp | edu | throwaway | campus
    created: str = "aged"  # aged | fresh | burst
    verified: float = 0.3
    lifespan: tuple[int, int] | None = None  # days each account stays active (hydra churn)
    start: str = "always"  # always | campaign | release | event | ramp
    duration: tuple[int, int] = (4, 30)
    max_tokens: tuple[int, ...] = (1024, 2048, 4096)
    out_mean: float = 350.0
    out_near_max: float = 0.02  # share of responses that run to max_tokens
    thinking: float = 0.05  # share of requests with a reasoning budget
    budgets: tuple[int, ...] = (1024, 2048)
    batch: float = 0.0
    system: str = "none"  # none | org | persona
    system_p: float = 0.0
    ua: tuple[str, ...] = tuple(UA_CHAT)
    error_400: float = 0.005
    ipv6: float = 0.15
    models: str = "legit"  # legit | chaser | new
    mix_legit: float = 0.0  # reseller: share of genuine customer traffic
    fixed_n: bool = False  # a fixed head count (one enterprise's roll-out), not scaled
    templated: bool = False  # a pipeline sending a few fixed prompt frames, like a campaign


POPULATIONS: list[Pop] = [
    # --- legitimate ---------------------------------------------------------------------------
    Pop("casual_chat", 3000, 5, {"chat": 0.55, "writing": 0.25, "math": 0.1, "analysis": 0.1}, p_active=0.45, min_n=40),
    Pop(
        "developer",
        600,
        40,
        {"coding": 0.6, "agentic": 0.25, "chat": 0.1, "analysis": 0.05},
        timing="work",
        weekend=0.35,
        tiers={"build": 0.7, "free": 0.2, "scale": 0.1},
        ua=tuple(UA_SDK + UA_AGENT),
        thinking=0.2,
        payment_null=0.1,
        max_tokens=(4096, 8192, 16000),
        out_mean=700,
        min_n=15,
    ),
    Pop(
        "enterprise_app",
        120,
        30,
        {"analysis": 0.45, "writing": 0.3, "chat": 0.25},
        org="shared",
        orgs=3,
        payment="org",
        payment_null=0,
        email="corp",
        tiers={"enterprise": 1.0},
        verified=1,
        hosting=1,
        timing="work",
        weekend=0.2,
        ua=tuple(UA_SDK),
        system="org",
        system_p=0.9,
        min_n=12,
    ),
    Pop(
        "aggregator",
        3,
        3000,
        {"chat": 0.4, "coding": 0.25, "writing": 0.2, "math": 0.15},
        rate_scales=True,
        rate_sigma=0.3,
        tiers={"scale": 1.0},
        hosting=1,
        verified=1,
        payment_null=0,
        email="corp",
        timing="flat",
        ua=tuple(UA_SDK),
        min_n=2,
    ),
    Pop("reasoning_curious", 150, 8, {"reasoning_curious": 0.5, "chat": 0.3, "math": 0.2}, p_active=0.5, min_n=6),
    # --- legitimate look-alikes (hard negatives) ---------------------------------------------
    Pop(
        "labeling_pipeline",
        2,
        8000,
        {"labeling": 1.0},
        rate_scales=True,
        rate_sigma=0.3,
        tiers={"scale": 1.0},
        hosting=1,
        verified=1,
        payment_null=0,
        email="corp",
        timing="flat",
        batch=0.8,
        max_tokens=(16, 32),
        out_mean=6,
        ua=("anthropic-python/0.{v}.0",),
        min_n=2,
        org="shared",
        orgs=2,
        payment="org",
    ),
    Pop(
        "eval_harness",
        12,
        1500,
        {"eval": 1.0},
        rate_scales=True,
        rate_sigma=0.4,
        org="shared",
        orgs=3,
        payment="org",
        payment_null=0,
        email="corp",
        tiers={"research": 0.5, "enterprise": 0.5},
        verified=1,
        hosting=1,
        timing="burst",
        start="release",
        duration=(2, 3),
        thinking=0.9,
        budgets=(8000, 16000, 32000),
        max_tokens=(16000, 32000),
        out_mean=2500,
        ua=("anthropic-python/0.{v}.0",),
        models="new",
        min_n=3,
    ),
    Pop(
        "synthetic_contract",
        3,
        3000,
        {"synthetic": 1.0},
        rate_scales=True,
        rate_sigma=0.3,
        org="single",
        payment="org",
        payment_null=0,
        email="corp",
        tiers={"enterprise": 1.0},
        verified=1,
        hosting=1,
        timing="flat",
        thinking=0.5,
        budgets=(4000, 8000),
        max_tokens=(8192, 16000),
        out_mean=3000,
        out_near_max=0.2,
        batch=0.6,
        ua=("anthropic-python/0.{v}.0",),
        min_n=2,
    ),
    Pop(
        "class_hackathon",
        80,
        25,
        {"class_starter": 0.5, "coding": 0.4, "chat": 0.1},
        org="shared",
        orgs=2,
        payment_null=1.0,
        email="campus",
        created="burst",
        tiers={"edu": 1.0},
        verified=0,
        start="event",
        duration=(1, 2),
        timing="burst",
        tz=(1,),
        ua=tuple(UA_CHAT),
        min_n=20,
        rate_sigma=0.5,
    ),
    Pop(
        "enterprise_ramp",
        60,
        40,
        {"coding": 0.4, "analysis": 0.3, "agentic": 0.3},
        org="single",
        payment="org",
        payment_null=0,
        email="corp",
        created="burst",
        tiers={"enterprise": 0.7, "startup": 0.3},
        verified=0.6,
        hosting=0.7,
        start="ramp",
        timing="work",
        weekend=0.3,
        ua=tuple(UA_SDK + UA_AGENT),
        min_n=10,
        thinking=0.3,
    ),
    # --- attacks --------------------------------------------------------------------------------
    Pop(
        "hydra",
        400,
        90,
        {"cot": 0.5, "persona_user": 0.3, "rubric": 0.2},
        attack=True,
        created="fresh",
        tiers={"free": 0.35, "edu": 0.25, "startup": 0.2, "research": 0.2},
        payment="groups",
        payment_null=0.15,
        email="throwaway",
        verified=0.02,
        proxies=True,
        hosting=0.5,
        timing="sync",
        lifespan=(2, 6),
        start="campaign",
        duration=(8, 30),
        thinking=0.8,
        budgets=(8000, 16000),
        max_tokens=(16000, 32000),
        out_mean=4000,
        out_near_max=0.3,
        ua=("anthropic-python/0.{v}.0", "httpx/0.27"),
        min_n=24,
        rate_sigma=0.5,
    ),
    Pop(
        "persona_farm",
        200,
        100,
        {"persona_user": 1.0},
        attack=True,
        created="burst",
        tiers={"startup": 0.5, "build": 0.5},
        payment="groups",
        group_size=(10, 30),
        payment_null=0.05,
        email="throwaway",
        verified=0.1,
        hosting=0.8,
        timing="sync",
        start="campaign",
        duration=(6, 20),
        system="persona",
        system_p=1.0,
        thinking=0.6,
        max_tokens=(8192, 16000),
        out_mean=3000,
        ua=("agent-cli/2.{v}",),
        min_n=12,
        rate_sigma=0.4,
    ),
    Pop(
        "cot_reconstruction",
        80,
        200,
        {"cot_maxout": 1.0},
        attack=True,
        created="fresh",
        tiers={"build": 0.6, "free": 0.4},
        payment="groups",
        group_size=(2, 5),
        email="webmail",
        verified=0.05,
        hosting=0.6,
        timing="flat",
        start="campaign",
        duration=(5, 25),
        thinking=0.97,
        budgets=(16000, 32000),
        max_tokens=(32000, 64000),
        out_mean=9000,
        out_near_max=0.35,
        ua=("anthropic-python/0.{v}.0",),
        min_n=8,
        rate_sigma=0.4,
    ),
    Pop(
        "rubric_grader",
        40,
        150,
        {"rubric": 1.0},
        attack=True,
        created="fresh",
        tiers={"build": 1.0},
        payment="groups",
        email="throwaway",
        hosting=0.7,
        timing="flat",
        start="campaign",
        duration=(4, 15),
        max_tokens=(512, 1024),
        out_mean=200,
        thinking=0.3,
        ua=("httpx/0.27",),
        min_n=5,
    ),
    Pop(
        "censorship_rewrite",
        30,
        100,
        {"rewrite": 1.0},
        attack=True,
        created="fresh",
        tiers={"build": 0.5, "startup": 0.5},
        payment="groups",
        email="webmail",
        hosting=0.5,
        timing="sync",
        start="campaign",
        duration=(4, 12),
        max_tokens=(4096,),
        out_mean=900,
        ua=("anthropic-python/0.{v}.0",),
        min_n=5,
    ),
    Pop(
        "release_chaser",
        60,
        200,
        {"cot": 0.5, "coding": 0.3, "agentic": 0.2},
        attack=True,
        created="burst",
        tiers={"startup": 0.5, "research": 0.5},
        payment="groups",
        email="throwaway",
        hosting=0.7,
        timing="sync",
        start="campaign",
        duration=(10, 30),
        thinking=0.8,
        budgets=(16000,),
        max_tokens=(16000, 32000),
        out_mean=5000,
        models="chaser",
        ua=("anthropic-python/0.{v}.0",),
        min_n=8,
    ),
    Pop(
        "low_and_slow",
        150,
        25,
        {"cot_paraphrased": 0.6, "chat": 0.2, "coding": 0.2},
        attack=True,
        created="aged",
        tiers={"build": 0.8, "scale": 0.2},
        payment="own",
        payment_null=0.1,
        email="webmail",
        verified=0.9,
        proxies=True,
        timing="human",
        start="campaign",
        duration=(12, 40),
        thinking=0.6,
        max_tokens=(8192, 16000),
        out_mean=2500,
        ua=tuple(UA_SDK),
        min_n=12,
        rate_sigma=0.3,
    ),
    Pop(
        "camouflaged_reseller",
        3,
        3000,
        {"chat": 0.3, "coding": 0.3, "writing": 0.1, "cot": 0.2, "rubric": 0.1},
        attack=True,
        rate_scales=True,
        rate_sigma=0.3,
        tiers={"scale": 1.0},
        hosting=1,
        verified=1,
        payment_null=0,
        email="corp",
        timing="flat",
        start="campaign",
        duration=(10, 40),
        thinking=0.4,
        max_tokens=(8192, 16000),
        out_mean=2000,
        ua=tuple(UA_SDK),
        mix_legit=0.6,
        min_n=2,
    ),
    Pop(
        "technique_prober",
        10,
        250,
        {"probe": 1.0},
        attack=True,
        created="fresh",
        tiers={"free": 0.5, "build": 0.5},
        payment="groups",
        email="throwaway",
        hosting=0.8,
        timing="burst",
        start="campaign",
        duration=(3, 8),
        error_400=0.4,
        thinking=0.7,
        max_tokens=(8192,),
        out_mean=1500,
        ua=("curl/8.5.0", "httpx/0.27"),
        min_n=4,
    ),
]
POP_BY_NAME = {p.name: p for p in POPULATIONS}
HARD_NEGATIVES = (
    "labeling_pipeline",
    "eval_harness",
    "synthetic_contract",
    "class_hackathon",
    "enterprise_ramp",
    "reasoning_curious",
    "aggregator",
)

# Evaluation worlds (variant "wide") add, for each campaign type, a legitimate population that matches it on
# every naive signal taken one at a time; what tells them apart is the organisation, the payment structure
# across organisations, the release calendar and the evidence in combination. The bundled sample keeps the
# base populations ("base"), so `make sample` stays bit-identical. Variant "multilingual" is the wide world with
# every account writing in a language of simulator/phrasings.yaml (simulator/languages.py).
LOOKALIKES: list[Pop] = [
    # vs hydra / persona farm: ~110 new SSO accounts of one verified organisation in two waves a week apart,
    # one corporate card, one cloud NAT, one system prompt.
    Pop(
        "enterprise_rollout",
        110,
        40,
        {"coding": 0.4, "analysis": 0.3, "agentic": 0.3},
        fixed_n=True,
        org="single",
        payment="org",
        payment_null=0,
        email="corp",
        created="burst",
        tiers={"enterprise": 1.0},
        verified=0.95,
        hosting=1,
        start="waves",
        timing="work",
        weekend=0.2,
        system="org",
        system_p=1.0,
        thinking=0.3,
        ua=("anthropic-python/0.{v}.0",),
        min_n=60,
    ),
    # vs rubric grader: an evaluation team using the model as a judge against rubrics, at volume.
    Pop(
        "judge_pipeline",
        4,
        150,
        {"rubric": 1.0},
        fixed_n=True,
        templated=True,
        org="single",
        payment="org",
        payment_null=0,
        email="corp",
        tiers={"enterprise": 1.0},
        verified=1,
        hosting=1,
        timing="flat",
        max_tokens=(512, 1024),
        out_mean=200,
        thinking=0.3,
        ua=("httpx/0.27",),
        min_n=3,
    ),
    # vs reasoning reconstruction: a tutoring service asking for worked steps at volume with reasoning on.
    Pop(
        "tutoring_service",
        6,
        200,
        {"reasoning_curious": 0.6, "math": 0.4},
        fixed_n=True,
        org="single",
        payment="org",
        payment_null=0,
        email="corp",
        tiers={"scale": 0.5, "enterprise": 0.5},
        verified=1,
        hosting=1,
        timing="human",
        thinking=0.95,
        budgets=(16000, 32000),
        max_tokens=(32000, 64000),
        out_mean=6000,
        out_near_max=0.25,
        ua=("anthropic-python/0.{v}.0",),
        min_n=4,
    ),
    # vs release chaser: labs benchmarking the new model with reasoning on from release day.
    Pop(
        "release_day_eval",
        10,
        400,
        {"eval": 0.6, "coding": 0.2, "agentic": 0.2},
        fixed_n=True,
        templated=True,
        org="shared",
        orgs=4,
        payment="org",
        payment_null=0,
        email="corp",
        tiers={"research": 0.5, "enterprise": 0.5},
        verified=1,
        hosting=1,
        timing="sync",
        start="release",
        duration=(2, 5),
        thinking=0.85,
        budgets=(16000,),
        max_tokens=(16000, 32000),
        out_mean=5000,
        models="chaser",
        ua=("anthropic-python/0.{v}.0",),
        min_n=6,
    ),
    # vs technique prober: a security vendor red-teaming under contract (many rejected requests).
    Pop(
        "security_redteam",
        3,
        250,
        {"probe": 0.7, "coding": 0.3},
        fixed_n=True,
        templated=True,
        org="single",
        payment="org",
        payment_null=0,
        email="corp",
        tiers={"enterprise": 1.0},
        verified=1,
        hosting=1,
        timing="burst",
        start="event",
        duration=(3, 8),
        error_400=0.3,
        thinking=0.6,
        max_tokens=(8192,),
        out_mean=1500,
        ua=("curl/8.5.0",),
        min_n=2,
    ),
    # vs censorship-rewrite harvesting: a localisation vendor rewriting content for regional publication.
    Pop(
        "localisation_vendor",
        4,
        100,
        {"rewrite": 0.5, "writing": 0.5},
        fixed_n=True,
        templated=True,
        org="single",
        payment="org",
        payment_null=0,
        email="corp",
        tiers={"scale": 1.0},
        verified=1,
        hosting=0.8,
        timing="work",
        max_tokens=(4096,),
        out_mean=900,
        ua=("anthropic-python/0.{v}.0",),
        min_n=3,
    ),
    # vs low and slow: researchers with aged verified accounts asking for reasoning in their own words.
    Pop(
        "reasoning_researcher",
        60,
        25,
        {"cot_paraphrased": 0.5, "chat": 0.25, "coding": 0.25},
        created="aged",
        tiers={"research": 0.5, "build": 0.5},
        payment="own",
        payment_null=0.1,
        email="edu",
        verified=0.9,
        timing="human",
        thinking=0.6,
        max_tokens=(8192, 16000),
        out_mean=2500,
        ua=tuple(UA_SDK),
        min_n=20,
        rate_sigma=0.3,
    ),
    # vs low and slow on its network: people behind privacy relays and consumer VPNs. Every request leaves from
    # another exit of the same shared residential and hosting pools the campaign rents, mostly in another country
    # than the account's; aged accounts asking for reasoning in their own words at a few dozen requests a day.
    # What differs is that nobody coordinates them: they were active before and do not start together.
    Pop(
        "privacy_relay_user",
        80,
        25,
        {"cot_paraphrased": 0.4, "chat": 0.35, "coding": 0.25},
        created="aged",
        tiers={"build": 0.7, "scale": 0.3},
        payment="own",
        payment_null=0.1,
        email="webmail",
        verified=0.9,
        proxies=True,
        timing="human",
        thinking=0.6,
        max_tokens=(8192, 16000),
        out_mean=2500,
        ua=tuple(UA_SDK),
        min_n=20,
        rate_sigma=0.3,
    ),
]

WIDE_HARD_NEGATIVES = HARD_NEGATIVES + tuple(p.name for p in LOOKALIKES)
# The legitimate population of a wide world that matches each campaign type on its naive signals.
LOOKALIKE_OF = {
    "hydra": "enterprise_rollout",
    "persona_farm": "enterprise_rollout",
    "cot_reconstruction": "tutoring_service",
    "rubric_grader": "judge_pipeline",
    "censorship_rewrite": "localisation_vendor",
    "release_chaser": "release_day_eval",
    "low_and_slow": "reasoning_researcher",
    "camouflaged_reseller": "aggregator",
    "technique_prober": "security_redteam",
}
VARIANTS = ("base", "wide", "multilingual")


def _lookalike_params(pop: Pop, rng: np.random.Generator) -> Pop:
    """Legitimate look-alikes differ per seed too: sizes, volume, reasoning, egress, system prompts, timing, windows."""
    j = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731
    tiers = {k: v * j(0.5, 1.5) for k, v in pop.tiers.items()}
    return replace(
        pop,
        n=max(pop.min_n, int(round(pop.n * j(0.6, 1.8)))),
        rate=pop.rate * j(0.5, 1.8),
        thinking=min(1.0, pop.thinking * j(0.5, 1.5)),
        hosting=min(1.0, pop.hosting * j(0.6, 1.2)),
        system_p=min(1.0, pop.system_p * j(0.7, 1.2)),
        timing=pop.timing if rng.random() < 0.6 else str(rng.choice(["work", "flat", "burst", "sync", "human"])),
        duration=(pop.duration[0], pop.duration[1] + int(rng.integers(0, 4))),
        verified=min(1.0, pop.verified * j(0.7, 1.1)),
        tiers=tiers,
    )


def populations(variant: str, seed: int) -> list[Pop]:
    """The populations of a world: the base list, or (``wide``, ``multilingual``) look-alikes added and all
    legitimate ones jittered."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown simulator variant {variant!r}; one of {VARIANTS}")
    if variant == "base":
        return POPULATIONS
    rng = np.random.default_rng([seed, 9])
    return [
        p if p.attack or p.name not in WIDE_HARD_NEGATIVES else _lookalike_params(p, rng)
        for p in POPULATIONS + LOOKALIKES
    ]


@dataclass(frozen=True)
class World:
    """Everything fixed for a simulation run: accounts, their hidden traits, dates of events."""

    start: date
    days: int
    seed: int
    scale: float
    release_day: int
    accounts: pl.DataFrame  # contract columns + hidden columns (prefixed h_)
    campaigns: pl.DataFrame  # campaign_id, behaviour, start_day, end_day
    pops: tuple = tuple(POPULATIONS)  # the populations, indexed by h_pop_idx
    variant: str = "base"


def _choice(rng, options: dict[str, float] | list, n: int):
    if isinstance(options, dict):
        keys, w = list(options), np.array(list(options.values()), dtype=float)
        return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=w / w.sum())]
    return np.array(options, dtype=object)[rng.integers(0, len(options), size=n)]


def _campaign_params(pop: Pop, rng: np.random.Generator) -> Pop:
    """Attackers adapt: jitter volume, reasoning use, timing and infrastructure per seed."""
    if not pop.attack:
        return pop
    j = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731
    return replace(
        pop,
        rate=pop.rate * j(0.5, 1.6),
        thinking=min(1.0, pop.thinking * j(0.6, 1.2)),
        hosting=min(1.0, pop.hosting * j(0.4, 1.3)),
        out_near_max=pop.out_near_max * j(0.4, 1.5),
        timing=pop.timing if rng.random() < 0.7 else "human",
        verified=min(1.0, pop.verified * j(0.5, 2.0)),
    )


# Every population's accounts come from one random stream; splitting it would reorder the draws and change each seed's
# world.
def build_world(start: date, days: int, seed: int, scale: float, variant: str = "base") -> World:
    pops = populations(variant, seed)
    rng = np.random.default_rng([seed, 0])
    release_day = int(min(days - 1, max(1, round(days * rng.uniform(0.3, 0.45)))))
    day0 = datetime(start.year, start.month, start.day, tzinfo=UTC)
    frames, campaigns = [], []
    next_org = 0
    for pi, base in enumerate(pops):
        prng = np.random.default_rng([seed, 1, pi])
        pop = _campaign_params(base, prng)
        # A few big tenants (pipelines, aggregators) grow in volume with scale, not in number.
        n = pop.n if (pop.rate_scales or pop.fixed_n) else max(pop.min_n, int(round(pop.n * scale)))
        # Active window of the population (campaign dates, release bursts, events, ramps).
        if pop.start == "campaign":
            first = int(prng.integers(0, max(1, int(days * 0.6))))
            last = min(days - 1, first + int(prng.integers(*pop.duration)))
            campaigns.append(
                {"campaign_id": f"camp_{seed}_{pi:02d}", "behaviour": pop.name, "start_day": first, "end_day": last}
            )
        elif pop.start == "release":
            first, last = release_day, min(days - 1, release_day + int(prng.integers(*pop.duration)))
        elif pop.start == "event":
            first = int(prng.integers(0, days))
            last = min(days - 1, first + int(prng.integers(*pop.duration)))
        elif pop.start in ("ramp", "waves"):
            first, last = int(prng.integers(0, max(1, days // 2))), days - 1
        else:
            first, last = 0, days - 1
        # Per-account active windows: hydra accounts live a few days and are replaced at once.
        if pop.lifespan:
            live = max(pop.min_n // 2, n // 3)
            a_first, a_last = [], []
            for _ in range(live):
                d = first - int(prng.integers(0, pop.lifespan[1]))  # staggered so pools rotate continuously
                while d <= last and len(a_first) < n * 4:
                    life = int(prng.integers(*pop.lifespan))
                    a_first.append(max(d, first))
                    a_last.append(min(d + life - 1, last))
                    d += life
            a_first, a_last = np.array(a_first), np.array(a_last)
            keep = a_last >= a_first
            a_first, a_last = a_first[keep], a_last[keep]
            n = len(a_first)
        elif pop.start == "waves":
            # An enterprise roll-out: two waves of SSO provisioning a week apart.
            second = min(last, first + 7)
            a_first = np.where(np.arange(n) < n // 2, first, second)
            a_last = np.full(n, last)
        elif pop.start == "ramp":
            # Fast enterprise ramp: accounts join in weekly waves of SSO provisioning.
            a_first = np.sort(first + prng.integers(0, max(1, last - first + 1), size=n) // 3 * 3)
            a_last = np.full(n, last)
        else:
            a_first, a_last = np.full(n, first), np.full(n, last)

        # Organisations.
        if pop.org == "own":
            org_idx = np.arange(n) + next_org
            next_org += n
        elif pop.org == "shared":
            org_idx = next_org + prng.integers(0, pop.orgs, size=n)
            next_org += pop.orgs
        else:
            org_idx = np.full(n, next_org)
            next_org += 1

        # Creation time: aged customers signed up long ago; fresh ones the day before they start;
        # bursts are created in batches in one hour.
        if pop.created == "aged":
            created_day = np.minimum(a_first, 0) - prng.integers(30, 900, size=n)
            created_sec = prng.integers(0, 86400, size=n)
        elif pop.created == "fresh":
            created_day = a_first - prng.integers(0, 2, size=n)
            created_sec = prng.integers(0, 86400, size=n)
        else:
            batch = prng.integers(0, max(1, n // 25 + 1), size=n)
            created_day = a_first - 1 - (batch % 2)
            created_sec = (prng.integers(8, 20) * 3600 + batch * 97 + prng.integers(0, 1800, size=n)) % 86400
        created_at = [
            day0 + timedelta(days=int(d), seconds=int(s)) for d, s in zip(created_day, created_sec, strict=False)
        ]

        tiers = _choice(prng, pop.tiers, n)
        # Payment instruments: own card, one per organisation, or shared in small groups by a farm.
        if pop.payment == "org":
            pay = np.array([f"pay_{seed}_{o:06x}o" for o in org_idx], dtype=object)
        elif pop.payment == "groups":
            g = prng.integers(*pop.group_size)
            pay = np.array([f"pay_{seed}_{pi:02d}g{k // g:05d}" for k in prng.permutation(n)], dtype=object)
        else:
            pay = np.array([f"pay_{seed}_{pi:02d}a{k:06d}" for k in range(n)], dtype=object)
        null_pay = prng.random(n) < pop.payment_null
        if pop.payment == "own":
            null_pay |= (tiers == "free") & (prng.random(n) < 0.8)
        pay[null_pay] = None

        hosting = prng.random(n) < pop.hosting
        res_i = prng.integers(0, len(RESIDENTIAL), size=n)
        host_i = prng.integers(0, len(HOSTING), size=n)
        if pop.email == "campus" or pop.created == "burst":
            # One campus or office network for the whole cohort.
            res_i[:] = res_i[0]
            host_i[:] = host_i[0]
        asn = np.where(hosting, [HOSTING[i][0] for i in host_i], [RESIDENTIAL[i][0] for i in res_i])
        prefix = np.where(hosting, [HOSTING[i][1] for i in host_i], [RESIDENTIAL[i][1] for i in res_i])
        country = np.array([RESIDENTIAL[i][2] for i in res_i], dtype=object)
        if pop.attack and pop.proxies:
            country = _choice(prng, ["US", "GB", "DE", "SG", "CA"], n)  # billing country chosen to look mainstream
        o2 = prng.integers(0, 256, size=n) if pop.email != "campus" else np.full(n, prng.integers(0, 256))
        o3 = prng.integers(0, 256, size=n)
        signup_ip = [
            f"{p}{a % 256}.{b}.{c}" if p.count(".") == 1 else f"{p}{b}.{c}"
            for p, a, b, c in zip(prefix, o2, o3, prng.integers(1, 255, size=n), strict=False)
        ]

        if pop.email == "webmail":
            email = _choice(prng, WEBMAIL, n)
        elif pop.email == "corp":
            email = np.array([f"corp{o}.example.com" for o in org_idx], dtype=object)
        elif pop.email == "edu":
            email = _choice(prng, UNIVERSITIES, n)
        elif pop.email == "throwaway":
            email = _choice(prng, THROWAWAY + WEBMAIL[:3] + UNIVERSITIES[:2], n)
        else:
            email = np.full(n, UNIVERSITIES[int(prng.integers(0, len(UNIVERSITIES)))], dtype=object)

        rates = (
            pop.rate * (scale if pop.rate_scales else 1.0) * prng.lognormal(-(pop.rate_sigma**2) / 2, pop.rate_sigma, n)
        )
        ua = np.array(
            [
                u.replace("{v}", str(int(v)))
                for u, v in zip(_choice(prng, list(pop.ua), n), prng.integers(20, 40, size=n), strict=False)
            ],
            dtype=object,
        )
        frames.append(
            pl.DataFrame(
                {
                    "h_index": np.arange(n),
                    "h_population": [pop.name] * n,
                    "h_pop_idx": np.full(n, pi, dtype=np.int32),
                    "h_attack": np.full(n, pop.attack),
                    "h_campaign_id": pl.Series([f"camp_{seed}_{pi:02d}" if pop.attack else None] * n, dtype=pl.String),
                    "h_first": a_first.astype(np.int32),
                    "h_last": a_last.astype(np.int32),
                    "h_rate": rates,
                    "h_tz": prng.choice(pop.tz, size=n).astype(np.int32),
                    "h_hosting": hosting,
                    "h_prefix": prefix.astype(str),
                    "h_ua": ua,
                    "h_keys": prng.integers(1, 4 if pop.org == "own" else 8, size=n).astype(np.int32),
                    "h_org_idx": org_idx.astype(np.int64),
                    "created_at": pl.Series(created_at, dtype=pl.Datetime("us", "UTC")),
                    "tier": tiers.astype(str),
                    "email_domain": email.astype(str),
                    "payment_fingerprint": pl.Series(list(pay), dtype=pl.String),
                    "signup_ip": signup_ip,
                    "signup_asn": asn.astype(np.int32),
                    "country": pl.Series(list(country), dtype=pl.String),
                    "verified": prng.random(n) < pop.verified,
                    # Its own generator, so the base and wide worlds draw exactly what they drew before.
                    "h_language": (
                        languages.assign(n, np.random.default_rng([seed, 12, pi]))
                        if variant == "multilingual"
                        else np.full(n, "en", dtype=object)
                    ).astype(str),
                },
                strict=False,
            )
        )
    accounts = pl.concat(frames, how="vertical")
    total = accounts.height
    perm = rng.permutation(total)
    org_perm = rng.permutation(int(accounts["h_org_idx"].max()) + 1)
    accounts = accounts.with_columns(
        pl.Series("account_id", [f"acct_{seed % 1000:03d}{k:07d}" for k in perm]),
        pl.Series("org_id", [f"org_{seed % 1000:03d}{org_perm[o]:06d}" for o in accounts["h_org_idx"]]),
    )
    camp = pl.DataFrame(
        campaigns, schema={"campaign_id": pl.String, "behaviour": pl.String, "start_day": pl.Int64, "end_day": pl.Int64}
    )
    return World(start, days, seed, scale, release_day, accounts, camp, tuple(pops), variant)
