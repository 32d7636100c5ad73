"""Kinds and explanations for corrections proposed by the LLM, from ERRANT's edit types.

The small LLM finds mistakes but labels them badly and sometimes rewrites correct words,
so its edits are classified with ERRANT and only grammatical ones are kept.
"""

from __future__ import annotations

from functools import lru_cache

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


@lru_cache(maxsize=1)
def _annotator(nlp):
    import errant

    return errant.load("en", nlp)


def classify(
    nlp, sentence: str, original: str, corrected: str, start: int
) -> tuple[str, str] | None:
    """(kind, explanation) of replacing ``original`` at ``start`` by ``corrected``.

    None when the edit is not a grammar fix a learner should see: spelling, case,
    punctuation, or a swap of correct content words.
    """
    fixed = sentence[:start] + corrected + sentence[start + len(original) :]
    ann = _annotator(nlp)
    edits = ann.annotate(ann.parse(sentence), ann.parse(fixed))
    if not edits:
        return None
    kinds = []
    for edit in edits:
        op, _, etype = edit.type.partition(":")
        if etype in _LEXICAL:
            words = {edit.o_str.lower(), edit.c_str.lower()}
            if not words <= CONFUSABLES:
                return None
            kinds.append(("word choice", op))
        elif etype in _KINDS:
            kinds.append((_KINDS[etype], op))
        else:
            return None
    kind, op = kinds[0]
    if kind == "word choice" and len(kinds) > 1:
        kind, op = kinds[1]
    template = _WHY[kind]
    if op == "M" and kind in ("article", "preposition", "grammar"):
        template = _MISSING
    elif op == "U" and kind in ("article", "preposition", "grammar"):
        template = _UNNEEDED
    return kind, template.format(cor=corrected, orig=original)
