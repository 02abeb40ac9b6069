"""Multilingual worlds (variant "multilingual"): every language among attackers and legitimate users, and the
markers of features/markers.yaml measured on phrasings written apart from them (simulator/phrasings.yaml).

The marker checks are a measurement of how far the markers generalise. Where they do not yet, the case is listed
in a KNOWN_GAPS set and marked xfail(strict): it fails the suite the day the gap closes, so the list is kept true.
"""

from datetime import date

import numpy as np
import polars as pl
import pytest

from features.derivations import derive_requests, prompt_features
from models.languages import language_tables, summary_lines
from simulator import languages
from simulator.generate import simulate
from simulator.world import build_world, populations

START = date(2026, 4, 6)
LANGS = languages.languages()
OTHER = [lang for lang in LANGS if lang != "en"]
EXTRACTION_MARKERS = ["m_cot", "m_rubric", "m_probe", "m_maxout", "m_rewrite", "m_lang_coercion"]
# (simulator family, marker it must raise): reasoning reconstruction, its output-maximising variant, rubric
# grading, probing, censorship rewrites, language coercion (inside the probe family), agent trajectories.
CHECKS = {
    "cot": ("cot", "m_cot"),
    "maxout": ("cot_maxout", "m_maxout"),
    "rubric": ("rubric", "m_rubric"),
    "probe": ("probe", "m_probe"),
    "rewrite": ("rewrite", "m_rewrite"),
    "lang_coercion": ("probe", "m_lang_coercion"),
    "persona": ("persona_user", "m_cot"),
}
# Measured when this test was written (2,000 prompts over every frame each): cases where the language's share is
# below 40% of the English share. After the other-language phrasings of issue 13 item 5 (written without reading
# the simulator's phrasings), one remains: German output-maximising requests (0.32 of English).
# `python -m benchmarks.marker_languages` prints the whole table.
KNOWN_GAPS: set[tuple[str, str]] = set()
# Homework helpers asking for the steps whose cot share differs from English ones by more than half the English.
HOMEWORK_GAPS: set[str] = set()


def _marker_share(family: str, lang: str, marker: str, n: int = 2000) -> float:
    """Share of ``n`` prompts of ``family`` written in ``lang`` (every frame) that the real derivations mark."""
    prompts = languages.render_rows(family, np.full(n, lang, dtype=object), np.random.default_rng(5), {}, None, None)
    return float(prompt_features(pl.DataFrame({"prompt": prompts}).lazy()).collect()[marker].mean())


@pytest.fixture(scope="module")
def ml_world(tmp_path_factory):
    """Three days of a small multilingual world, its requests with the per-request derivations and the truth."""
    out = tmp_path_factory.mktemp("ml_world")
    simulate(out, START, 3, 0.03, 11, progress=False, variant="multilingual")
    truth = pl.read_parquet(out / "_truth" / "accounts.parquet")
    derived = derive_requests(pl.scan_parquet(out / "requests" / "**" / "*.parquet")).collect()
    return truth, derived.join(truth.select("account_id", "population", "is_attack", "language"), on="account_id")


def test_every_language_among_attackers_and_legitimate_users(ml_world):
    truth, derived = ml_world
    for frame in (truth, derived):
        for attack in (True, False):
            assert set(frame.filter(pl.col("is_attack") == attack)["language"]) == set(LANGS), (attack, frame.columns)


def test_language_shares_follow_the_phrasings_file_and_the_seed():
    shares = languages.load_phrasings()["shares"]
    acc = build_world(START, 21, 11, 0.3, "multilingual").accounts
    observed = acc.group_by("h_language").len().with_columns(share=pl.col("len") / acc.height)
    for lang, share in observed.select("h_language", "share").iter_rows():
        assert abs(share - shares[lang]) < 0.02, lang
    again = build_world(START, 21, 11, 0.3, "multilingual").accounts
    assert acc.select("account_id", "h_language").equals(again.select("account_id", "h_language"))
    other = build_world(START, 21, 12, 0.3, "multilingual").accounts
    assert not acc["h_language"].equals(other["h_language"])


def test_multilingual_world_is_the_wide_world_in_other_languages():
    assert [p.name for p in populations("multilingual", 11)] == [p.name for p in populations("wide", 11)]
    wide = build_world(START, 21, 11, 0.1, "wide").accounts
    ml = build_world(START, 21, 11, 0.1, "multilingual").accounts
    assert wide.drop("h_language").equals(ml.drop("h_language"))
    assert set(wide["h_language"]) == {"en"}


