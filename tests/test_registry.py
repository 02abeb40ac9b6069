"""Model registry (immutable versions, promotion log, rollback), point-in-time model choice, the gate's
validation rule, and day dependencies: plain functions on tiny inputs."""

import json
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from models import gate, training
from models.registry import Registry, RegistryError
from models.spec import load_spec
from pipelines.history import ReplaySettings, dependency_problems, missing_days

UTC = UTC
AS_OF = date(2026, 3, 10)


def fake_model(root, version, as_of: date):
    folder = root / version
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text(json.dumps({"version": version, "as_of": as_of.isoformat()}))


def test_promotion_log_rollback_and_point_in_time_choice(tmp_path):
    reg = Registry(tmp_path)
    for version, as_of in [("m-0305", date(2026, 3, 5)), ("m-0310", date(2026, 3, 10)), ("m-0315", date(2026, 3, 15))]:
        fake_model(tmp_path, version, as_of)
    assert reg.current() is None and reg.in_effect(date(2026, 3, 20)) is None
    reg.promote("m-0305", by="test", reason="first")
    reg.promote("m-0315", by="test", reason="newer")
    assert reg.current() == "m-0315"
    # An unpublished day gets the latest promoted model trained on labels confirmed before it, never a later one.
    assert reg.in_effect(date(2026, 3, 16)) == "m-0315"
    assert reg.in_effect(date(2026, 3, 15)) == "m-0315"
    assert reg.in_effect(date(2026, 3, 14)) == "m-0305", "m-0315 saw labels confirmed after 03-14"
    assert reg.in_effect(date(2026, 3, 4)) is None, "before every model: the cold-start rules"
    assert reg.in_effect(date(2026, 3, 12)) == "m-0305", "m-0310 was never promoted"
    entry = reg.rollback(by="test", reason="bad model")
    assert entry == {**entry, "version": "m-0305", "previous": "m-0315", "action": "rollback"}
    assert reg.current() == "m-0305" and reg.in_effect(date(2026, 3, 20)) == "m-0305", "a rollback is honoured"
    log = reg.promotions()
    assert [(e["action"], e["version"], e["previous"]) for e in log] == [
        ("promote", "m-0305", None),
        ("promote", "m-0315", "m-0305"),
        ("rollback", "m-0305", "m-0315"),
    ]
    assert all(e["promoted_at"] and e["by"] == "test" for e in log)
    with pytest.raises(RegistryError, match="unknown model version"):
        reg.promote("nope", by="test", reason="")


def test_rollback_needs_an_earlier_model(tmp_path):
    fake_model(tmp_path, "m", date(2026, 3, 5))
    reg = Registry(tmp_path)
    with pytest.raises(RegistryError, match="nothing to roll back"):
        reg.rollback(by="t", reason="")
    reg.promote("m", by="t", reason="")
    with pytest.raises(RegistryError, match="nothing to roll back"):
        reg.rollback(by="t", reason="")


def attack_rows(n_days=8, attackers_until=8):
    """40 accounts a day; the first 8 are attackers, active only on the first ``attackers_until`` days."""
    from tests.test_models import feature_rows

    rows = feature_rows(n_days).filter(pl.col("date") < AS_OF)
    first = AS_OF - timedelta(days=n_days)
    late = pl.col("date") >= first + timedelta(days=attackers_until)
    return rows.filter(~(late & pl.col("account_id").is_in([f"a{i:02d}" for i in range(8)])))


def labels_for(accounts, label=1):
    return pl.DataFrame(
        {
            "account_id": accounts,
            "label": [label] * len(accounts),
            "campaign_id": ["c1", "c2"] * (len(accounts) // 2),
            "source": ["r"] * len(accounts),
            "confirmed_at": [datetime(2026, 3, 2, tzinfo=UTC)] * len(accounts),
        },
        schema_overrides={"label": pl.Int8},
    )


def test_one_class_validation_is_unmeasured_and_blocks_promotion(tmp_path):
    spec = load_spec().model_copy(update={"min_positive_accounts": 5})
    labels = labels_for([f"a{i:02d}" for i in range(8)])
    model = training.train(attack_rows(attackers_until=5), labels, AS_OF, spec)  # validation days: no attacker
    metrics = model.metadata["metrics"]
    assert metrics["validation_auc"] is None and metrics["validation_brier"] is None, "never a perfect 1.0"
    failures = gate.validation_failures(model.metadata, spec.promotion_gate)
    assert failures and "unmeasured" in failures[0]
    # Registered (immutable, content-addressed) but not current.
    reg = Registry(tmp_path)
    folder = reg.register(model)
    assert reg.register(model) == folder and reg.current() is None
    assert reg.metadata(model.version)["label_cutoff"] == "2026-03-10T00:00:00+00:00"


def test_validation_with_both_classes_is_measured():
    spec = load_spec().model_copy(update={"min_positive_accounts": 5})
    model = training.train(attack_rows(), labels_for([f"a{i:02d}" for i in range(8)]), AS_OF, spec)
    m = model.metadata["metrics"]
    assert m["validation_positives"] >= spec.promotion_gate.min_validation_positives
    assert m["validation_auc"] is not None and m["validation_measured"]
    tight = spec.promotion_gate.model_copy(update={"min_validation_positives": m["validation_positives"] + 1})
    assert "unmeasured" in gate.validation_failures(model.metadata, tight)[0]


def test_day_dependencies_name_missing_and_later_days():
    d = date(2026, 3, 10)
    published = [date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 8), date(2026, 3, 12)]
    assert missing_days(published, d) == [date(2026, 3, 7), date(2026, 3, 9)]
    assert missing_days([], d) == [] and missing_days([d], d) == [], "the first day of history needs nothing"
    problems = dependency_problems(published, d, ReplaySettings())
    assert "2026-03-07, 2026-03-09 is not published" in problems[0] and "2026-03-12" in problems[1]
    assert dependency_problems(published, d, ReplaySettings(allow_gap=True, allow_later_days=True)) == []
    assert dependency_problems(published, d, ReplaySettings(scenario="x")) == [], "a what-if publishes nothing"


def test_gate_counts_enforcement_changes_and_not_starting_or_stopping_to_watch():
    from models.gate import action_changes

    day = date(2026, 3, 5)

    def frame(rows):
        return pl.DataFrame(
            [{"date": day, "account_id": a, "action": x} for a, x in rows],
            schema={"date": pl.Date, "account_id": pl.String, "action": pl.String},
        )

    published = frame([("a", "monitor"), ("b", "require_verification"), ("c", "rate_limit"), ("d", "monitor")])
    candidate = frame([("b", "suspend"), ("c", "monitor"), ("d", "monitor"), ("e", "monitor"), ("f", "rate_limit")])
    every = action_changes(published, candidate)
    assert every["account_id"].to_list() == ["a", "b", "c", "e", "f"]
    enforcement = action_changes(published, candidate, ("monitor",))
    assert enforcement["account_id"].to_list() == ["b", "c", "f"]
