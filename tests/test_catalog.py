"""The feature catalog and the computed features stay in step; every SQL file runs on sample data."""

from datetime import date
from pathlib import Path

import yaml

from features.account_day import SQL_DIR


def catalog() -> dict:
    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "features" / "catalog.yaml").read_text())
    return {**data["identifiers"], **data["features"]}


def test_every_catalog_entry_is_documented():
    for name, entry in catalog().items():
        assert entry.get("definition"), name
        assert entry.get("window") in {"1d", "7d", "28d", "static"}, name
    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "features" / "catalog.yaml").read_text())
    assert all(e.get("signal") for e in data["features"].values())


def test_catalog_matches_computed_account_features(published_sample):
    columns = set(published_sample["account_features"].columns)
    documented = set(catalog())
    assert columns - documented == set(), f"computed but not in features/catalog.yaml: {sorted(columns - documented)}"
    assert documented - columns == set(), f"in the catalog but not computed: {sorted(documented - columns)}"


def test_every_sql_file_parses_and_runs(published_sample, tmp_path):
    from pipelines.describe import open_warehouse

    db = published_sample["db"]
    con = open_warehouse(db)
    for view in sorted((SQL_DIR / "views").glob("*.sql")):
        name = view.stem
        assert con.execute(f"select count(*) from {name}").fetchone()[0] >= 0
    feature_sql = sorted((SQL_DIR / "features").glob("*.sql"))
    assert {p.stem for p in feature_sql} == {
        "feat_account_day",
        "feat_account_templates",
        "feat_sync_buckets",
        "feat_account_window",
        "feat_account_user_agent",
        "feat_account_org",
        "feat_org",
        "feat_release",
        "feat_model_use",
    }
    for p in feature_sql:
        parsed = con.execute(
            "select json_serialize_sql(?::varchar)", [p.read_text().replace("$day", "date '2026-03-02'")]
        ).fetchone()[0]
        assert '"error":false' in parsed.replace(" ", ""), f"{p.name} does not parse: {parsed[:300]}"
    assert date(2026, 3, 2) <= max(published_sample["days"])
