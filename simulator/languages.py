"""Multilingual worlds (simulator variant ``multilingual``): which language each account writes in, and its prompts.

Every account gets a language from the seed (``h_language``, ground truth only). English accounts render the
frames of simulator/text.py; an account writing in another language renders the extraction and everyday
kinds of simulator/phrasings.yaml, with real text in its language from the multilingual corpora when
``--corpus`` is given. The phrasings are written apart from features/markers.yaml, so a world of this variant
measures whether the detector's markers generalise.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from simulator import text

PHRASINGS_FILE = Path(__file__).with_name("phrasings.yaml")
KINDS = ("cot", "rubric", "probe", "lang_coercion", "rewrite", "maxout", "persona", "homework", "everyday")
SLOT_NAMES = ("task", "answer", "topic", "reason_lang", "criteria")
# The simulator's families that an account renders in its own language: (kinds, share with a maxout suffix,
# whether corpus text becomes the {task} payload (True) or the whole prompt (False)). The rest (coding,
# agentic, eval, labeling, synthetic, class starters) keep the product's English formats.
LOCALISED: dict[str, tuple[tuple[str, ...], float, bool]] = {
    "cot": (("cot",), 0.0, True),
    "cot_maxout": (("cot",), 0.7, True),
    "cot_paraphrased": (("cot", "homework"), 0.0, True),
    "rubric": (("rubric",), 0.0, True),
    "probe": (("probe", "lang_coercion"), 0.0, True),
    "rewrite": (("rewrite",), 0.0, True),
    "persona_user": (("persona",), 0.0, True),
    "reasoning_curious": (("homework",), 0.0, True),
    "chat": (("everyday",), 0.0, False),
    "writing": (("everyday",), 0.0, False),
    "math": (("everyday",), 0.0, False),
    "analysis": (("everyday",), 0.0, False),
}
# Corpus files with a `lang` and a `prompt` field: user requests written in (or localised into) each language.
LANGUAGE_CORPORA = (
    "marco_bench_mif_8lang.jsonl",
    "m_ifeval_es_fr_ja.jsonl",
    "korean_chatbot_data_ko.jsonl",
    "crosswoz_zh_user_requests.jsonl",
)


@lru_cache(maxsize=2)
def load_phrasings(path: Path = PHRASINGS_FILE) -> dict:
    """The phrasings file, checked: every language has every kind and slot, shares cover its languages."""
    with open(path) as fh:
        data = yaml.safe_load(fh)
    shares, langs = data.get("shares") or {}, data.get("languages") or {}
    if set(shares) != {"en", *langs}:
        raise ValueError(f"{path}: shares must name en and every language under languages, got {sorted(shares)}")
    if abs(sum(shares.values()) - 1.0) > 1e-9:
        raise ValueError(f"{path}: shares must sum to 1, got {sum(shares.values())}")
    for lang, spec in langs.items():
        missing = [k for k in KINDS if not spec.get(k)] + [s for s in SLOT_NAMES if not spec.get("slots", {}).get(s)]
        if missing:
            raise ValueError(f"{path}: language {lang!r} lacks {', '.join(missing)}")
    return data


def languages() -> tuple[str, ...]:
    """English first, then the other languages in the file's order."""
    return tuple(load_phrasings()["shares"])


def assign(n: int, rng: np.random.Generator) -> np.ndarray:
    """Languages of ``n`` accounts of one population: systematic sampling of the shares, then shuffled, so the
    counts follow the shares to within one account and a population of 13 or more speaks every language."""
    shares = load_phrasings()["shares"]
    codes = np.array(list(shares), dtype=object)
    cum = np.cumsum(list(shares.values()))
    cum[-1] = 1.0
    picks = np.searchsorted(cum, (rng.random() + np.arange(n)) / max(n, 1), side="right")
    return rng.permutation(codes[np.minimum(picks, len(codes) - 1)])


