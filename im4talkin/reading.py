"""Reading feedback: what the recogniser heard, aligned word by word to the sentence read.

The alignment is jiwer's (Levenshtein over words, after lowercasing and dropping punctuation):
each reference word was read right (``ok``), heard as another word (``sub``) or not heard
(``del``), and extra words heard are ``ins``. The reading score is ``100 * (1 - WER)``, at
least 0. Words to practise are the ones missed or misheard, and, where the recogniser gives
word probabilities, words it heard right but was unsure of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import InputError

UNSURE = 0.5
"""A word heard right with a probability below this is still worth practising."""

WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")
"""A word of a sentence, lowercased: letters and digits, with inner apostrophes and hyphens."""


@dataclass(frozen=True)
class Word:
    ref: str | None
    """The word of the sentence (None for a word heard but not in it)."""
    hyp: str | None
    """What was heard in its place (None for a word not heard)."""
    op: str
    """``ok``, ``sub`` (misheard), ``del`` (missed) or ``ins`` (extra)."""
    probability: float | None = None
    """The recogniser's confidence in ``hyp``, where it gives one."""
    sounds: Any = None
    """How the word sounded (:class:`~im4talkin.feedback.pronunciation.WordSounds`), where
    its sounds were scored."""


@dataclass
class Reading:
    reference: str
    transcript: str
    words: list[Word]
    wer: float
    score: int
    practise: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {op: sum(w.op == op for w in self.words) for op in ("ok", "sub", "del", "ins")}

    def to_json(self) -> dict:
        words = [
            {"ref": w.ref, "hyp": w.hyp, "op": w.op}
            | ({"probability": round(w.probability, 3)} if w.probability is not None else {})
            | ({"sounds": w.sounds.to_json()} if w.sounds is not None else {})
            for w in self.words
        ]
        return {
            "reference": self.reference,
            "transcript": self.transcript,
            "wer": round(self.wer, 4),
            "score": self.score,
            "words": words,
            "practise": self.practise,
        }


def with_sounds(reading: Reading, sounds: list[Any]) -> Reading:
    """``reading`` with each word of the sentence given its sounds (``sounds``: one entry per
    word of the reference, None where not scored); a word not heard at all gets none. A word
    whose sounds were clearly wrong joins the words to practise."""
    it = iter(sounds)
    words = [
        replace(w, sounds=s if w.op in ("ok", "sub") else None) if w.ref else w
        for w in reading.words
        for s in ([next(it, None)] if w.ref else [None])
    ]
    flagged = [w.ref for w in words if w.sounds is not None and not w.sounds.ok]
    return replace(reading, words=words, practise=list(dict.fromkeys(reading.practise + flagged)))


def words_of(text: str) -> list[str]:
    """Lowercased words without punctuation: "Don't stop, Sam!" -> ["don't", "stop", "sam"]."""
    return WORD.findall(text.lower().replace("’", "'"))


def assess(
    reference: str,
    transcript: str,
    heard: list[tuple[str, float]] | None = None,
) -> Reading:
    """Align ``transcript`` to ``reference``; ``heard``: the recogniser's (word, probability)."""
    import jiwer

    ref = words_of(reference)
    if not ref:
        raise InputError(f"nothing to read in {reference!r}: give a sentence with words")
    probs: list[float | None]
    if heard is not None:
        pairs = [(tok, p) for word, p in heard for tok in words_of(word)]
        hyp = [tok for tok, _ in pairs]
        probs = [p for _, p in pairs]
    else:
        hyp = words_of(transcript)
        probs = [None] * len(hyp)
    if not hyp:
        words = [Word(r, None, "del") for r in ref]
        return Reading(reference, transcript, words, 1.0, 0, list(dict.fromkeys(ref)))
    out = jiwer.process_words(" ".join(ref), " ".join(hyp))
    words: list[Word] = []
    for chunk in out.alignments[0]:
        rs, rend = chunk.ref_start_idx, chunk.ref_end_idx
        hs, he = chunk.hyp_start_idx, chunk.hyp_end_idx
        if chunk.type in ("equal", "substitute"):
            op = "ok" if chunk.type == "equal" else "sub"
            words += [Word(ref[rs + i], hyp[hs + i], op, probs[hs + i]) for i in range(rend - rs)]
        elif chunk.type == "delete":
            words += [Word(ref[i], None, "del") for i in range(rs, rend)]
        else:  # insert
            words += [Word(None, hyp[i], "ins", probs[i]) for i in range(hs, he)]
    practise = [
        w.ref
        for w in words
        if w.ref
        and (
            w.op in ("sub", "del")
            or (w.op == "ok" and w.probability is not None and w.probability < UNSURE)
        )
    ]
    wer = float(out.wer)
    return Reading(
        reference,
        transcript,
        words,
        wer,
        max(0, round(100 * (1 - wer))),
        list(dict.fromkeys(practise)),
    )
