"""Whole-collection invariants over the detection content files and the asset graph (detection-rules'
test_all_rules.py way: every offender is listed before the test fails)."""

from pathlib import Path

import polars as pl
import pytest
import yaml

from features.coordination_config import load_coordination
from models.rules import load_rules, rule_hits, rules, score_rules
from models.spec import load_policy

REPO = Path(__file__).resolve().parents[1]


def _catalog_columns() -> set[str]:
    cat = yaml.safe_load((REPO / "features" / "catalog.yaml").read_text())
    return {name for section in cat.values() for name in section}


def test_every_rule_reads_only_catalog_features():
    catalog = _catalog_columns()
    offenders = [
        f"{r.id}: {f}" for r in rules().rules for f in sorted(r.features | set(r.hit) | set(r.miss)) if f not in catalog
    ]
    assert not offenders, f"rule features missing from features/catalog.yaml: {offenders}"


def test_every_rule_fires_on_its_hit_fixture_and_not_on_its_miss_fixture():
    rs = rules()
    offenders = []
    for k, r in enumerate(rs.rules):
        for name, fixture, expected in (("hit", r.hit, True), ("miss", r.miss, False)):
            frame = pl.DataFrame([{"account_id": "a", **fixture}])
            vectorised = bool(rule_hits(frame, rs)[0, k])
            if vectorised != expected or r.fires(fixture) != expected:
                offenders.append(f"{r.id}.{name}: fired={vectorised} (row-wise {r.fires(fixture)})")
    assert not offenders, f"rule fixtures that disagree with their rule (models/rules.yaml): {offenders}"


def test_a_row_with_no_features_fires_nothing():
    # The "good log" run: an account with no signal at all scores 0 with no reasons.
    scored = score_rules(pl.DataFrame({"account_id": ["a"]}))
    assert scored["score"].to_list() == [0.0] and scored["reasons"].to_list() == [[]]


def test_rule_score_is_the_noisy_or_of_the_weights_that_fired():
    by_id = {r.id: r for r in rules().rules}
    row = {**by_id["linked_to_enforced"].hit, **by_id["proxy_rotation"].hit, "account_id": "a"}
    score = score_rules(pl.DataFrame([row]))["score"][0]
    assert score == pytest.approx(1 - (1 - 0.5) * (1 - 0.25))


def test_a_bad_rule_file_names_the_file_and_the_key(tmp_path):
    raw = yaml.safe_load((REPO / "models" / "rules.yaml").read_text())
    raw["rules"][2]["weight"] = 1.5
    raw["rules"][3]["when"] = ["acct_rewrite_rate_1d >> 0.3"]
    bad = tmp_path / "rules.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError) as err:
        load_rules(bad)
    text = str(err.value)
    assert str(bad) in text and "rules[2] (extraction_probing).weight" in text
    assert "acct_rewrite_rate_1d >> 0.3" in text


def test_every_ladder_action_has_a_duration_and_a_strength():
    policy = load_policy()
    durations, order = policy.durations(), policy.strength_order()
    offenders = [a for a in policy.actions() if a not in durations or a not in order]
    assert not offenders, f"actions without a duration or a rank (models/policy.yaml): {offenders}"
    assert order[0] == policy.ladder[-1] and order[-1] == policy.ladder[0]


def test_hydra_enforced_actions_are_on_the_ladder_and_the_coordination_file_loads():
    cfg, ladder = load_coordination(), load_policy().ladder
    offenders = [a for a in cfg.hydra.enforced_actions if a not in ladder]
    assert not offenders, f"features/coordination.yaml hydra.enforced_actions not on the ladder: {offenders}"
    assert set(cfg.weak_kinds) <= set(cfg.indicator_words)


def test_no_module_restates_the_ladder():
    # The ladder, bands and durations are read from models/policy.yaml; a literal list of them drifts.
    # Allowed: features/contract.py states the data contract's values (it may not import models/), and
    # models/spec.py types an action (the loader that validates the file).
    pattern = ('"monitor", "rate_limit"', '"suspend", "degrade_reasoning"', '"critical", "high"')
    offenders = [
        str(p.relative_to(REPO))
        for room in ("pipelines", "models", "features")
        for p in (REPO / room).rglob("*.py")
        if p.name not in ("contract.py", "spec.py") and any(s in p.read_text() for s in pattern)
    ]
    assert not offenders, f"modules restating the action ladder or bands: {offenders}"


def test_every_asset_has_a_description_group_owner_and_kind():
    from pipelines.definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    offenders = []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        missing = [
            name
            for name, value in (
                ("description", node.description),
                ("group", node.group_name),
                ("owner", node.owners),
                ("kind", node.kinds),
            )
            if not value
        ]
        if missing:
            offenders.append(f"{key.to_user_string()}: {', '.join(missing)}")
    assert not offenders, f"assets missing metadata: {offenders}"


def test_release_day_benchmarking_by_an_established_account_is_not_harvesting():
    base = {"acct_thinking_share_1d": 0.97, "acct_near_max_share_1d": 0.2}
    lab = pl.DataFrame([{**base, "release_days_since": 0, "acct_age_days": 600.0}])
    chaser = pl.DataFrame([{**base, "release_days_since": 0, "acct_age_days": 6.0}])
    months_later = pl.DataFrame([{**base, "release_days_since": 40, "acct_age_days": 600.0}])
    column = [r.id for r in rules().rules].index("harvesting_reasoning")
    assert [bool(rule_hits(f)[0, column]) for f in (lab, chaser, months_later)] == [False, True, True]
