"""Rules for made-up learner forms: irregular verbs and plurals made regular, uncountable plurals.

The words are found by :mod:`.learner_forms` on their own, whatever spaCy tagged them; the
rules here choose the right form from the words around them. ``rules_verbs.py`` and
``rules.py`` run them in their priority order.
"""

from __future__ import annotations

from im4talkin.feedback import learner_forms as lf
from im4talkin.feedback.learner_forms import DUAL_PAST, overregular_verb
from im4talkin.feedback.rules_common import all_forms, fix, inflect, words
from im4talkin.messages import Correction

# --------------------------------------------------------------------------- verbs


def _irregular_lemma(tok) -> str | None:
    """The irregular verb that ``tok`` ("teached", "swimmed") wrongly makes regular, if any.

    A made-up word counts whatever spaCy tagged it; a word spaCy tagged as a past form counts
    when it is not one of that verb's own forms.
    """
    word = tok.lower_
    lemma = overregular_verb(word)
    if lemma or tok.tag_ not in ("VBD", "VBN") or not word.endswith("ed"):
        return lemma
    for lemma in (tok.lemma_.lower(), word[:-2], word[:-1], word[:-3]):
        regular = {lemma + "ed", lemma + "d", lemma + lemma[-1:] + "ed"}
        forms = all_forms(lemma, "VBD", "VBN") if word in regular else set()
        if forms:
            return None if word in forms or lemma in DUAL_PAST else lemma
    return None


PERFECT = words("have has had having 've 's been")
PASSIVE = words("am is are was were be being get gets got gotten getting 'm 're")
BASE_AFTER = words("did do does to can could will would shall should may might must")
ADVERBS = words("not n't never ever already just also recently really still yet always even")


def _form_wanted(doc, i: int) -> tuple[str, str]:
    """The Penn tag the verb at ``i`` needs, from the words before it, and the word that says so.

    After have/be (skipping adverbs and, in a question, the subject): the participle
    ("have you ever gone", "was stolen"); after did/to/a modal: the base form ("did you
    buy"); otherwise the past simple.
    """
    subject_seen = False
    for j in range(i - 1, max(i - 5, -1), -1):
        word = doc[j].lower_
        if word in ADVERBS:
            continue
        if word in PERFECT or word in PASSIVE:
            return "VBN", doc[j].text
        if word in BASE_AFTER:
            return "VB", doc[j].text
        if doc[j].pos_ == "PRON" and not subject_seen:
            subject_seen = True
            continue
        break
    return "VBD", ""


def regularised_past(doc) -> list[Correction]:
    """Irregular verbs made regular: "teached" -> "taught", "have goed" -> "have gone"."""
    out = []
    for tok in doc:
        lemma = _irregular_lemma(tok)
        if lemma is None:
            continue
        tag, after = _form_wanted(doc, tok.i)
        new = inflect(lemma, tag)
        if new != tok.lower_ and (tag == "VB" or not new.endswith("ed")):
            if tag == "VB":
                why = f"After '{after}', use the base form: {new}."
            else:
                form = "past participle" if tag == "VBN" else "past"
                why = f"'{lemma}' is irregular: its {form} is '{new}'."
            out.append(fix(doc, tok.i, tok.i + 1, new, why, "verb form"))
    return out


# --------------------------------------------------------------------------- nouns


def uncountable_plural(doc) -> list[Correction]:
    """Uncountable nouns have no plural: "advices" -> "advice"."""
    out = []
    for tok in doc:
        new = lf.uncountable_singular(tok.lower_)
        if new and (tok.lower_ in lf.NEVER_PLURAL or tok.pos_ in ("NOUN", "PROPN")):
            why = f"'{new}' is uncountable: it has no plural form."
            out.append(fix(doc, tok.i, tok.i + 1, new, why, "countability"))
    return out


def irregular_plural(doc) -> list[Correction]:
    """Irregular plurals made regular: "childs" -> "children", "childrens" -> "children"."""
    out = []
    for i, tok in enumerate(doc):
        found = lf.overregular_plural(tok.lower_)
        if found is None:
            continue
        singular, plural = found
        if lf.known(tok.lower_) and tok.pos_ in ("VERB", "AUX"):
            continue  # "he mans the desk", "she foots the bill"
        nxt = doc[i + 1].lower_ if i + 1 < len(doc) else ""
        if tok.lower_ == "peoples" and nxt == "of":
            continue  # "the peoples of europe": nations
        if tok.lower_ == plural + "s":
            why = f"'{plural}' is already plural: it takes no -s."
        else:
            why = f"The plural of '{singular}' is '{plural}'."
        out.append(fix(doc, tok.i, tok.i + 1, plural, why, "countability"))
    return out
