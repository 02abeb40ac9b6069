"""Per-request derivations: normalised template, near-duplicate signature, markers, capability.

Everything here is a Polars expression over the contract's ``requests`` columns; nothing iterates over
requests in Python. Phrasings and normalisation patterns live in ``features/markers.yaml`` (shared by any
engine). The text work runs once per distinct prompt and once per distinct system prompt of a batch, then
joins back: retries, templated jobs and product system prompts repeat text many times a day.
Hashes are Polars' own (stable for a given Polars version, which the lock file pins).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from features.prefilter import prefilter_regex

MARKERS_FILE = Path(__file__).with_name("markers.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    hash_seed: int
    template_head_chars: int
    template_tail_chars: int
    head_chars: int
    tail_chars: int


class Normaliser(_Strict):
    name: str
    pattern: str
    replace: str


class Marker(_Strict):
    why: str
    phrasings: list[str]  # English
    languages: dict[str, list[str]] = {}  # the same intent phrased in other languages, by ISO 639-1 code

    @property
    def pattern(self) -> str:
        return "|".join(self.patterns)

    @property
    def patterns(self) -> list[str]:
        """English, then one regex per language (``marker`` matches each on every prompt).
        One alternation over every language defeats the regex engine's literal search and thrashes its lazy
        DFA (200k corpus prompts, all markers: 0.76 s one regex per language, 1.18 s one for all languages)."""
        return ["|".join(self.phrasings), *("|".join(phrasings) for phrasings in self.languages.values())]


class MarkerSpec(_Strict):
    limits: Limits
    normalisers: list[Normaliser]
    payload_field: str
    signature_word: str
    capabilities: dict[str, list[str]]
    markers: dict[str, Marker]


@lru_cache(maxsize=4)
def load_markers(path: Path = MARKERS_FILE) -> MarkerSpec:
    """The typed contents of ``markers.yaml`` (validated: unknown or missing keys are errors naming the file)."""
    with open(path) as fh:
        data = yaml.safe_load(fh)
    try:
        return MarkerSpec.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from exc


SPEC = load_markers()
HASH_SEED = SPEC.limits.hash_seed
TEMPLATE_HEAD_CHARS = SPEC.limits.template_head_chars
TEMPLATE_TAIL_CHARS = SPEC.limits.template_tail_chars
HEAD_CHARS = SPEC.limits.head_chars
TAIL_CHARS = SPEC.limits.tail_chars
CAPABILITIES = [*SPEC.capabilities, "chat"]
MARKERS: dict[str, str] = {name: m.pattern for name, m in SPEC.markers.items()}
# Literals one of which every match of an other-language phrasing contains (None: no prefilter).
PREFILTER = prefilter_regex([p for m in SPEC.markers.values() for ps in m.languages.values() for p in ps])
TEXT_COLUMNS = ["template_id", "prefix_id", "neardup_sig", "capability", *(f"m_{n}" for n in MARKERS), "prompt_chars"]
SYSTEM_COLUMNS = ["system_prompt_id", "system_template_id"]
DERIVED_ORDER = [
    "template_id",
    "prefix_id",
    "neardup_sig",
    *SYSTEM_COLUMNS,
    "capability",
    *(f"m_{n}" for n in MARKERS),
    "prompt_chars",
]


def _hash(expr: pl.Expr) -> pl.Expr:
    """Signed 64-bit hash, so ids load as BIGINT in DuckDB and Parquet without overflow."""
    return expr.hash(HASH_SEED).reinterpret(signed=True)


def normalise(text: pl.Expr) -> pl.Expr:
    """Template text: payloads, numbers, quotes, code, links and names become placeholders."""
    out = text
    for n in SPEC.normalisers:
        out = out.str.replace_all(n.pattern, n.replace)
    # Collapses whitespace runs like `\s+` -> " ", without rewriting the single spaces between words.
    return out.str.to_lowercase().str.replace_all(r"\s{2,}|[^\S ]", " ").str.strip_chars()


def template_key(normalised: pl.Expr) -> pl.Expr:
    """Head and tail of the normalised text: a wrapper's fixed ends, whatever the payload between."""
    short = normalised.str.len_chars() <= TEMPLATE_HEAD_CHARS + TEMPLATE_TAIL_CHARS
    return (
        pl.when(short)
        .then(normalised)
        .otherwise(
            pl.concat_str(
                [normalised.str.head(TEMPLATE_HEAD_CHARS), pl.lit(" … "), normalised.str.tail(TEMPLATE_TAIL_CHARS)]
            )
        )
    )


def payload_fields(text: pl.Expr) -> pl.Expr:
    """A prompt's labelled fields ("Question: ...") without their labels, joined: a templated job's payload."""
    return text.str.extract_all(SPEC.payload_field).list.eval(pl.element().str.replace(r"^[^:]*:", "")).list.join(" ")


