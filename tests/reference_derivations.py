"""Frozen copy of features/derivations.py as of commit 091b88a: the reference the lean stage must match.

Kept only in tests. Do not edit to follow a change in features/; a deliberate feature change updates this
copy and the frozen digests in test_feature_equivalence.py in the same commit.
"""
from __future__ import annotations

import polars as pl

HASH_SEED = 20260301
TEMPLATE_HEAD_CHARS = 64
TEMPLATE_TAIL_CHARS = 40
HEAD_CHARS = 600
TAIL_CHARS = 300

# Ordered: code and links go first so their contents do not produce number or name placeholders.
_NORMALISERS: list[tuple[str, str]] = [
    (r"(?s)```.*?(```|$)", " <code> "),
    (r"https?://\S+|www\.\S+", " <url> "),
    (r"[\w.+-]+@[\w-]+\.[\w.]+", " <email> "),
    # A labelled field ("Question: ...", "Message: ...") carries the payload of a templated job.
    (r"(?m)^([A-Za-z]+(?: [A-Za-z]+){0,2}):[ \t]*\S[^\n]*", "$1: <span>"),
    (r"\"[^\"\n]{1,300}\"|'[^'\n]{3,300}'|`[^`\n]{1,300}`", " <q> "),
    # Capitalised words after a lower-case word are names or proper nouns.
    (r"([a-z,;] )[A-Z][\w'-]+", "$1<name>"),
    (r"\d+(?:[.,:]\d+)*", "<n>"),
]

CAPABILITIES = ["agentic", "coding", "math", "writing", "analysis", "chat"]
_CAPABILITY_PATTERNS = {
    "agentic": r"\btool(s| call|_call)?\b|run_shell|read_file|\brepository\b|<task>|\bagent\b|trajector|\bcodebase\b|tool result",
    "coding": r"<code>|\bdef |\bfunction\b|\bcode\b|\bpython\b|javascript|typescript|\bsql\b|\bbug\b|\berror\b|\bcompile|\.py\b|\.js\b|\bregex|\bapi\b|\bclass\b|\bscript\b",
    "math": r"\bsolve\b|equation|integra|derivative|probability|\bprime\b|how many|how much|percent|\bproof\b|\bprove\b|<n> ?[-+*/x^=] ?<n>|\bmath",
    "writing": r"\bwrite\b|\bdraft\b|rewrite|\bpoem|\bstory\b|\bessay|\bletter\b|\bemail\b|\bblog|paraphras|proofread|\btweet|\bspeech\b|lyrics",
    "analysis": r"analy[sz]|summari[sz]|\bcompare|classif|\bextract|\bevaluat|\bassess|sentiment|\bswot\b|\bkpis?\b|\breport\b|\blabel|\bintent\b|categor",
}

# Markers are matched on lower-cased raw text.
MARKERS: dict[str, str] = {
    # Chain-of-thought elicitation: asks for the reasoning itself, not for an answer.
    "cot": (
        r"chain[- ]of[- ]thought|thought process|thinking process|internal monologue"
        r"|(internal|hidden|inner|underlying|intermediate|private) (reasoning|thinking|thoughts|steps)"
        r"|reasoning (behind|that (leads|led|produced))"
        r"|(articulate|reconstruct|spell out|write out|lay out|walk me through|show) (me )?(your |the |every |each |all )?(\w+ ){0,2}(reasoning|thinking|thoughts|steps)"
        r"|(think|reason)( it| this)? (through )?step[- ]by[- ]step|step[- ]by[- ]step (reasoning|thinking|thought)"
    ),
    # The model used as a reward model or judge.
    "rubric": (
        r"\brubric|\bgrader\b|(score|rate|grade|judge) (the|this|each|both|these|which) (response|answer|output|completion)s?"
        r"|which (of the two )?(responses?|answers?) is better|per[- ]criterion|on a (scale of )?\d+ ?(-|to) ?\d+ scale|\bresponse a\b"
    ),
    # Coercing the language the reasoning is written in.
    "lang_coercion": (
        r"(think|reason|reasoning|thoughts?|monologue)\b[^.\n]{0,40}\bin (english|chinese|mandarin|russian|french|spanish|german|japanese|korean)\b"
        r"|respond only in (english|chinese|mandarin|russian|french|spanish|german|japanese|korean)"
    ),
    # Instructions that push the output to its maximum length.
    "maxout": (
        r"(long|detailed|verbose|lengthy) as possible|at least \d[\d,]* (words|tokens)|maximum length|do not (abbreviate|truncate|summari[sz]e)"
        r"|longer is better|in full detail|without skipping|every detail"
    ),
    # Harvesting censorship-safe rewrites of answers on sensitive topics.
    "rewrite": (
        r"censorship[- ]safe|politically sensitive|pass (strict )?content review|acceptable to regulators"
        r"|disputed territor|remov(e|ing) references to (officials|protests)"
    ),
    # Attempts to extract hidden reasoning or the system prompt.
    "probe": (
        r"system prompt|ignore (all |any )?(previous|prior) instructions|<thinking>|reasoning tokens"
        r"|(reveal|dump|leak|expose|print|repeat)( verbatim)? (your |the )?(hidden |internal |exact )?(reasoning|thinking|thoughts|instructions|chain)"
    ),
}


