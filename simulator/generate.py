"""Writes simulated days as the log warehouse lays them out (see CONTRACT.md), plus ground truth.

Generation is vectorised per population and streamed to disk in chunks of at
most ``CHUNK_ROWS`` requests, so peak memory is bounded by the chunk, not the day.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from simulator import languages, text
from simulator.world import FLAT, HOSTING, HUMAN, MODEL_NEW, MODELS_OLD, RESIDENTIAL, WORK, World, build_world

CHUNK_ROWS = 500_000

REQUEST_SCHEMA = pa.schema(
    [
        ("request_id", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("account_id", pa.string()),
        ("org_id", pa.string()),
        ("api_key_id", pa.string()),
        ("ip", pa.string()),
        ("asn", pa.int32()),
        ("country", pa.string()),
        ("user_agent", pa.string()),
        ("model", pa.string()),
        ("endpoint", pa.string()),
        ("input_tokens", pa.int32()),
        ("output_tokens", pa.int32()),
        ("max_tokens", pa.int32()),
        ("thinking_budget", pa.int32()),
        ("system_prompt", pa.string()),
        ("prompt", pa.string()),
        ("status", pa.int16()),
        ("latency_ms", pa.int32()),
    ]
)
ACCOUNT_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("org_id", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("tier", pa.string()),
        ("email_domain", pa.string()),
        ("payment_fingerprint", pa.string()),
        ("signup_ip", pa.string()),
        ("signup_asn", pa.int32()),
        ("country", pa.string()),
        ("verified", pa.bool_()),
    ]
)
LABEL_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("label", pa.int8()),
        ("campaign_id", pa.string()),
        ("confirmed_at", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
    ]
)
ALLOWLIST_SCHEMA = pa.schema(
    [("org_id", pa.string()), ("reason", pa.string()), ("expires_at", pa.timestamp("us", tz="UTC"))]
)
TRUTH_SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("account_id", pa.string()),
        ("org_id", pa.string()),
        ("is_attack", pa.bool_()),
        ("campaign_id", pa.string()),
        ("behaviour", pa.string()),
        ("population", pa.string()),
        ("requests", pa.int64()),
    ]
)
AGENT_SYSTEM = "You are a coding agent running in the user's terminal. Use the tools provided. Be concise."


def _write(df: pl.DataFrame, schema: pa.Schema, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = df.select(schema.names).to_arrow().cast(schema)
    pq.write_table(table, path, compression="zstd", row_group_size=256_000)


def _cat(*parts) -> pl.Series:
    return pl.select(pl.concat_str(list(parts))).to_series()


def _day_start(world: World, d: int) -> datetime:
    s = world.start + timedelta(days=d)
    return datetime(s.year, s.month, s.day, tzinfo=UTC)


def _hours(profile: str, n: int, tz: np.ndarray, rng, sync_windows: np.ndarray) -> np.ndarray:
    """Seconds after UTC midnight for ``n`` requests under a timing profile."""
    if profile in ("human", "work", "flat"):
        w = {"human": HUMAN, "work": WORK, "flat": FLAT}[profile]
        local = rng.choice(24, size=n, p=w / w.sum())
        hour = (local - tz) % 24
        return hour * 3600 + rng.integers(0, 3600, size=n)
    if profile == "sync":
        # Coordinated pools fire in the same short windows across accounts.
        win = sync_windows[rng.integers(0, len(sync_windows), size=n)]
        return (win * 3600 + rng.integers(0, 2400, size=n)) % 86400
    raise ValueError(profile)


# One population-day's requests column by column; the columns depend on each other and on one random stream.
def _requests_for(
    world: World, d: int, pop_i: int, acc: pl.DataFrame, counts: np.ndarray, chunk: int, corpus: dict, seq0: int
) -> pl.DataFrame:
    pop = world.pops[pop_i]
    rng = np.random.default_rng([world.seed, 2, d, pop_i, chunk])
    n = int(counts.sum())
    ai = np.repeat(np.arange(acc.height), counts)
    a = acc.select(pl.all().gather(ai))
    day0 = _day_start(world, d)

    # Timing.
    if pop.timing == "burst":
        # Each account-day works in one window of a few hours.
        start_h = rng.integers(0, 20, size=acc.height)[ai]
        secs = (start_h * 3600 + rng.integers(0, 3 * 3600, size=n)) % 86400
    else:
        wrng = np.random.default_rng([world.seed, 4, d, pop_i])
        secs = _hours(pop.timing, n, a["h_tz"].to_numpy(), rng, wrng.integers(0, 24, size=3))
    ts = pl.Series(
        np.datetime64(day0.replace(tzinfo=None), "us")
        + (secs * 1_000_000 + rng.integers(0, 1_000_000, size=n)).astype("timedelta64[us]")
    )

    # Content: families by the population's mix; a campaign sticks to a few of its own frames.
    fams = list(pop.families)
    fw = np.array([pop.families[f] for f in fams])
    fam_i = rng.choice(len(fams), size=n, p=fw / fw.sum())
    prompt = pl.Series("prompt", [None] * n, dtype=pl.String)
    frng = np.random.default_rng([world.seed, 5, pop_i])
    parts, order = [], []
    for k, fam in enumerate(fams):
        idx = np.flatnonzero(fam_i == k)
        if not len(idx):
            continue
        frames = None
        if pop.attack or pop.templated or pop.name in ("labeling_pipeline", "eval_harness", "synthetic_contract"):
            pool = list(text.FAMILIES[fam].frames)
            frames = [
                pool[i] for i in frng.choice(len(pool), size=min(len(pool), int(frng.integers(1, 3))), replace=False)
            ]
        if world.variant == "multilingual":
            pick = [world.seed, 13, pop_i, k] if frames is not None else None
            parts.append(languages.render_rows(fam, a["h_language"].to_numpy()[idx], rng, corpus, frames, pick))
        else:
            parts.append(text.render(fam, len(idx), rng, corpus, frames))
        order.append(idx)
    if parts:
        prompt = pl.concat(parts).gather(np.argsort(np.concatenate(order), kind="stable"))

    if pop.system == "persona":
        system = text.system_prompts(n, rng, "persona")
    elif pop.system == "org":
        system = _cat(
            pl.lit("You are the assistant in the internal tools of "),
            a["org_id"],
            pl.lit(". Answer concisely and cite the source document."),
        )
    else:
        system = pl.Series([None] * n, dtype=pl.String)
    use_sys = rng.random(n) < pop.system_p
    agentic = np.array(fams, dtype=object)[fam_i] == "agentic"
    system = (
        pl.select(
            pl.when(pl.Series(use_sys))
            .then(system)
            .when(pl.Series(agentic & (rng.random(n) < 0.8)))
            .then(pl.lit(AGENT_SYSTEM))
            .otherwise(None)
        ).to_series()
        if n
        else system
    )

    # Models: a release moves legitimate users gradually, release chasers and evals at once.
    k = d - world.release_day
    if pop.models == "new" and k >= 0:
        p_new = 1.0
    elif pop.models == "chaser" and k >= 0:
        p_new = 0.5 if k == 0 else 0.6
    else:
        p_new = 0.0 if k < 0 else min(0.45, 0.06 + 0.05 * k)
    model = np.where(rng.random(n) < p_new, MODEL_NEW, np.where(rng.random(n) < 0.7, MODELS_OLD[0], MODELS_OLD[1]))

    # Tokens, budgets, statuses.
    max_tok = np.array(pop.max_tokens)[rng.integers(0, len(pop.max_tokens), size=n)]
    near = rng.random(n) < pop.out_near_max
    out = np.minimum(max_tok - 1, rng.lognormal(np.log(pop.out_mean) - 0.32, 0.8, size=n)).astype(np.int64)
    out = np.where(near, (max_tok * rng.uniform(0.97, 1.0, size=n)).astype(np.int64), np.maximum(out, 1))
    think = np.where(
        rng.random(n) < pop.thinking,
        np.minimum(np.array(pop.budgets)[rng.integers(0, len(pop.budgets), size=n)], max_tok - 1),
        -1,
    )
    think = np.where(think >= 1024, think, -1)
    p400 = pop.error_400
    if pop.name == "technique_prober":
        # Probing days fail often; afterwards the winning phrasing is scaled up.
        p400 = 0.4 if d - int(acc["h_first"].min()) < 2 else 0.05
    per_acct = counts[ai]
    p429 = np.minimum(0.25, per_acct / 40_000.0) + 0.01
    u = rng.random(n)
    status = np.where(u < p400, 400, np.where(u < p400 + p429, 429, np.where(u < p400 + p429 + 0.004, 529, 200)))
    out = np.where(status == 200, out, 0)
    latency = np.where(status == 200, 250 + out * rng.uniform(8, 20, size=n), rng.integers(20, 400, size=n)).astype(
        np.int64
    )

    # Network: proxies spread requests over shared pools; others keep a few addresses of their own.
    if pop.proxies:
        pool = RESIDENTIAL + HOSTING
        pi = rng.integers(0, len(pool), size=n)
        asn = np.array([p[0] for p in pool])[pi]
        prefix = pl.Series(np.array([p[1] for p in pool])[pi])
        country = pl.Series(np.array([p[2] for p in pool])[pi])
    else:
        asn = a["signup_asn"].to_numpy()
        prefix = a["h_prefix"]
        country = a["country"].fill_null("US")
    acct_octet = (np.abs(a["h_index"].to_numpy() * 2654435761 + pop_i * 97) % 250).astype(np.int64)
    host_spread = np.where(a["h_hosting"].to_numpy(), rng.integers(0, 8, size=n), rng.integers(0, 2, size=n))
    oct3 = pl.Series(((acct_octet + host_spread) % 256).astype(str))
    oct4 = pl.Series(((acct_octet * 7 + host_spread) % 254 + 1).astype(str))
    oct2 = pl.Series(((acct_octet * 13) % 256).astype(str))
    ipv4 = pl.DataFrame({"p": prefix, "a": oct2, "b": oct3, "c": oct4}).select(
        pl.when(pl.col("p").str.count_matches(r"\.") == 1)
        .then(pl.concat_str(["p", "a", pl.lit("."), "b", pl.lit("."), "c"]))
        .otherwise(pl.concat_str(["p", "b", pl.lit("."), "c"]))
    )
    ipv6 = _cat(
        pl.lit("2001:db8:"),
        pl.Series((acct_octet * 31 + pop_i) % 9999).cast(pl.String),
        pl.lit("::"),
        pl.Series(host_spread + 1).cast(pl.String),
    )
    ip = pl.select(pl.when(pl.Series(rng.random(n) < pop.ipv6)).then(ipv6).otherwise(ipv4.to_series())).to_series()

    key = _cat(
        a["account_id"],
        pl.lit("-key"),
        pl.Series(rng.integers(0, 1 << 30, size=n) % a["h_keys"].to_numpy()).cast(pl.String),
    )
    req_id = _cat(
        pl.lit(f"req-{(world.start + timedelta(days=d)).isoformat()}-"),
        pl.Series(np.arange(seq0, seq0 + n)).cast(pl.String).str.zfill(10),
    )
    df = pl.DataFrame(
        {
            "request_id": req_id,
            "ts": ts.dt.replace_time_zone("UTC"),
            "account_id": a["account_id"],
            "org_id": a["org_id"],
            "api_key_id": key,
            "ip": ip,
            "asn": asn.astype(np.int32),
            "country": country,
            "user_agent": a["h_ua"],
            "model": model,
            "endpoint": np.where(rng.random(n) < pop.batch, "batch", "messages"),
            "max_tokens": max_tok.astype(np.int32),
            "output_tokens": out.astype(np.int32),
            "thinking_budget": pl.Series(think).replace(-1, None).cast(pl.Int32),
            "system_prompt": system,
            "prompt": prompt,
            "status": status.astype(np.int16),
            "latency_ms": latency.astype(np.int32),
            "_ctx": rng.lognormal(4.5, 1.2, size=n).astype(np.int64),
        }
    )
    return df.with_columns(
        input_tokens=(
            pl.col("prompt").str.len_chars() // 4
            + pl.col("system_prompt").str.len_chars().fill_null(0) // 4
            + pl.col("_ctx")
            + 8
        ).cast(pl.Int32),
    ).drop("_ctx")


def _day_counts(world: World, d: int) -> pl.DataFrame:
    """Requests per account for day ``d`` (0 for inactive accounts)."""
    rng = np.random.default_rng([world.seed, 3, d])
    acc = world.accounts
    weekday = (world.start + timedelta(days=d)).weekday()
    pops = world.pops
    p_active = np.array([p.p_active for p in pops])[acc["h_pop_idx"].to_numpy()]
    weekend = np.array([p.weekend for p in pops])[acc["h_pop_idx"].to_numpy()] if weekday >= 5 else 1.0
    in_window = (acc["h_first"].to_numpy() <= d) & (acc["h_last"].to_numpy() >= d)
    active = in_window & (rng.random(acc.height) < p_active)
    lam = acc["h_rate"].to_numpy() * weekend * rng.lognormal(-0.045, 0.3, size=acc.height)
    ramp = acc["h_population"].to_numpy() == "enterprise_ramp"
    lam = np.where(ramp, lam * (1 + 0.15 * np.maximum(0, d - acc["h_first"].to_numpy())), lam)
    prober = acc["h_population"].to_numpy() == "technique_prober"
    lam = np.where(prober & (d - acc["h_first"].to_numpy() >= 2), lam * 3, lam)
    counts = np.where(active, rng.poisson(lam), 0)
    return acc.with_columns(pl.Series("n", counts))


def write_day(world: World, d: int, out: Path, corpus: dict) -> int:
    """Write one day's requests, accounts snapshot, ground truth and ``_SUCCESS``; returns request count."""
    day = world.start + timedelta(days=d)
    part = f"date={day.isoformat()}"
    req_dir = out / "requests" / part
    if req_dir.exists():
        shutil.rmtree(req_dir)
    counted = _day_counts(world, d).filter(pl.col("n") > 0)
    seq, file_no = 0, 0
    for pop_i in range(len(world.pops)):
        acc = counted.filter(pl.col("h_pop_idx") == pop_i)
        if acc.is_empty():
            continue
        counts = acc["n"].to_numpy()
        bounds = np.searchsorted(
            np.cumsum(counts), np.arange(CHUNK_ROWS, counts.sum() + CHUNK_ROWS, CHUNK_ROWS), side="right"
        )
        lo = 0
        for chunk, hi in enumerate(np.unique(np.append(bounds, len(counts)))):
            hi = max(int(hi), lo + 1)
            if lo >= len(counts):
                break
            df = _requests_for(world, d, pop_i, acc.slice(lo, hi - lo), counts[lo:hi], chunk, corpus, seq)
            seq += df.height
            _write(df.sort("ts", "request_id"), REQUEST_SCHEMA, req_dir / f"part-{file_no:05d}.parquet")
            file_no += 1
            lo = hi
    day_end = _day_start(world, d) + timedelta(days=1)
    snapshot = world.accounts.filter(pl.col("created_at") < day_end).sort("account_id")
    _write(snapshot, ACCOUNT_SCHEMA, out / "accounts" / part / "part-00000.parquet")
    truth = counted.select(
        pl.lit(day).alias("date"),
        "account_id",
        "org_id",
        pl.col("h_attack").alias("is_attack"),
        pl.col("h_campaign_id").alias("campaign_id"),
        pl.when(pl.col("h_attack")).then(pl.col("h_population")).alias("behaviour"),
        pl.col("h_population").alias("population"),
        pl.col("n").cast(pl.Int64).alias("requests"),
    ).sort("account_id")
    _write(truth, TRUTH_SCHEMA, out / "_truth" / "account_days" / part / "part-00000.parquet")
    for sub in ("requests", "accounts"):
        (out / sub / part).mkdir(parents=True, exist_ok=True)
        (out / sub / part / "_SUCCESS").touch()
    return seq


