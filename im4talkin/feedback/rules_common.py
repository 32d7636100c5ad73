"""Helpers shared by the learner-error rules in ``rules_verbs.py`` and ``rules.py``.

Word lists (``words``, ``VERBISH``, ``NEG``...), token tests (``has_dep``, ``of_phrase``,
``plural_noun``), subject and person lookup (``subject``, ``person``), verb forms via
lemminflect (``inflect``, ``all_forms``, ``present_form``, ``past_form``, ``auxes``) and
``fix``, which builds a ``Correction`` for a token span.
"""

from __future__ import annotations

from functools import lru_cache

from im4talkin.messages import Correction


def words(text: str) -> frozenset[str]:
    """A word list written as one string."""
    return frozenset(text.split())


VERBISH = ("VERB", "AUX")
SUBJ = ("nsubj", "nsubjpass")
NEG = ("not", "n't")
COLLECTIVE = words(
    "police staff family team government group crew class audience committee couple majority"
    " minority number rest lot half total percent cattle public company band army jury media"
    " data personnel youth none all most some any series species"
)
NOT_PLURAL = words(
    "news physics mathematics maths economics politics athletics gymnastics series species"
    " means headquarters diabetes measles"
)


PRONOUNS = dict(i="1sg", you="2", we="pl", they="pl", he="3sg", she="3sg", it="3sg")


def has_dep(tok, *deps: str) -> bool:
    """True when ``tok`` has a child with one of the dependency labels ``deps``."""
    return any(c.dep_ in deps for c in tok.children)


def of_phrase(noun) -> bool:
    """True for "a lot *of* ...", "one *of* ...": the number may come from the other noun."""
    return any(c.dep_ == "prep" and c.lower_ == "of" for c in noun.children)


@lru_cache(maxsize=4096)
def inflect(lemma: str, tag: str) -> str:
    """The form of ``lemma`` for a Penn ``tag`` (lemminflect, imported lazily)."""
    from lemminflect import getInflection

    forms = getInflection(lemma.lower(), tag)
    return forms[0] if forms else lemma.lower()


def all_forms(lemma: str, *tags: str) -> set[str]:
    """Every form lemminflect knows for ``lemma`` under ``tags`` (variants included)."""
    from lemminflect import getAllInflections

    table = getAllInflections(lemma.lower(), upos="VERB")
    return {f for t in tags for f in table.get(t, ())}


def match_case(original: str, new: str) -> str:
    """Give ``new`` the capitalisation of ``original`` (lower in, lower out)."""
    if len(original) > 1 and original.isupper():
        return new.upper()
    if original[:1].isupper() and not new[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def fix(doc, i: int, j: int, new: str, why: str, kind: str) -> Correction:
    """A correction replacing tokens ``doc[i:j]`` with ``new``.

    A span that starts with a clitic ("'ve", "'ll", "'m") takes the word before it too,
    so the corrected sentence does not glue words together ("i've seen" -> "i saw").
    """
    if doc[i].text.startswith("'") and i > 0:
        new = doc[i - 1].text + " " + new
        i -= 1
    start, end = doc[i].idx, doc[j - 1].idx + len(doc[j - 1].text)
    original = doc.text[start:end]
    return Correction(original, match_case(original, new), why, kind, "rules", start, end)


def subject(verb):
    """The subject token of ``verb`` (or of its auxiliaries' clause), or None."""
    subs = [c for c in verb.children if c.dep_ in SUBJ]
    return subs[0] if subs else None


def person(subj) -> str | None:
    """'1sg', '2', '3sg' or 'pl' for a subject token; None when unsure."""
    if subj is None or has_dep(subj, "conj", "cc"):
        return None
    word = subj.lower_
    if word in PRONOUNS:
        return PRONOUNS[word]
    if subj.tag_ in ("WP", "WDT") and subj.head.dep_ == "relcl":
        return person(subj.head.head) if subj.head.head.pos_ == "NOUN" else None
    if word in COLLECTIVE or of_phrase(subj):
        return None
    if subj.tag_ in ("NN", "NNP") and subj.pos_ in ("NOUN", "PROPN"):
        return "3sg"
    if plural_noun(subj) and not has_dep(subj, "nummod"):
        return "pl"
    return None


def plural_noun(tok) -> bool:
    """True for a real plural noun ("bags", "people"), not "news" or "physics"."""
    word = tok.lower_
    if tok.tag_ != "NNS" or word in NOT_PLURAL or word.endswith("ics"):
        return False
    return word != tok.lemma_.lower() or word in ("people", "cattle")


def present_form(lemma: str, who: str) -> str:
    """Present simple of ``lemma`` for a person ('1sg', '2', '3sg', 'pl')."""
    if lemma == "be":
        return {"1sg": "am", "3sg": "is"}.get(who, "are")
    return inflect(lemma, "VBZ") if who == "3sg" else inflect(lemma, "VB")


def past_form(lemma: str, who: str | None) -> str | None:
    """Past simple of ``lemma``; for 'be' it needs the person (None when unknown)."""
    if lemma == "be":
        return None if who is None else ("was" if who in ("1sg", "3sg") else "were")
    return inflect(lemma, "VBD")


def auxes(verb) -> list:
    """The auxiliaries of ``verb`` in sentence order."""
    return [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
