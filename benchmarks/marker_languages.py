"""How far the content markers generalise across languages, and what they cost per request.

Rates: the share of 2,000 simulated prompts of each extraction family (and of homework helpers asking for the
steps) that the real derivations mark, per language, printed relative to English's share (the measurement of
tests/test_simulator_multilingual.py, as one table). Only rates are printed, never the simulated text: the
simulator's phrasings are written apart from the markers so that this stays a measurement.

Timing: ``derive_requests`` on about 200k prompts built from the public corpora (median of three runs).

    PYTHONPATH=$PWD .venv/bin/python -m benchmarks.marker_languages [--timing] [--corpora DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

import numpy as np
import polars as pl

from features.derivations import derive_requests, prompt_features
from simulator import languages

MULTILINGUAL = [
    "marco_bench_mif_8lang.jsonl",
    "m_ifeval_es_fr_ja.jsonl",
    "korean_chatbot_data_ko.jsonl",
    "crosswoz_zh_user_requests.jsonl",
]
NON_LATIN = re.compile("[ぁ-ヿ㐀-鿿가-힣а-яё]", re.IGNORECASE)
# (row label, simulator family, marker column): the checks of tests/test_simulator_multilingual.py.
CHECKS = [
    ("cot", "cot", "m_cot"),
    ("maxout", "cot_maxout", "m_maxout"),
    ("rubric", "rubric", "m_rubric"),
    ("probe", "probe", "m_probe"),
    ("rewrite", "rewrite", "m_rewrite"),
    ("lang_coercion", "probe", "m_lang_coercion"),
    ("persona", "persona_user", "m_cot"),
    ("homework", "reasoning_curious", "m_cot"),
]


def share(family: str, lang: str, marker: str, n: int = 2000) -> float:
    prompts = languages.render_rows(family, np.full(n, lang, dtype=object), np.random.default_rng(5), {}, None, None)
    return float(prompt_features(pl.DataFrame({"prompt": prompts}).lazy()).collect()[marker].mean())


def _prompts(path: Path) -> list[str]:
    return [json.loads(line)["prompt"] for line in path.open()] if path.exists() else []


def rate_table(absolute: bool = False) -> list[str]:
    """Per kind, English's share and each other language's share (or its ratio to English's)."""
    langs = [lang for lang in languages.languages() if lang != "en"]
    lines = ["| kind | en share | " + " | ".join(langs) + " |", "|---|---|" + "---|" * len(langs)]
    for label, family, marker in CHECKS:
        english = share(family, "en", marker)
        other = [share(family, lang, marker) for lang in langs]
        shown = other if absolute else [s / english if english else float("nan") for s in other]
        lines.append(f"| {label} | {english:.2f} | " + " | ".join(f"{r:.2f}" for r in shown) + " |")
    return lines


def corpus_prompts(corpora: Path, n: int = 200_000, english: bool = False) -> pl.DataFrame:
    """``n`` distinct prompts: every corpus text (or only those with no Han, kana, Hangul or Cyrillic letter and
    not from the multilingual corpora), repeated with a numbered suffix so none is deduplicated."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from test_feature_equivalence import corpus_texts

    texts = corpus_texts(corpora)
    if english:
        multilingual = {t for name in MULTILINGUAL for t in _prompts(corpora / name)}
        texts = [t for t in texts if t not in multilingual and not NON_LATIN.search(t)]
    rows = [f"{texts[i % len(texts)]} ({i // len(texts)})" for i in range(n)]
    return pl.DataFrame(
        {"prompt": rows, "system_prompt": [None] * n}, schema={"prompt": pl.String, "system_prompt": pl.String}
    )


def timing(corpora: Path, runs: int = 3, english: bool = False) -> float:
    frame = corpus_prompts(corpora, english=english)
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        derive_requests(frame.lazy()).collect()
        took.append(time.perf_counter() - start)
    return statistics.median(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timing", action="store_true", help="time derive_requests on ~200k corpus prompts")
    parser.add_argument("--english", action="store_true", help="time on the English corpora only")
    parser.add_argument("--absolute", action="store_true", help="print shares, not ratios to English")
    parser.add_argument("--no-rates", action="store_true")
    parser.add_argument("--corpora", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpora")
    args = parser.parse_args()
    if not args.no_rates:
        print("\n".join(rate_table(args.absolute)))
    if args.timing:
        which = "English corpus" if args.english else "corpus"
        print(f"derive_requests, 200k {which} prompts, median of 3: {timing(args.corpora, english=args.english):.2f} s")


if __name__ == "__main__":
    main()
