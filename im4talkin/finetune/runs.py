"""Where adapted recognisers live, which one is in use, the data they are trained on, and
whether one is better.

Each learner's adapted models are folders under ``asr/`` in their own folder
(:mod:`~im4talkin.store.layout`); the ``finetunes`` table records every run and marks the one
in use per recogniser. A model is used only while its folder is there; without one, the
shipped model is used.

A model is better only beyond noise: the word errors of the recogniser in use and of the
adapted one on the same held-out sentences are compared by a paired bootstrap over
sentences, and the upper end of the 90% interval of the relative change must be below zero.
With few sentences the fixed split holds too few words to say anything, so every sentence is
held out once by cross-validation (:func:`folds`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from ..reading import words_of
from ..store.db import Store

HELD_OUT = 0.2
"""Share of the sentences never trained on: the WER before and after is measured on them."""
SPLIT_WORDS = 300
"""Words the fixed held-out split must hold to decide on its own; with fewer, cross-validation."""
FOLDS = 3
ENOUGH = 150
"""Sentences after which a fine-tune that gains nothing is not worth reading more for."""
VALID = 0.15
"""Share of the training sentences kept aside to stop training when their loss stops falling."""


def learner_dir(store: Store, learner: str) -> Path:
    """Where ``learner``'s adapted recognisers live: ``asr/`` in their own folder."""
    return store.folder(learner) / "asr"


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


def _bucket(salt: str, passage: str, sentence: int) -> int:
    return int.from_bytes(hashlib.sha1(f"{salt}{passage}:{sentence}".encode()).digest()[:4])


def _shuffled(rows: list[dict], salt: str) -> list[tuple[str, int]]:
    """The (passage, sentence) pairs of ``rows``, once each, in a fixed order set by ``salt``."""
    return sorted({(r["passage"], r["sentence"]) for r in rows}, key=lambda s: _bucket(salt, *s))


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(train, test) readings: a sentence is always on the same side."""
    train = [r for r in rows if not held_out(r["passage"], r["sentence"])]
    test = [r for r in rows if held_out(r["passage"], r["sentence"])]
    return train, test


def folds(rows: list[dict], k: int = FOLDS) -> list[list[dict]]:
    """``rows`` in ``k`` held-out parts of near-equal size; the takes of a sentence stay together."""
    sentences = _shuffled(rows, "f")
    part = {s: i % k for i, s in enumerate(sentences)}
    return [[r for r in rows if part[(r["passage"], r["sentence"])] == i] for i in range(k)]


def validation(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(train, valid): about :data:`VALID` of the sentences (at least one) to stop training on."""
    sentences = _shuffled(rows, "v")
    aside = set(sentences[: max(1, round(VALID * len(sentences)))]) if len(sentences) > 1 else set()
    key = lambda r: (r["passage"], r["sentence"])  # noqa: E731
    return [r for r in rows if key(r) not in aside], [r for r in rows if key(r) in aside]


def words_in(rows: list[dict]) -> int:
    return sum(len(words_of(r["reference"])) for r in rows)


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


def sentence_errors(references: list[str], hypotheses: list[str]) -> list[tuple[int, int]]:
    """(word errors, reference words) per sentence, case and punctuation ignored."""
    import jiwer

    out = []
    for ref, hyp in zip(references, hypotheses, strict=True):
        r, h = " ".join(words_of(ref)), " ".join(words_of(hyp))
        if not r:
            out.append((0, 0))
            continue
        m = jiwer.process_words(r, h) if h else None
        errors = m.substitutions + m.deletions + m.insertions if m else len(r.split())
        out.append((errors, len(r.split())))
    return out


@dataclass(frozen=True)
class Gain:
    """The recogniser in use against the adapted one on the same held-out sentences."""

    before: float
    """Word error rate of the recogniser in use."""
    after: float
    change: float
    """Relative change of the word error rate (-0.2: a fifth fewer errors)."""
    low: float
    high: float
    """The 90% interval of ``change`` (paired bootstrap over sentences)."""
    sentences: int
    words: int

    @property
    def better(self) -> bool:
        """Fewer errors beyond noise: even the interval's upper end is an improvement."""
        return self.high < 0

    def more_sentences(self) -> int | None:
        """About how many more sentences to read for this change to be clear of noise. With
        no gain at all: as many again while under :data:`ENOUGH` (the fold models learnt from
        two thirds of very few), else None (the recogniser may already suit the voice)."""
        if self.better:
            return 0
        if self.change >= 0 or self.high <= self.change:
            return max(20, 10 * math.ceil(self.sentences / 10)) if self.sentences < ENOUGH else None
        # the interval narrows as 1/sqrt(sentences): it clears zero at n * (width / gain)^2
        needed = self.sentences * ((self.high - self.change) / -self.change) ** 2
        return max(10, 10 * math.ceil((needed - self.sentences) / 10))


