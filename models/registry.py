"""Model registry: immutable versioned artifacts, a "current" pointer with an append-only promotion log.

Layout under the models folder (``<warehouse>/models``):

    <version>/model.txt, calibration.json, metadata.json   one immutable artifact per trained model
    current.json                                           the pointer: {"version": ...}
    promotions.jsonl                                       every pointer move: version, promoted_at, by,
                                                           previous, reason, action (promote | rollback)
    gates.jsonl                                            every promotion-gate verdict on a model

Point-in-time choice of the model for a day lives here too (``in_effect``), so the scoring asset, the labels
sensor and the CLI share one rule.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from models.training import TrainedModel, as_of_instant, load

POINTER = "current.json"
PROMOTIONS = "promotions.jsonl"
GATES = "gates.jsonl"


class RegistryError(RuntimeError):
    """An unknown version, or a pointer move the log does not allow."""


def label_cutoff(metadata: dict) -> datetime:
    """Labels confirmed strictly before this instant were available to the model's training."""
    if metadata.get("label_cutoff"):
        return datetime.fromisoformat(metadata["label_cutoff"])
    return as_of_instant(date.fromisoformat(metadata["as_of"]))


class Registry:
    def __init__(self, root: Path):
        self.root = Path(root)

    # --- artifacts ---------------------------------------------------------------------------------

    def register(self, model: TrainedModel) -> Path:
        """Write the artifact once; a version is content-addressed, so an existing folder is the same model."""
        folder = self.root / model.version
        if (folder / "metadata.json").exists():
            return folder
        tmp = self.root / f".{model.version}.writing"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        (tmp / "model.txt").write_text(model.booster.model_to_string())
        (tmp / "calibration.json").write_text(json.dumps(model.calibration, indent=1, sort_keys=True))
        (tmp / "metadata.json").write_text(json.dumps(model.metadata, indent=1, sort_keys=True))
        os.replace(tmp, folder)
        return folder

    def versions(self) -> list[dict]:
        """Metadata of every registered model, oldest label cutoff first."""
        paths = [p for p in self.root.glob("*/metadata.json") if not p.parent.name.startswith(".")]
        metas = [json.loads(p.read_text()) for p in paths]
        return sorted(metas, key=lambda m: (label_cutoff(m), m["version"]))

    def metadata(self, version: str) -> dict:
        path = self.root / version / "metadata.json"
        if not path.exists():
            known = ", ".join(m["version"] for m in self.versions()) or "none"
            raise RegistryError(f"unknown model version {version!r} in {self.root} (registered: {known})")
        return json.loads(path.read_text())

    def load(self, version: str) -> TrainedModel:
        self.metadata(version)
        return load(self.root, version)

    def latest_trained(self) -> dict | None:
        """The model trained on the latest labels, promoted or not: what the last training saw."""
        versions = self.versions()
        return versions[-1] if versions else None

    # --- the pointer and its log -------------------------------------------------------------------

    def current(self) -> str | None:
        pointer = self.root / POINTER
        return json.loads(pointer.read_text())["version"] if pointer.exists() else None

    def promotions(self) -> list[dict]:
        return read_jsonl(self.root / PROMOTIONS)

    def promote(self, version: str, by: str, reason: str, action: str = "promote") -> dict:
        """Point "current" at ``version``; the move is appended to the promotion log first."""
        self.metadata(version)
        entry = {
            "version": version,
            "promoted_at": _now(),
            "by": by,
            "previous": self.current(),
            "reason": reason,
            "action": action,
        }
        append_jsonl(self.root / PROMOTIONS, entry)
        pointer = self.root / POINTER
        tmp = pointer.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": version}))
        os.replace(tmp, pointer)
        return entry

    def rollback(self, by: str, reason: str) -> dict:
        """Undo the last pointer move: "current" goes back to the version it replaced."""
        log = self.promotions()
        if not log or log[-1]["previous"] is None:
            raise RegistryError("nothing to roll back to: the current model was the first one promoted")
        return self.promote(log[-1]["previous"], by, reason, action="rollback")

    def in_effect(self, day: date) -> str | None:
        """The model for a day never published: the latest promoted model trained on labels confirmed before
        ``day`` (walking the promotion log back, so a rollback is honoured); None means the cold-start rules."""
        start = as_of_instant(day)
        history = [e["version"] for e in self.promotions()] or [v for v in [self.current()] if v]
        for version in reversed(history):
            if label_cutoff(self.metadata(version)) <= start:
                return version
        return None

    # --- gate verdicts -----------------------------------------------------------------------------

    def record_gate(self, version: str, verdict: dict) -> dict:
        entry = {"version": version, "evaluated_at": _now(), **verdict}
        append_jsonl(self.root / GATES, entry)
        return entry

    def gate(self, version: str) -> dict | None:
        """The latest gate verdict on ``version``."""
        verdicts = [g for g in read_jsonl(self.root / GATES) if g["version"] == version]
        return verdicts[-1] if verdicts else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def append_jsonl(path: Path, entry: dict) -> None:
    """Append one line and flush it to disk; earlier lines are never rewritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