# The review process in order (who is reviewed, when, with what delay and error) over one per-account frame.
def write_labels(world: World, out: Path) -> pl.DataFrame:
    """Reviewer labels: partial and delayed for campaigns, some benign reviews, none in the final days."""
    rng = np.random.default_rng([world.seed, 6])
    acc = world.accounts
    last_label_day = world.days - 4
    rows = []
    for c in world.campaigns.iter_rows(named=True):
        confirm = c["start_day"] + int(rng.integers(3, 7))
        if confirm > last_label_day:
            continue
        members = acc.filter((pl.col("h_campaign_id") == c["campaign_id"]) & (pl.col("h_first") < confirm))
        take = members.sample(fraction=float(rng.uniform(0.3, 0.6)), seed=int(rng.integers(1 << 31)))
        for aid in take["account_id"].sort():
            rows.append((aid, 1, c["campaign_id"], confirm, "incident_review"))
    reviewed = {
        "casual_chat": 0.01,
        "developer": 0.05,
        "enterprise_app": 0.05,
        "aggregator": 0.5,
        "reasoning_curious": 0.2,
        "labeling_pipeline": 0.5,
        "eval_harness": 0.3,
        "synthetic_contract": 0.5,
        "class_hackathon": 0.2,
        "enterprise_ramp": 0.1,
        # Look-alikes of the evaluation worlds (absent from the base sample, so its labels are unchanged).
        "enterprise_rollout": 0.05,
        "judge_pipeline": 0.5,
        "tutoring_service": 0.3,
        "release_day_eval": 0.3,
        "security_redteam": 0.5,
        "localisation_vendor": 0.5,
        "reasoning_researcher": 0.1,
        "privacy_relay_user": 0.1,
    }
    legit = acc.filter(~pl.col("h_attack"))
    for pop, frac in reviewed.items():
        members = legit.filter((pl.col("h_population") == pop) & (pl.col("h_first") <= last_label_day - 1))
        if members.is_empty():
            continue
        take = members.sample(fraction=frac, seed=int(rng.integers(1 << 31)))
        for aid, first in take.select("account_id", "h_first").sort("account_id").iter_rows():
            lo = max(first + 1, 1)
            if lo > last_label_day:
                continue
            rows.append(
                (
                    aid,
                    0,
                    None,
                    int(rng.integers(lo, last_label_day + 1)),
                    "appeal" if rng.random() < 0.3 else "incident_review",
                )
            )
    labels = pl.DataFrame(
        rows,
        orient="row",
        schema={
            "account_id": pl.String,
            "label": pl.Int8,
            "campaign_id": pl.String,
            "day": pl.Int64,
            "source": pl.String,
        },
    ).with_columns(confirmed_at=pl.lit(_day_start(world, 0)) + pl.duration(days=pl.col("day"), hours=15))
    labels_dir = out / "labels"
    if labels_dir.exists():
        shutil.rmtree(labels_dir)
    for day in sorted(labels["day"].unique()):
        part = labels.filter(pl.col("day") == day).sort("account_id")
        stamp = (world.start + timedelta(days=int(day))).isoformat()
        _write(part, LABEL_SCHEMA, labels_dir / f"reviews_{stamp}.parquet")
    return labels