def paired_gain(
    before: list[tuple[int, int]], after: list[tuple[int, int]], rounds: int = 4000, seed: int = 0
) -> Gain:
    """``before``/``after``: :func:`sentence_errors` of the two recognisers, same sentences."""
    import numpy as np

    if len(before) != len(after):
        raise ValueError("before and after must cover the same sentences")
    eb = np.array([e for e, _ in before], dtype=float)
    ea = np.array([e for e, _ in after], dtype=float)
    words = sum(w for _, w in before)
    wer_b, wer_a = eb.sum() / max(1, words), ea.sum() / max(1, words)

    def rel(b, a):
        return np.where(b > 0, a / np.maximum(b, 1) - 1, np.where(a > 0, np.inf, 0.0))

    change = float(rel(eb.sum(), ea.sum()))
    draw = np.random.default_rng(seed).integers(0, len(eb), (rounds, len(eb)))
    changes = rel(eb[draw].sum(axis=1), ea[draw].sum(axis=1))
    low, high = (float(x) for x in np.percentile(changes, [5, 95]))
    return Gain(wer_b, wer_a, change, low, high, len(eb), words)


def prompt_leaks(prompt: str, reference: str, hypothesis: str) -> list[str]:
    """Word pairs of ``prompt`` in ``hypothesis`` that are not in ``reference``: the
    recogniser writing its priming text ("three cat") instead of what was said."""

    def pairs(text: str) -> set[str]:
        w = words_of(text)
        return {f"{a} {b}" for a, b in zip(w, w[1:], strict=False)}

    return sorted((pairs(prompt) & pairs(hypothesis)) - pairs(reference))


WORSE_P = 0.2
"""A model is taken to make more phantom mistakes than the one in use when so many more of
its sentences have one would happen by chance less often than this."""


@dataclass(frozen=True)
class PhantomChange:
    """Held-out sentences with a phantom mistake, from each model, paired by sentence."""

    before: int
    after: int
    new: int
    """Sentences with one from the adapted model only..."""
    fixed: int
    """...and from the model in use only (the others say nothing about the difference)."""

    @property
    def chance(self) -> float:
        """How often at least ``new`` of the ``new + fixed`` discordant sentences would be the
        adapted model's if both models made them equally often (exact sign test)."""
        n = self.new + self.fixed
        return sum(math.comb(n, k) for k in range(self.new, n + 1)) / 2**n

    @property
    def worse(self) -> bool:
        """More phantom mistakes beyond noise."""
        return self.new > self.fixed and self.chance < WORSE_P


def compare_phantoms(before: list[bool], after: list[bool]) -> PhantomChange:
    """``before``/``after``: per held-out sentence, does each model's transcript have one?"""
    new = sum(a and not b for b, a in zip(before, after, strict=True))
    fixed = sum(b and not a for b, a in zip(before, after, strict=True))
    return PhantomChange(sum(before), sum(after), new, fixed)


class Phantoms:
    """Does a transcript of a sentence read aloud make the tutor point out a mistake the
    sentence itself does not have (Harper and the learner rules, as ``talk`` checks a turn),
    or write a word pair of the recogniser's prompt that was not said? Either is a mistake
    nobody made, which a tutor would then correct."""

    def __init__(self, prompt: str) -> None:
        from ..feedback.harper import HarperChecker
        from ..feedback.rules import LearnerRules, load_nlp

        self.prompt = prompt
        self.checkers = [HarperChecker(), LearnerRules(load_nlp())]
        self.cache: dict[str, set] = {}

    def corrections(self, text: str) -> set:
        if text not in self.cache:
            self.cache[text] = {
                (c.original.lower(), c.corrected.lower())
                for checker in self.checkers
                for c in checker.check(text)
            }
        return self.cache[text]

    def __call__(self, reference: str, heard: str) -> bool:
        return bool(
            self.corrections(heard) - self.corrections(reference)
            or prompt_leaks(self.prompt, reference, heard)
        )