def near_dup_signature(fields: pl.Expr, lower: pl.Expr, k: int = 3) -> pl.Expr:
    """Bottom-k sketch of the payload's words: small paraphrases usually keep the k smallest word hashes.

    The payload is the labelled ``fields`` (``payload_fields``) where they say something, else the whole text
    (``lower``, already lower-cased). Both come in as columns: an expression used twice inside a branch is
    evaluated twice.
    """
    lowered = pl.when(fields.str.len_bytes() > 20).then(fields.str.to_lowercase()).otherwise(lower)
    words = lowered.str.extract_all(SPEC.signature_word)
    smallest = words.list.eval(pl.element().hash(HASH_SEED).unique().sort().head(k))
    return smallest.cast(pl.List(pl.String)).list.join("-").pipe(_hash)


def capability(normalised: pl.Expr) -> pl.Expr:
    expr = pl.lit("chat")
    for cap in reversed(CAPABILITIES[:-1]):
        expr = pl.when(normalised.str.contains("|".join(SPEC.capabilities[cap]))).then(pl.lit(cap)).otherwise(expr)
    return expr


def marker(lower: pl.Expr, m: Marker) -> pl.Expr:
    """Whether any phrasing of ``m``, English or other, matches (null for null text)."""
    return pl.any_horizontal([lower.str.contains(p) for p in m.patterns])


def other_language_markers(texts: pl.LazyFrame) -> pl.LazyFrame:
    """``_row`` and the other-language match of each marker, for the rows of ``texts`` (with ``_lower``) that
    hold a literal of the prefilter; every other row matches no other-language phrasing."""
    candidates = texts if PREFILTER is None else texts.filter(pl.col("_lower").str.contains(PREFILTER))
    return candidates.select(
        "_row",
        **{
            f"_o_{name}": pl.any_horizontal(
                [pl.col("_lower").str.contains("|".join(ps)) for ps in m.languages.values()]
            )
            for name, m in SPEC.markers.items()
        },
    )


def _cut(prompt: pl.Expr) -> pl.Expr:
    """Head and tail bound the per-request cost: wrappers and instructions sit at the ends of a prompt."""
    long = prompt.str.len_chars() > HEAD_CHARS + TAIL_CHARS
    return (
        pl.when(long)
        .then(pl.concat_str([prompt.str.head(HEAD_CHARS), pl.lit("\n"), prompt.str.tail(TAIL_CHARS)]))
        .otherwise(prompt)
    )


def prompt_features(prompts: pl.LazyFrame) -> pl.LazyFrame:
    """Text features of each row of a ``prompt`` column (template, signature, capability, markers).

    Other-language phrasings run only on the prompts that pass the literal prefilter, then join back by row:
    the same values as ``marker`` on every prompt, at a fraction of the cost where most traffic is English.
    """
    texts = (
        prompts.with_row_index("_row")
        .with_columns(_text=_cut(pl.col("prompt")))
        .with_columns(
            _norm=normalise(pl.col("_text")),
            _lower=pl.col("_text").str.to_lowercase(),
            _fields=payload_fields(pl.col("_text")),
        )
    )
    english = {name: pl.col("_lower").str.contains("|".join(m.phrasings)) for name, m in SPEC.markers.items()}
    return (
        texts.select(
            "_row",
            "prompt",
            template_id=template_key(pl.col("_norm")).pipe(_hash),
            prefix_id=pl.col("_norm").str.head(TEMPLATE_HEAD_CHARS).pipe(_hash),
            neardup_sig=near_dup_signature(pl.col("_fields"), pl.col("_lower")),
            capability=capability(pl.col("_norm")),
            **{f"m_{name}": expr for name, expr in english.items()},
            prompt_chars=pl.col("prompt").str.len_chars().cast(pl.Int32),
        )
        .join(other_language_markers(texts), on="_row", how="left", maintain_order="left")
        .select(
            "prompt",
            "template_id",
            "prefix_id",
            "neardup_sig",
            "capability",
            # Kleene OR: a null prompt stays null, an unmatched other language is false.
            **{f"m_{n}": pl.col(f"m_{n}") | pl.col(f"_o_{n}").fill_null(False) for n in SPEC.markers},
            prompt_chars=pl.col("prompt_chars"),
        )
    )


def system_features(systems: pl.LazyFrame) -> pl.LazyFrame:
    present = pl.col("system_prompt").is_not_null()
    return systems.select(
        "system_prompt",
        system_prompt_id=pl.when(present).then(pl.col("system_prompt").pipe(_hash)),
        system_template_id=pl.when(present).then(normalise(pl.col("system_prompt")).pipe(_hash)),
    )


def derive_requests(requests: pl.LazyFrame) -> pl.LazyFrame:
    """Per-request derived columns used by the account-day and coordination stages (one batch of requests).

    Text features are computed once per distinct prompt and system prompt, then joined back in row order.
    """
    keep = [c for c in requests.collect_schema().names() if c not in ("prompt", "system_prompt")]
    texts = prompt_features(requests.select("prompt").unique())
    systems = system_features(requests.select("system_prompt").unique())
    return (
        requests.join(texts, on="prompt", how="left", nulls_equal=True, maintain_order="left")
        .join(systems, on="system_prompt", how="left", nulls_equal=True, maintain_order="left")
        .select(*keep, *DERIVED_ORDER)
    )
