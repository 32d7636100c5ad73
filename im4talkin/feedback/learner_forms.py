"""Words learners make up by applying a regular rule where English has an exception.

"goed", "buyed", "catched" (an irregular verb made regular), "childs", "mans", "childrens"
(an irregular plural made regular) and "informations", "advices" (a plural of an
uncountable noun) are not English words, yet a learner who says them is speaking English.
Each finder here looks at one word on its own, with lemminflect's dictionary, so it works
however spaCy tagged the made-up word; :mod:`.rules` turns the finds into corrections and
:mod:`.language` counts them as English.
"""

from __future__ import annotations

from functools import lru_cache

from .rules_common import all_forms, words

DUAL_PAST = words("leap knit slay awake sneak spit text forecast broadcast")
"""Verbs whose regular past is right too (leaped and leapt)."""

UNCOUNTABLE = words(
    "advice information furniture luggage baggage equipment homework knowledge money research"
    " traffic evidence progress music weather news rice bread software housework feedback"
    " scenery jewellery jewelry clothing machinery garbage rubbish"
)
NEVER_PLURAL = words(
    "advices informations furnitures luggages baggages equipments homeworks knowledges"
    " evidences softwares houseworks feedbacks musics sceneries jewelleries jewelries"
    " clothings machineries garbages rubbishes"
)
"""Plurals of uncountable nouns that are never right."""
NOUN_ONLY_PLURAL = words("researches traffics weathers progresses")
"""Plurals of uncountable nouns that are also verbs ("she researches"): wrong as nouns only."""


@lru_cache(maxsize=8192)
def known(word: str) -> bool:
    """True when lemminflect's dictionary has ``word`` as a form of some word."""
    from lemminflect import getAllLemmas

    return bool(getAllLemmas(word.lower()))


@lru_cache(maxsize=8192)
def overregular_verb(word: str) -> str | None:
    """The irregular verb that ``word`` makes regular ("teached" -> "teach"), else None.

    Only a made-up form counts: a word lemminflect knows ("needed", "bred", "putted") is
    left alone, and so are verbs whose regular past is right too ("learned", "dreamed").
    """
    w = word.lower()
    if len(w) < 4 or not w.isalpha() or not w.endswith("d") or known(w):
        return None
    stems = [w[:-2], w[:-1]] if w.endswith("ed") else [w[:-1]]
    if w.endswith("ed") and len(w) > 4 and w[-3] == w[-4]:
        stems.append(w[:-3])  # runned, swimmed
    for lemma in stems:
        past = all_forms(lemma, "VBD", "VBN")
        if not past or lemma in DUAL_PAST:
            continue
        if not any(f.endswith("ed") for f in past):  # an irregular verb
            return lemma
    return None


@lru_cache(maxsize=8192)
def overregular_plural(word: str) -> tuple[str, str] | None:
    """(singular, right plural) when ``word`` is a regular plural of an irregular noun.

    "childs" -> ("child", "children"), "sheeps" -> ("sheep", "sheep"), and a plural made
    plural again: "childrens" -> ("child", "children"), "peoples" -> ("person", "people").
    None for anything else.
    """
    from lemminflect import getAllInflections, getAllLemmas

    w = word.lower()
    if len(w) < 4 or not w.isalpha() or not w.endswith("s"):
        return None
    if w == "peoples":
        return "person", "people"
    for stem in (w[:-1], w[:-2] if w.endswith("es") else ""):
        plurals = getAllInflections(stem, upos="NOUN").get("NNS", ()) if stem else ()
        if plurals and w not in plurals and stem + "s" not in plurals:
            return stem, plurals[0]
    stem = w[:-1]  # "childrens": a plural that is already irregular, with -s added
    for lemma in getAllLemmas(stem, upos="NOUN").get("NOUN", ()):
        plurals = getAllInflections(lemma, upos="NOUN").get("NNS", ())
        if stem in plurals and stem != lemma and lemma + "s" not in plurals:
            return lemma, stem
    return None


def uncountable_singular(word: str) -> str | None:
    """'advices' -> "advice": the uncountable noun ``word`` is a plural of, else None."""
    w = word.lower()
    if w not in NEVER_PLURAL and w not in NOUN_ONLY_PLURAL:
        return None
    for stem in (w[:-1], w[:-2], w[:-3] + "y"):
        if stem in UNCOUNTABLE:
            return stem
    return None


def is_learner_form(word: str) -> bool:
    """True for a made-up but English-built word a learner says ("goed", "childs")."""
    return bool(overregular_verb(word) or overregular_plural(word) or uncountable_singular(word))