def write_allowlist(world: World, out: Path) -> pl.DataFrame:
    acc = world.accounts
    synth = acc.filter(pl.col("h_population") == "synthetic_contract")["org_id"].unique().sort()
    evals = acc.filter(pl.col("h_population") == "eval_harness")["org_id"].unique().sort().head(1)
    far = _day_start(world, world.days + 365)
    allow = pl.DataFrame(
        {
            "org_id": synth.to_list() + evals.to_list(),
            "reason": ["synthetic data generation under contract"] * len(synth)
            + ["model evaluation partner"] * len(evals),
            "expires_at": [None] * len(synth) + [far] * len(evals),
        },
        schema={"org_id": pl.String, "reason": pl.String, "expires_at": pl.Datetime("us", "UTC")},
    )
    _write(allow, ALLOWLIST_SCHEMA, out / "allowlist" / "allowlist.parquet")
    return allow


def write_releases(world: World, out: Path) -> pl.DataFrame:
    """The model-release calendar (optional input table): the old models long before, the new one on release day."""
    rel = pl.DataFrame(
        {
            "model": [*MODELS_OLD, MODEL_NEW],
            "released_at": [_day_start(world, -400), _day_start(world, -200), _day_start(world, world.release_day)],
        },
        schema={"model": pl.String, "released_at": pl.Datetime("us", "UTC")},
    )
    schema = pa.schema([("model", pa.string()), ("released_at", pa.timestamp("us", tz="UTC"))])
    _write(rel, schema, out / "releases" / "releases.parquet")
    return rel


