"""API-like prompt lengths for benchmark days: a benchmark option, never part of the simulator's sample.

The simulator writes short, regular prompts. Real API traffic has a median of several hundred characters and a
long tail of multi-KB prompts: pasted code, pasted documents, earlier conversation turns, and product system
prompts. ``apply`` rewrites a simulated day's request files in place with that shape, drawing the added text
from the public corpora, vectorised (no Python per request) and seeded, so a benchmark day is reproducible.
Prompts stay within the contract's limits (4,000 characters; system prompts 2,000).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

PROMPT_MAX, SYSTEM_MAX = 4000, 2000
# Share of requests that get each addition (measured shapes of chat-API logs are similar in kind, not calibrated).
HISTORY_P, CODE_P, DOCUMENT_P, SYSTEM_P = 0.20, 0.07, 0.05, 0.45
PRODUCT_SYSTEM_PROMPTS = 60


def _jsonl(folder: Path, name: str, field: str) -> list:
    path = folder / name
    if not path.exists():
        return []
    return [json.loads(line)[field] for line in path.open() if line.strip()]


def pools(corpus: Path) -> dict[str, list[str]]:
    """Text pools from the corpora: chat turns, source files, long documents and multilingual prompts."""
    chat = _jsonl(corpus, "arena_hard_v0_1.jsonl", "prompt") + [
        t for r in _jsonl(corpus, "mt_bench.jsonl", "turns") for t in r
    ]
    chat += _jsonl(corpus, "gsm8k_test.jsonl", "question") + _jsonl(corpus, "marco_bench_mif_8lang.jsonl", "prompt")
    code = _jsonl(corpus, "source_code_files.jsonl", "code") + _jsonl(corpus, "humaneval.jsonl", "prompt")
    docs = _jsonl(corpus, "long_documents_en.jsonl", "text")
    if not (chat and code and docs):
        raise FileNotFoundError(f"{corpus}: the API text profile needs the chat, code and document corpora")
    return {"chat": chat, "code": code, "docs": docs}


def _system_prompts(p: dict[str, list[str]], rng: np.random.Generator) -> list[str]:
    """Fixed product system prompts of 300-2,000 characters (one per product, reused by its accounts)."""
    out = []
    for i in range(PRODUCT_SYSTEM_PROMPTS):
        body = " ".join(p["chat"][j] for j in rng.integers(0, len(p["chat"]), size=3))
        out.append(
            f"You are the assistant of product {i}. Follow these rules and examples.\n{body}"[
                : int(rng.integers(300, SYSTEM_MAX))
            ]
        )
    return out


def _pick(pool: list[str], idx: np.ndarray) -> pl.Series:
    return pl.Series(pool, dtype=pl.String).gather(idx)


def reshape(frame: pl.DataFrame, p: dict[str, list[str]], systems: list[str], rng: np.random.Generator) -> pl.DataFrame:
    n = frame.height
    hist = pl.concat_str(
        [
            pl.lit("Earlier in this conversation:\nUser: "),
            _pick(p["chat"], rng.integers(0, len(p["chat"]), n)),
            pl.lit("\nUser: "),
            _pick(p["chat"], rng.integers(0, len(p["chat"]), n)),
            pl.lit("\n\n"),
        ]
    )
    code = pl.concat_str([pl.lit("\n```\n"), _pick(p["code"], rng.integers(0, len(p["code"]), n)), pl.lit("\n```\n")])
    doc = pl.concat_str(
        [pl.lit("Context document:\n"), _pick(p["docs"], rng.integers(0, len(p["docs"]), n)), pl.lit("\n\n")]
    )
    u = rng.random((4, n))
    # A product's system prompt follows the account, as one integration serves many requests.
    sys_idx = frame["account_id"].hash(7) % len(systems)
    return frame.with_columns(
        prompt=pl.concat_str(
            [
                pl.when(pl.Series(u[0] < HISTORY_P)).then(hist).otherwise(pl.lit("")),
                pl.when(pl.Series(u[2] < DOCUMENT_P)).then(doc).otherwise(pl.lit("")),
                pl.col("prompt"),
                pl.when(pl.Series(u[1] < CODE_P)).then(code).otherwise(pl.lit("")),
            ]
        ).str.head(PROMPT_MAX),
        system_prompt=pl.when(pl.col("system_prompt").is_null() & pl.Series(u[3] < SYSTEM_P))
        .then(pl.Series(systems, dtype=pl.String).gather(sys_idx))
        .otherwise(pl.col("system_prompt")),
    )


def apply(request_dir: Path, corpus: Path, seed: int = 5) -> dict:
    """Rewrite every request file under ``request_dir`` with API-like prompt lengths; returns length stats."""
    p = pools(Path(corpus))
    rng = np.random.default_rng(seed)
    systems = _system_prompts(p, rng)
    for path in sorted(Path(request_dir).glob("part-*.parquet")):
        table = pq.read_table(path)
        frame = reshape(pl.from_arrow(table), p, systems, rng)
        pq.write_table(frame.to_arrow().cast(table.schema), path, compression="zstd", row_group_size=256_000)
    lengths = (
        pl.scan_parquet(str(Path(request_dir) / "part-*.parquet"))
        .select(
            median=pl.col("prompt").str.len_chars().median(),
            p90=pl.col("prompt").str.len_chars().quantile(0.9),
            mean=pl.col("prompt").str.len_chars().mean(),
            system_share=pl.col("system_prompt").is_not_null().mean(),
            prompt_mb=pl.col("prompt").str.len_bytes().cast(pl.Int64).sum() / 1e6,
        )
        .collect()
        .row(0, named=True)
    )
    return {k: round(float(v), 3) for k, v in lengths.items()}