def load_language_corpus(corpus_dir: Path | None) -> dict[str, list[str]]:
    """Real prompts per language (``lang:<code>`` pools) from the multilingual corpora present in ``corpus_dir``."""
    if corpus_dir is None:
        return {}
    wanted = set(languages()) - {"en"}
    pools: dict[str, list[str]] = {}
    for name in LANGUAGE_CORPORA:
        path = Path(corpus_dir) / name
        if not path.exists():
            continue
        with path.open() as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    if row.get("lang") in wanted and row.get("prompt"):
                        pools.setdefault(f"lang:{row['lang']}", []).append(row["prompt"][:4000])
    return pools


def _fill(s: pl.Series, rng: np.random.Generator, slots: dict[str, list[str]]) -> pl.Series:
    """Fill slot markers with per-row random values; slot values may hold markers of their own (second pass)."""
    n = len(s)
    df = pl.DataFrame({"t": s})
    for _ in range(2):
        cols = {
            f"_{k}": pl.Series(v, dtype=pl.String).gather(rng.integers(0, len(v), size=n)) for k, v in slots.items()
        }
        cols["_answer2"] = cols["_answer"].sample(n, shuffle=True, seed=int(rng.integers(1 << 31)))
        for k, (lo, hi) in text.NUMERIC_SLOTS.items():
            cols[f"_{k}"] = pl.Series(rng.integers(lo, hi, size=n)).cast(pl.String)
        expr = pl.col("t")
        for k in cols:
            expr = expr.str.replace_all("{" + k[1:] + "}", pl.col(k), literal=True)
        df = df.with_columns(**cols).select(expr.alias("t"))
    return df["t"]


def _render_local(
    family: str, lang: str, n: int, rng: np.random.Generator, corpus: dict, pick: np.random.Generator | None
) -> pl.Series:
    """``n`` prompts of ``family`` written in ``lang``; ``pick`` narrows to a campaign's own few frames."""
    spec = load_phrasings()["languages"][lang]
    kinds, maxout_p, wrap = LOCALISED[family]
    pool = [f for k in kinds for f in spec[k]]
    if pick is not None:
        pool = [pool[i] for i in pick.choice(len(pool), size=min(len(pool), int(pick.integers(1, 3))), replace=False)]
    s = pl.Series(pool, dtype=pl.String).gather(rng.integers(0, len(pool), size=n))
    real = corpus.get(f"lang:{lang}", [])
    p = text.FAMILIES[family].corpus_p if real else 0.0
    use = pl.Series(rng.random(n) < p)
    if wrap:  # real text becomes the payload of the wrapper
        s = pl.select(pl.when(use).then(s.str.replace_all("{task}", "\x00", literal=True)).otherwise(s)).to_series()
    s = _fill(s, rng, spec["slots"])
    if p:
        r = pl.Series(real, dtype=pl.String).gather(rng.integers(0, len(real), size=n))
        s = pl.select(
            pl.when(use).then(s.str.replace_all("\x00", r, literal=True) if wrap else r).otherwise(s)
        ).to_series()
    if maxout_p:
        suffix = pl.Series(spec["maxout"], dtype=pl.String).gather(rng.integers(0, len(spec["maxout"]), size=n))
        s = pl.select(pl.when(pl.Series(rng.random(n) < maxout_p)).then(s + suffix).otherwise(s)).to_series()
    return s.str.slice(0, 4000)


def render_rows(
    family: str,
    langs: np.ndarray,
    rng: np.random.Generator,
    corpus: dict,
    frames: list[str] | None,
    pick_key: list[int] | None,
) -> pl.Series:
    """Prompts of one family for rows whose accounts write in ``langs`` (row order kept).

    ``frames``: an English campaign's own frames; ``pick_key``: seeds the choice of a campaign's own frames in
    each other language (None: every frame of the kind)."""
    parts, order = [], []
    for li, lang in enumerate(languages()):
        idx = np.flatnonzero(langs == lang)
        if not len(idx):
            continue
        if lang == "en" or family not in LOCALISED:
            parts.append(text.render(family, len(idx), rng, corpus, frames))
        else:
            pick = np.random.default_rng([*pick_key, li]) if pick_key is not None else None
            parts.append(_render_local(family, lang, len(idx), rng, corpus, pick))
        order.append(idx)
    return pl.concat(parts).gather(np.argsort(np.concatenate(order), kind="stable"))
