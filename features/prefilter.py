"""Literal prefilters for marker regexes: strings of which every match must contain one.

Other-language marker phrasings run only on prompts that contain one of their literals (one multi-literal
search over every prompt), so most English traffic skips them; the result is the same as matching every prompt.
The literals are read off the patterns themselves (Python's regex parser; the marker syntax is common to Python,
Rust and Java), so a new phrasing cannot fall out of its prefilter. Case-insensitive parts give no literal: the
text and the phrasings are lower-case.
"""

from __future__ import annotations

import re
import re._constants as c
import re._parser as sre

# Length in UTF-8 bytes: one Han or Hangul character (3 bytes) is about as rare in traffic as three Latin letters.
MIN_BYTES = 3
SPECIAL = set("\\.+*?()|[]{}^$#&-~")


def _shortest(literals: set[str]) -> int:
    return min(len(s.encode()) for s in literals)


def _best(candidates: list[set[str]]) -> set[str] | None:
    """The most selective candidate: longest shortest literal, then fewest literals."""
    usable = [s for s in candidates if s and _shortest(s) >= MIN_BYTES]
    return max(usable, key=lambda s: (_shortest(s), -len(s))) if usable else None


def _required(items) -> set[str] | None:
    """Literals one of which every match of the parsed sequence ``items`` contains (None: none known)."""
    candidates: list[set[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            candidates.append({"".join(run)})
            run = []
        if op is c.SUBPATTERN:
            sub = None if av[1] & re.IGNORECASE else _required(av[-1])
        elif op is c.BRANCH:
            branches = [_required(b) for b in av[1]]
            sub = None if any(b is None for b in branches) else set().union(*branches)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            sub = _required(av[2])
        else:
            sub = None
        if sub is not None:
            candidates.append(sub)
    if run:
        candidates.append({"".join(run)})
    return _best(candidates)


def required_literals(pattern: str) -> set[str] | None:
    """Literals of which every match of ``pattern`` contains one, or None where the pattern has no such set."""
    try:
        parsed = sre.parse(pattern)
    except re.error:
        return None
    return None if parsed.state.flags & re.IGNORECASE else _required(list(parsed))


def literals(phrasings: list[str]) -> list[str] | None:
    """One literal set for a list of phrasings (sorted, for stable plans), or None if any phrasing has none."""
    out: set[str] = set()
    for p in phrasings:
        lits = required_literals(p)
        if lits is None:
            return None
        out |= lits
    return sorted(out)


def prefilter_regex(phrasings: list[str]) -> str | None:
    """A regex of plain literals (one pass, the regex engine's multi-literal search) that every text matching
    any of ``phrasings`` matches, or None."""
    lits = literals(phrasings)
    return None if lits is None else "|".join("".join("\\" + ch if ch in SPECIAL else ch for ch in s) for s in lits)