# The CLI entry: the world, then each day's partitions, labels, allowlist, releases and truth, written in order.
def simulate(
    out: Path,
    start: date,
    days: int,
    scale: float,
    seed: int,
    corpus_dir: Path | None = None,
    progress: bool = True,
    variant: str = "base",
) -> dict:
    """Generate ``days`` days of traffic into ``out``; returns a small summary.

    ``variant="wide"`` builds an evaluation world: legitimate look-alikes of every campaign type, randomised
    per seed, and the release calendar; ``"multilingual"`` is that world with every account writing in its own
    language (the truth accounts table gains ``language``); ``"base"`` is the world of the bundled sample.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(start, days, seed, scale, variant)
    corpus = text.load_corpus(corpus_dir)
    if variant == "multilingual":
        corpus.update(languages.load_language_corpus(corpus_dir))
    total = 0
    for d in tqdm(range(days), desc="simulating days", unit="day", disable=not progress):
        total += write_day(world, d, out, corpus)
    labels = write_labels(world, out)
    write_allowlist(world, out)
    if variant in ("wide", "multilingual"):
        write_releases(world, out)
    _write(
        world.campaigns.with_columns(
            start_date=pl.lit(start) + pl.duration(days=pl.col("start_day")),
            end_date=pl.lit(start) + pl.duration(days=pl.col("end_day")),
        ),
        pa.schema(
            [
                ("campaign_id", pa.string()),
                ("behaviour", pa.string()),
                ("start_date", pa.date32()),
                ("end_date", pa.date32()),
            ]
        ),
        out / "_truth" / "campaigns.parquet",
    )
    truth_schema = pa.schema(
        [
            ("account_id", pa.string()),
            ("org_id", pa.string()),
            ("population", pa.string()),
            ("is_attack", pa.bool_()),
            ("campaign_id", pa.string()),
        ]
    )
    if variant == "multilingual":  # the other worlds' truth files stay as they were
        truth_schema = truth_schema.append(pa.field("language", pa.string()))
    _write(
        world.accounts.select(
            "account_id",
            "org_id",
            pl.col("h_population").alias("population"),
            pl.col("h_attack").alias("is_attack"),
            pl.col("h_campaign_id").alias("campaign_id"),
            pl.col("h_language").alias("language"),
        ).sort("account_id"),
        truth_schema,
        out / "_truth" / "accounts.parquet",
    )
    return {
        "requests": total,
        "accounts": world.accounts.height,
        "labels": labels.height,
        "campaigns": world.campaigns.height,
        "release_date": (start + timedelta(days=world.release_day)).isoformat(),
    }
