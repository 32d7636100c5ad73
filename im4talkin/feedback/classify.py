"""Kinds and explanations for corrections proposed by the LLM, from ERRANT's edit types.

The small LLM finds mistakes but labels them badly and sometimes rewrites correct words,
so its edits are classified with ERRANT and only grammatical ones are kept.
"""

from __future__ import annotations

from functools import lru_cache

from ..messages import Correction

_KINDS = {
    "VERB:TENSE": "tense",
    "VERB:SVA": "agreement",
    "VERB:FORM": "verb form",
    "VERB:INFL": "verb form",
    "NOUN:NUM": "countability",
    "NOUN:INFL": "countability",
    "DET": "article",
    "PREP": "preposition",
    "MORPH": "word choice",
    "ADJ:FORM": "comparison",
    "WO": "word order",
    "PRON": "grammar",
    "PART": "grammar",
    "CONJ": "grammar",
}
"""ERRANT type (without the M:/R:/U: prefix) -> learner-facing kind."""

_LEXICAL = {"VERB", "ADJ", "ADV"}
"""Content-word swaps: kept only between known confusables, else a rewrite of correct words."""

CONFUSABLES = frozenset(
    "much many few little less fewer say said tell told make made do did borrow lend "
    "bring take brought took hear listen see watch look very too so such".split()
)

_WHY = {
    "tense": "Use '{cor}' here: this tense fits the time you are talking about.",
    "agreement": "The verb must agree with its subject: '{cor}'.",
    "verb form": "This verb needs the form '{cor}' here.",
    "countability": "Use '{cor}': check if the noun is singular, plural or uncountable.",
    "article": "Use '{cor}' here: check the article before this noun.",
    "preposition": "The preposition that fits here is '{cor}'.",
    "word order": "Put the words in this order: '{cor}'.",
    "word choice": "'{cor}' is the word that fits here, not '{orig}'.",
    "comparison": "Use either more/most or the -er/-est form, not both.",
    "grammar": "Say '{cor}' here.",
}
_MISSING = "Add '{cor}' here."
_UNNEEDED = "Leave out '{orig}' here."


_HARMLESS = {"ORTH", "PUNCT", "SPELL", "CONTR"}
"""Edits that are ignored one by one: a transcript has no case or punctuation to fix."""

MAX_EDITS = 4
"""A rewrite with more edits than this is a paraphrase, not a correction: none is kept."""


@lru_cache(maxsize=1)
def _annotator(nlp):
    import errant

    return errant.load("en", nlp)


def _label(edit) -> tuple[str, str] | None:
    op, _, etype = edit.type.partition(":")
    if etype in _LEXICAL:
        words = {edit.o_str.lower(), edit.c_str.lower()}
        return ("word choice", op) if words <= CONFUSABLES else None
    return (_KINDS[etype], op) if etype in _KINDS else None


def _explain(kind: str, op: str, original: str, corrected: str) -> str:
    template = _WHY[kind]
    if op == "M" and kind in ("article", "preposition", "grammar"):
        template = _MISSING
    elif op == "U" and kind in ("article", "preposition", "grammar"):
        template = _UNNEEDED
    return template.format(cor=corrected, orig=original)


def corrections_from_rewrite(
    nlp, sentence: str, rewrite: str, source: str = "llm"
) -> list[Correction]:
    """The grammar edits that turn ``sentence`` into ``rewrite``, as corrections.

    Spelling, case and punctuation edits are skipped. A rewrite that swaps a correct
    content word changes the meaning, so none of its edits is trusted. An insertion is
    attached to the word before it ("explain" -> "explain to").
    """
    ann = _annotator(nlp)
    orig = ann.parse(sentence)
    edits = [e for e in ann.annotate(orig, ann.parse(rewrite)) if e.type[2:] not in _HARMLESS]
    labels = [_label(e) for e in edits]
    if len(edits) > MAX_EDITS or None in labels:
        return []
    out = []
    for edit, (kind, op) in zip(edits, labels, strict=True):
        lo, hi, corrected = edit.o_start, edit.o_end, edit.c_str
        if lo == hi:  # an insertion: show it with the word before (or after) it
            if lo > 0:
                lo, corrected = lo - 1, f"{orig[lo - 1].text} {corrected}"
            elif hi < len(orig):
                hi, corrected = hi + 1, f"{corrected} {orig[0].text}"
            else:
                continue
        span = orig[lo:hi]
        start, end = span.start_char, span.end_char
        original = sentence[start:end]
        why = _explain(kind, op, original, corrected)
        out.append(Correction(original, corrected, why, kind, source, start, end))
    return out
