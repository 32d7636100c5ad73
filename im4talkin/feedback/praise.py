"""Praise for something specific the learner did well, read off the parsed sentence."""

from __future__ import annotations

from collections.abc import Sequence

from ..messages import Correction

_LINKERS = {
    "because": "giving a reason with 'because'",
    "when": "linking two ideas with 'when'",
    "although": "contrasting ideas with 'although'",
    "but": "contrasting ideas with 'but'",
    "so": "showing a result with 'so'",
    "if": "a condition with 'if'",
    "while": "linking two actions with 'while'",
    "after": "ordering events with 'after'",
    "before": "ordering events with 'before'",
    "which": "a relative clause with 'which'",
    "who": "a relative clause with 'who'",
}


def _overlaps(token, corrections: Sequence[Correction]) -> bool:
    start, end = token.idx, token.idx + len(token.text)
    return any(c.start < end and start < c.end for c in corrections)


def _irregular_past(doc, corrections) -> str | None:
    for tok in doc:
        if tok.tag_ == "VBD" and not _overlaps(tok, corrections):
            regular = tok.text.lower().endswith("ed")
            if not regular and tok.lemma_.lower() not in ("be",):
                return f"Well done with the irregular past '{tok.text}'."
    return None


def _tense(doc, corrections) -> str | None:
    for tok in doc:
        if _overlaps(tok, corrections):
            continue
        if tok.tag_ == "VBN" and any(c.lemma_ == "have" and c.dep_ == "aux" for c in tok.children):
            aux = next(c for c in tok.children if c.lemma_ == "have")
            return f"Nice present perfect: '{aux.text} {tok.text}'."
        if tok.tag_ == "VBD" and tok.lemma_ != "be":
            return f"Good past tense: '{tok.text}'."
    return None


def _linker(doc, corrections) -> str | None:
    for tok in doc:
        what = _LINKERS.get(tok.lower_)
        if what and tok.i > 0 and not _overlaps(tok, corrections):
            return f"Good job {what}."
    return None


def _vocabulary(doc, vocabulary: Sequence[str]) -> str | None:
    text = " " + " ".join(t.lower_ for t in doc) + " "
    for phrase in sorted(vocabulary, key=len, reverse=True):
        if f" {phrase.lower()} " in text:
            return f"Great topic word: '{phrase}'."
    return None


def praise_for(
    doc, corrections: Sequence[Correction], vocabulary: Sequence[str] = (), spoken: bool = False
) -> str:
    """One or two specific compliments for ``doc`` (a spaCy Doc of the learner sentence).

    For a ``spoken`` turn ``doc`` is what Whisper heard, and Whisper sometimes "fixes" a
    verb form itself (bench/mistake_survival.py), so verb forms are not praised there and a
    clean transcript is "no mistakes heard", not "no mistakes".
    """
    checks = [_linker(doc, corrections), _vocabulary(doc, vocabulary)]
    if not spoken:
        checks += [_irregular_past(doc, corrections), _tense(doc, corrections)]
    found = [p for p in checks if p]
    if not corrections:
        lead = (
            "I heard no mistakes, well done!"
            if spoken
            else "No mistakes in that sentence, well done!"
        )
        return f"{lead} {found[0]}" if found else lead
    if found:
        return found[0]
    content = [t.text for t in doc if t.pos_ in ("NOUN", "PROPN") and not _overlaps(t, corrections)]
    if content:
        return f"Your meaning was clear: I understood you were talking about '{content[-1]}'."
    return "Thanks for trying a full sentence: that is how you get better."
