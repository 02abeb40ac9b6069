"""The bundled sample's published tables match the committed digests (tests/golden/sample_published.json).

A refactor must leave every published value as it was; a deliberate detection change regenerates the file
(the command is in tests/golden/digest.py and in the failure message) and commits it beside the change.
"""

import os

import pytest

from tests.golden import digest


def test_published_tables_match_the_golden_digests(published_sample):
    found = digest.digests({t: published_sample[t] for t in digest.KEYS})
    if os.environ.get(digest.WRITE_ENV):
        digest.write(found)
        pytest.skip(f"wrote {digest.GOLDEN}")
    expected = digest.load()
    changed = [
        f"{table}: expected {expected.get(table)}, found {found[table]}"
        for table in sorted(set(expected) | set(found))
        if expected.get(table) != found.get(table)
    ]
    assert not changed, (
        "published tables of the sample differ from tests/golden/sample_published.json:\n"
        + "\n".join(changed)
        + f"\nIf the change is deliberate, regenerate with: {digest.REGENERATE}"
    )


def test_digest_changes_when_one_published_value_changes(published_sample):
    import polars as pl

    actions = published_sample["enforcement_actions"]
    assert actions.height, "the sample publishes actions"
    key = digest.KEYS["enforcement_actions"]
    before = digest.digest(actions, key)
    nudged = actions.with_columns(
        score=pl.when(pl.int_range(pl.len()) == 0).then(pl.col("score") + 1e-6).otherwise(pl.col("score"))
    )
    assert digest.digest(nudged, key)["sha256"] != before["sha256"]
    assert digest.digest(actions.reverse(), key) == before, "row order does not matter"
    with_new_run = actions.with_columns(run_id=pl.lit("another-run"))
    assert digest.digest(with_new_run, key) == before, "run_id is a new id per run, not published content"