def _hash(expr: pl.Expr) -> pl.Expr:
    """Signed 64-bit hash, so ids load as BIGINT in DuckDB and Parquet without overflow."""
    return expr.hash(HASH_SEED).reinterpret(signed=True)


def normalise(text: pl.Expr) -> pl.Expr:
    """Template text: payloads, numbers, quotes, code, links and names become placeholders."""
    out = text
    for pattern, repl in _NORMALISERS:
        out = out.str.replace_all(pattern, repl)
    return out.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def template_key(normalised: pl.Expr) -> pl.Expr:
    """Head and tail of the normalised text: a wrapper's fixed ends, whatever the payload between."""
    return pl.when(normalised.str.len_chars() <= TEMPLATE_HEAD_CHARS + TEMPLATE_TAIL_CHARS).then(normalised).otherwise(
        pl.concat_str([normalised.str.head(TEMPLATE_HEAD_CHARS), pl.lit(" … "), normalised.str.tail(TEMPLATE_TAIL_CHARS)])
    )


def payload(text: pl.Expr) -> pl.Expr:
    """The variable part of a prompt: its labelled fields when it has them, else the whole text."""
    fields = (
        text.str.extract_all(r"(?m)^[A-Za-z]+(?: [A-Za-z]+){0,2}:[ \t]*\S[^\n]*")
        .list.eval(pl.element().str.replace(r"^[^:]*:", ""))
        .list.join(" ")
    )
    return pl.when(fields.str.len_bytes() > 20).then(fields).otherwise(text)


def near_dup_signature(text: pl.Expr, k: int = 3) -> pl.Expr:
    """Bottom-k sketch of the payload's words: small paraphrases usually keep the k smallest word hashes."""
    words = payload(text).str.to_lowercase().str.extract_all(r"[a-z]{4,}").list.eval(
        pl.element().hash(HASH_SEED).unique().sort().head(k)
    )
    return words.list.eval(pl.element().cast(pl.String)).list.join("-").pipe(_hash)


def capability(normalised: pl.Expr) -> pl.Expr:
    expr = pl.lit("chat")
    for cap in reversed(CAPABILITIES[:-1]):
        expr = pl.when(normalised.str.contains(_CAPABILITY_PATTERNS[cap])).then(pl.lit(cap)).otherwise(expr)
    return expr


def derive_requests(requests: pl.LazyFrame) -> pl.LazyFrame:
    """Per-request derived columns used by the account-day and coordination stages."""
    # Head and tail bound the per-request cost: wrappers and instructions sit at the ends of a prompt.
    long = pl.col("prompt").str.len_chars() > HEAD_CHARS + TAIL_CHARS
    text = pl.when(long).then(
        pl.concat_str([pl.col("prompt").str.head(HEAD_CHARS), pl.lit("\n"), pl.col("prompt").str.tail(TAIL_CHARS)])
    ).otherwise(pl.col("prompt"))
    return (
        requests.with_columns(_text=text)
        .with_columns(_norm=normalise(pl.col("_text")), _lower=pl.col("_text").str.to_lowercase())
        .with_columns(
            template_id=template_key(pl.col("_norm")).pipe(_hash),
            prefix_id=pl.col("_norm").str.head(TEMPLATE_HEAD_CHARS).pipe(_hash),
            neardup_sig=near_dup_signature(pl.col("_text")),
            system_prompt_id=pl.when(pl.col("system_prompt").is_not_null()).then(pl.col("system_prompt").pipe(_hash)),
            system_template_id=pl.when(pl.col("system_prompt").is_not_null())
            .then(normalise(pl.col("system_prompt")).pipe(_hash)),
            capability=capability(pl.col("_norm")),
            **{f"m_{name}": pl.col("_lower").str.contains(pattern) for name, pattern in MARKERS.items()},
            prompt_chars=pl.col("prompt").str.len_chars().cast(pl.Int32),
        )
        .drop("_text", "_norm", "_lower", "prompt", "system_prompt")
    )
