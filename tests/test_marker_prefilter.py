"""The literal prefilter of other-language marker phrasings: sound (every match contains one of its literals, so
gated and ungated matching agree) and present for every phrasing (so English-heavy traffic skips them)."""

import json

import polars as pl
import pytest
from test_markers_multilingual import CASES

from features.derivations import PREFILTER, SPEC, _cut, marker, prompt_features
from features.prefilter import literals, prefilter_regex, required_literals


@pytest.mark.parametrize(
    "pattern,expected",
    [
        (r"(a|bc)d?[^\n.]{0,3}efg", {"efg"}),  # the longest mandatory run
        ("cadena de (pensamiento|razonamiento)|monólogo interno", {"pensamiento", "razonamiento", "monólogo interno"}),
        ("(思考|思维)的?(过程|步骤)", {"过程", "步骤"}),  # the parser factors 思 out of the first group
        ("(abcd)+xyz?", {"abcd"}),  # a repeat with at least one pass counts; an optional character ends a run
        ("(abcd)*xyz", {"xyz"}),  # an optional repeat does not
        ("x?y", None),  # one ASCII letter is no prefilter
        ("(abc|d)e", None),  # a branch without a literal leaves the whole alternation without one
        ("abc|[0-9]+", None),
        ("(unclosed", None),
        ("(?i)abcd", None),
        ("x(?i:abcd)yz", None),
    ],
)
def test_required_literals(pattern, expected):
    assert required_literals(pattern) == expected


def test_prefilter_is_a_literal_regex_that_escapes_metacharacters():
    assert literals([r"a\.b\+c", "xyz"]) == ["a.b+c", "xyz"]
    regex = prefilter_regex([r"a\.b\+c", "xyz"])
    got = pl.Series(["a.b+c", "axb+c", "xyz", "q"]).str.contains(regex).to_list()
    assert got == [True, False, True, False]
    assert prefilter_regex(["ok", "x?y"]) is None


def test_every_other_language_phrasing_has_a_prefilter():
    for name, m in SPEC.markers.items():
        for lang, phrasings in m.languages.items():
            for p in phrasings:
                assert required_literals(p) is not None, (name, lang, p)
    assert PREFILTER is not None


def _texts(corpora) -> list[str]:
    out = [t for case in CASES for t in case[2:]]
    for name in ("marco_bench_mif_8lang.jsonl", "m_ifeval_es_fr_ja.jsonl", "korean_chatbot_data_ko.jsonl"):
        out += [json.loads(line)["prompt"] for line in (corpora / name).open()]
    return out + ["Think step by step.", "", None]


def test_prefiltered_markers_equal_matching_every_prompt(corpora):
    texts = pl.DataFrame({"prompt": _texts(corpora)}, schema={"prompt": pl.String})
    gated = prompt_features(texts.lazy()).collect().select(pl.col("^m_.*$"))
    lower = _cut(pl.col("prompt")).str.to_lowercase()
    plain = texts.select(**{f"m_{name}": marker(lower, m) for name, m in SPEC.markers.items()})
    assert gated.equals(plain)
    assert gated.select(pl.all().sum()).row(0) == plain.select(pl.all().sum()).row(0)
    assert gated["m_cot"].null_count() == 1 and gated["m_cot"].sum() > 40