def test_extraction_campaigns_raise_markers_in_every_language_and_everyday_requests_do_not(ml_world):
    """On the world's own requests: in each language, attackers' prompts carry extraction markers, and the
    everyday requests of casual users in that language carry none."""
    _, derived = ml_world
    any_marker = pl.any_horizontal(EXTRACTION_MARKERS)
    per = derived.group_by("language", "is_attack").agg(share=any_marker.mean())
    casual = derived.filter(pl.col("population") == "casual_chat").group_by("language").agg(share=any_marker.mean())
    for lang in LANGS:
        attack = per.filter((pl.col("language") == lang) & pl.col("is_attack"))["share"].item()
        assert attack >= 0.05, (lang, attack)
        assert casual.filter(pl.col("language") == lang)["share"].item() <= 0.01, lang


@pytest.mark.parametrize(
    "lang,check",
    [
        pytest.param(lang, check, marks=pytest.mark.xfail(strict=True, reason="marker does not generalise yet"))
        if (lang, check) in KNOWN_GAPS
        else (lang, check)
        for lang in OTHER
        for check in CHECKS
    ],
)
def test_extraction_phrasing_is_recognised_at_least_40_percent_as_often_as_in_english(lang, check):
    family, marker = CHECKS[check]
    english = _marker_share(family, "en", marker)
    assert english > 0.2, (check, english)
    assert _marker_share(family, lang, marker) >= 0.4 * english


@pytest.mark.parametrize(
    "lang",
    [
        pytest.param(lang, marks=pytest.mark.xfail(strict=True, reason="cot marker misses these phrasings"))
        if lang in HOMEWORK_GAPS
        else lang
        for lang in OTHER
    ],
)
def test_homework_helper_asking_for_the_steps_gets_the_cot_marker_like_an_english_one(lang):
    english = _marker_share("reasoning_curious", "en", "m_cot")
    assert abs(_marker_share("reasoning_curious", lang, "m_cot") - english) <= english / 2


def test_language_tables_per_language_rates_and_campaign_timing():
    day = [date(2026, 4, d) for d in (6, 7, 8)]
    truth_acc = pl.DataFrame(
        {
            "account_id": ["l1", "l2", "l3", "a1", "a2", "a3"],
            "population": ["casual_chat", "reasoning_curious", "casual_chat", "hydra", "hydra", "hydra"],
            "language": ["en", "zh", "zh", "zh", "zh", "de"],
        }
    )
    truth_days = pl.DataFrame(
        {
            "date": [day[0]] * 6,
            "account_id": ["l1", "l2", "l3", "a1", "a2", "a3"],
            "is_attack": [False, False, False, True, True, True],
            "campaign_id": [None, None, None, "c1", "c1", "c1"],
        }
    )
    actions = pl.DataFrame(
        {
            "date": [day[0], day[1], day[2], day[0]],
            "account_id": ["l2", "a1", "a3", "a3"],
            "action": ["human_review", "rate_limit", "suspend", "monitor"],
        }
    )
    campaigns = pl.DataFrame({"campaign_id": ["c1"], "behaviour": ["hydra"], "start_date": [day[0]]})
    metrics, sections = language_tables(
        truth_acc, truth_days, actions, campaigns, ["rate_limit", "suspend"], ["human_review", "rate_limit", "suspend"]
    )
    rates = metrics["language_rates"]
    assert rates["zh"]["above_monitor_rate"] == 0.5 and rates["en"]["above_monitor_rate"] == 0.0
    personas = metrics["language_persona_rates"]
    assert personas == {"casual_chat": {"en": 0.0, "zh": 0.0}, "reasoning_curious": {"zh": 1.0}}
    assert sections["language_personas"].columns == ["population", "en", "zh"]
    camp = {r["language"]: r for r in metrics["language_campaign_rows"]}
    assert camp["zh"]["actioned_share"] == 0.5 and camp["zh"]["days_to_first_action"] == 1 and camp["zh"]["on_time"]
    assert camp["de"]["actioned_share"] == 1.0 and camp["de"]["days_to_first_action"] == 2
    assert not camp["de"]["on_time"]
    lines = summary_lines([{"language_rates": rates}, {"language_rates": {"zh": {**rates["zh"], "accounts": 9}}}])
    zh = next(line for line in lines if line.startswith("| zh |"))
    assert "| 2..9 |" in zh and zh.endswith("| 2/2 |")
    assert language_tables(truth_acc.drop("language"), truth_days, actions, campaigns, [], []) is None
