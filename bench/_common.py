"""Helpers shared by the bench scripts: build real components from settings."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT.parent / "shared" / "data" / "learner_errors_dev.jsonl"
sys.path.insert(0, str(ROOT))


def dev_set() -> list[dict]:
    """The learner sentences with known mistakes (../shared/data)."""
    return [json.loads(x) for x in DEV_SET.read_text().splitlines() if x.strip()]


def heldout_set() -> list[dict]:
    """Learner sentences written apart from the rules (bench/data)."""
    path = ROOT / "bench" / "data" / "learner_errors_heldout.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
