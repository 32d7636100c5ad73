"""Where adapted recognisers live, which one is in use, and the data they are trained on.

Each learner's adapted models are folders under ``<data dir>/asr/<learner>/``; the
``finetunes`` table records every run and marks the one in use per recogniser. A model is
used only while its folder is there; without one, the shipped model is used.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..paths import data_dir, safe_name
from ..reading import words_of
from ..store.db import Store

HELD_OUT = 0.2
"""Share of the sentences never trained on: the WER before and after is measured on them."""


def learner_dir(learner: str) -> Path:
    return data_dir() / "asr" / safe_name(learner)


def active_run(store: Store, learner: str, asr_model: str) -> dict | None:
    """The run in use for ``learner``'s ``asr_model``, if its folder is still there."""
    if store.find_learner(learner) is None:
        return None
    for run in reversed(store.finetunes(learner)):
        if run["asr_model"] == asr_model and run["activated"]:
            path = Path(run["details"].get("path", ""))
            return run if path.is_dir() else None
    return None


def active_folder(learner: str, asr_model: str) -> Path | None:
    """The adapted model folder to load for ``learner``, or None for the shipped one."""
    store = Store()
    try:
        run = active_run(store, learner, asr_model)
    finally:
        store.close()
    return Path(run["details"]["path"]) if run else None


def held_out(passage: str, sentence: int) -> bool:
    """A fixed ~20% of sentences, by a hash of which sentence it is (never by the take)."""
    digest = hashlib.sha1(f"{passage}:{sentence}".encode()).digest()
    return digest[0] < 256 * HELD_OUT


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(train, test) readings: a sentence is always on the same side."""
    train = [r for r in rows if not held_out(r["passage"], r["sentence"])]
    test = [r for r in rows if held_out(r["passage"], r["sentence"])]
    return train, test


def corpus_wer(references: list[str], hypotheses: list[str]) -> float:
    """Word error rate over all sentences together (case and punctuation ignored)."""
    import jiwer

    pairs = [
        (" ".join(words_of(r)), " ".join(words_of(h)))
        for r, h in zip(references, hypotheses, strict=True)
    ]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        return 0.0
    out = jiwer.process_words([r for r, _ in pairs], [h for _, h in pairs])
    return float(out.wer)
