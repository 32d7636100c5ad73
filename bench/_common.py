"""Helpers shared by the bench scripts: build real components from settings."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT.parent / "shared" / "data" / "learner_errors_dev.jsonl"
SPEECHOCEAN = ROOT.parent / "shared" / "data" / "speechocean762"
sys.path.insert(0, str(ROOT))


def dev_set() -> list[dict]:
    """The learner sentences with known mistakes (../shared/data)."""
    return [json.loads(x) for x in DEV_SET.read_text().splitlines() if x.strip()]


def heldout_set() -> list[dict]:
    """Learner sentences written apart from the rules (bench/data)."""
    path = ROOT / "bench" / "data" / "learner_errors_heldout.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def speechocean_rows() -> list[tuple[str, str, str, str]]:
    """speechocean762's read sentences (../shared/data): (utterance, speaker, age, the
    sentence asked for), in the file's order; the audio is ``SPEECHOCEAN/wav/<utterance>.wav``."""
    lines = (SPEECHOCEAN / "text.tsv").read_text().splitlines()
    rows = [line.split("\t") for line in lines]
    return [(r[0], r[1], r[2], r[3]) for r in rows if len(r) >= 4 and r[2].strip().isdigit()]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
