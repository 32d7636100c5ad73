"""Verb rules of the learner-error engine (shared helpers live in ``rules_common.py``).

Each rule is a function ``rule(doc) -> list[Correction]``; ``rules.py`` runs them.
Verb rules here:

- ``past_time_present``   past time word + present/base verb -> past simple (tense)
- ``perfect_with_past``   "have seen" + finished time -> "saw" (tense)
- ``subject_verb``        "she speak", "my parents lives", "they is" (agreement)
- ``do_inflected``        "doesn't knows", "did you went" (verb form)
- ``modal_to``            "should to book" (verb form)
- ``if_will``             "if it will rain" (tense)
- ``be_agree``            "i am agree", "it is depend on" (verb form)
- ``forward_to``          "looking forward to meet" (verb form)
- ``regularised_past``    "teached", "buyed", "have goed" (verb form; in ``rules_forms.py``)
"""

from __future__ import annotations

import datetime

from im4talkin.feedback.rules_common import (
    NEG,
    VERBISH,
    auxes,
    fix,
    has_dep,
    inflect,
    past_form,
    person,
    present_form,
    subject,
    words,
)
from im4talkin.feedback.rules_forms import regularised_past
from im4talkin.messages import Correction

# --------------------------------------------------------------------------- past time

TIME_NOUNS = words(
    "week night year month summer winter spring autumn fall weekend time century decade"
    " semester term monday tuesday wednesday thursday friday saturday sunday january february"
    " march april may june july august september october november december christmas"
)
TIME_PREPS = {"in", "on", "at", "during", "before"}
TIME_OBJECT_VERBS = words(
    "remember forget miss recall love like hate enjoy mean spend describe imagine remind prefer"
    " compare"
)


def _time_start(tok):
    """If ``tok`` begins a finished past time phrase, the token that attaches it; else None."""
    word = tok.lower_
    if word in ("yesterday", "ago"):
        return tok
    noun = tok.head
    if word == "last" and tok.dep_ == "amod" and noun.lower_ in TIME_NOUNS and tok.i < noun.i:
        return None if has_dep(noun, "det", "poss") else noun  # not "the last week"
    year = word.isdigit() and len(word) == 4 and 1900 <= int(word) < datetime.date.today().year
    return noun if year and tok.dep_ == "pobj" and noun.lower_ == "in" else None


def _attach(node):
    """Climb from a time phrase to the verb it modifies, or None."""
    for _ in range(5):
        head = node.head
        if head == node:
            return None
        if node.dep_ == "pobj" and head.lower_ in TIME_PREPS:
            node = head
        elif node.dep_ in ("npadvmod", "advmod", "prep", "tmod") and head.pos_ in VERBISH:
            return head
        elif node.dep_ in ("npadvmod", "prep") and head.lower_ in TIME_NOUNS | {"ago"}:
            node = head
        else:
            return None
    return None


def past_anchors(doc):
    """(time token, verb) pairs: each finished past time phrase and the verb it belongs to."""
    out = []
    for tok in doc:
        start = _time_start(tok)
        verb = _attach(start) if start is not None else None
        if verb is None or subject(verb) is None and not has_dep(verb, "expl"):
            continue
        lo, hi = sorted((tok.i, verb.i))
        if any(t.pos_ in VERBISH and t.dep_ not in ("aux", "auxpass") for t in doc[lo + 1 : hi]):
            continue  # another verb in between: the attachment is a guess
        if tok.i > verb.i and verb.lemma_ in TIME_OBJECT_VERBS:
            continue  # "i remember last summer": the time is the object
        out.append((tok, verb))
    return out


def _time_words(doc, tok) -> str:
    """Short text of the time phrase around ``tok`` for the explanation."""
    if tok.lower_ == "last":
        return f"{tok.text} {tok.head.text}"
    if tok.lower_ == "ago":
        return " ".join(t.text for t in tok.subtree)
    if tok.like_num:
        return f"in {tok.text}"
    return tok.text


def _past_targets(verb):
    """The verb and its subject-less coordinated verbs."""
    yield verb
    for c in verb.children:
        if c.dep_ == "conj" and c.pos_ in VERBISH and subject(c) is None:
            yield c


def past_time_present(doc) -> list[Correction]:
    """Past time phrase + present or base verb in the same clause -> past simple."""
    out = []
    for tok, verb in past_anchors(doc):
        who = person(subject(verb))
        for v in _past_targets(verb):
            if v.tag_ not in ("VBP", "VBZ", "VB") or v.lower_ in ("'s", "'re", "'m"):
                continue
            aux = auxes(v)
            when = _time_words(doc, tok)
            if aux:
                if len(aux) == 1 and aux[0].lemma_ == "do" and aux[0].tag_ in ("VBP", "VBZ"):
                    why = f"After a past time like '{when}', use the past: did."
                    out.append(fix(doc, aux[0].i, aux[0].i + 1, "did", why, "tense"))
                continue
            new = past_form(v.lemma_, who)
            if new and new != v.lower_:
                why = f"After a past time like '{when}', use the past simple: {new}."
                out.append(fix(doc, v.i, v.i + 1, new, why, "tense"))
    return out


def _perfect_span(verb):
    """(first, last) token indexes of "have (not) + participle", or None."""
    aux = auxes(verb)
    if not aux or aux[0].lemma_ != "have" or aux[0].tag_ not in ("VBP", "VBZ"):
        return None
    between = verb.doc[aux[0].i + 1 : verb.i]
    if any(t.lower_ not in NEG and t.lower_ != "been" for t in between):
        return None
    return aux[0].i, verb.i


def perfect_with_past(doc) -> list[Correction]:
    """Present perfect with a finished time (yesterday, last week...) -> past simple."""
    out = []
    for tok, verb in past_anchors(doc):
        span = _perfect_span(verb) if verb.tag_ == "VBN" else None
        if span is None:
            continue
        i, j = span
        who = person(subject(verb))
        neg = [t for t in doc[i:j] if t.lower_ in NEG]
        passive = any(t.lower_ == "been" for t in doc[i:j])
        if passive:
            new, j = past_form("be", who), j - 1
        elif verb.lemma_ == "be" and any(c.lower_ == "to" for c in verb.children):
            new = "went"
        else:
            new = past_form(verb.lemma_, who)
        if new is None or neg and (passive or verb.lemma_ == "be"):
            continue
        if neg:
            new = ("didn't " if neg[0].lower_ == "n't" else "did not ") + inflect(verb.lemma_, "VB")
        why = f"'{_time_words(doc, tok)}' is finished time, so use the past simple: {new}."
        out.append(fix(doc, i, j + 1, new, why, "tense"))
    return out


# --------------------------------------------------------------------------- agreement

ZERO_PLURAL = words("sheep fish deer aircraft offspring salmon trout bison god")  # god bless


def _finite(verb):
    """The word that carries tense and person: the first auxiliary, or the verb itself."""
    aux = [a for a in auxes(verb) if a.i < verb.i]
    return aux[0] if aux else verb


def _has_past(doc) -> bool:
    """True when the sentence talks about the past (a past verb or a past time phrase)."""
    return any(t.tag_ == "VBD" for t in doc) or bool(past_anchors(doc))


def _expected(fin, verb, who, past_context):
    """The agreeing form of ``fin`` for ``who``, or None when nothing is wrong or unsure."""
    word, lemma = fin.lower_, fin.lemma_.lower()
    if fin.tag_ == "VBD":
        return "were" if word == "was" and who in ("2", "pl") else None
    if fin.tag_ == "VB":
        if fin != verb or verb.dep_ != "ROOT" or who != "3sg" or past_context:
            return None
        if any(c.dep_ in ("mark", "aux") for c in verb.children):
            return None
    elif fin.tag_ not in ("VBZ", "VBP"):
        return None
    if lemma != "be" and word not in (inflect(lemma, "VB"), inflect(lemma, "VBZ")):
        return None
    if lemma != "be" and inflect(lemma, "VBD") == inflect(lemma, "VB"):
        return None  # "she read", "he put": may be past
    if who == "3sg" and fin.tag_ != "VBZ" and past_context:
        return None
    new = present_form(lemma, who)
    return None if new == word else new


def subject_verb(doc) -> list[Correction]:
    """The verb (or its first auxiliary) must agree with a pronoun or noun subject."""
    out, past_context = [], _has_past(doc)
    for verb in doc:
        if verb.pos_ not in VERBISH or verb.dep_ in ("aux", "auxpass"):
            continue
        subj = subject(verb)
        who = person(subj)
        fin = _finite(verb)
        if who is None or subj.lower_ in ZERO_PLURAL or fin.text.startswith("'"):
            continue
        new = _expected(fin, verb, who, past_context)
        if new:
            name = subj.head.head.text if subj.tag_ in ("WP", "WDT") else subj.text
            why = f"With '{name}' as the subject, say '{new}', not '{fin.text}'."
            if who == "3sg" and new == fin.lower_ + "s":
                why = f"With '{name}' (he/she/it), the present verb takes -s: {new}."
            out.append(fix(doc, fin.i, fin.i + 1, new, why, "agreement"))
    return out


# --------------------------------------------------------------------------- verb forms


def do_inflected(doc) -> list[Correction]:
    """After do/does/did (didn't...), the main verb stays in the base form."""
    out = []
    for aux in doc:
        verb = aux.head
        if aux.lemma_ != "do" or aux.dep_ != "aux" or verb.tag_ not in ("VBD", "VBZ", "VBN"):
            continue
        base = inflect(verb.lemma_, "VB")
        if verb.pos_ in VERBISH and verb.lower_ != base:
            why = f"After '{aux.text}', use the base verb: {base}."
            out.append(fix(doc, verb.i, verb.i + 1, base, why, "verb form"))
    return out


MODALS = {"should", "must", "can", "will", "could", "would", "might", "may", "shall", "ca", "wo"}


def modal_to(doc) -> list[Correction]:
    """No 'to' between a modal (can, should, must...) and its verb."""
    out = []
    for md in doc:
        if md.tag_ != "MD" or md.lower_ not in MODALS:
            continue
        k = md.i + 1
        while k < len(doc) and doc[k].lower_ in NEG:
            k += 1
        if k + 1 >= len(doc) or doc[k].lower_ != "to" or doc[k + 1].tag_ != "VB":
            continue
        keep = doc.text[md.idx : doc[k].idx].rstrip()
        name = "can" if md.lower_ == "ca" else "will" if md.lower_ == "wo" else md.lower_
        why = f"After '{name}', use the verb without 'to': {name} {doc[k + 1].text}."
        out.append(fix(doc, md.i, k + 1, keep, why, "verb form"))
    return out


def _result_clause(verb) -> bool:
    """True when ``verb`` heads a main clause about the future (modal or imperative)."""
    if any(a.tag_ == "MD" for a in auxes(verb)):
        return True
    return verb.tag_ == "VB" and verb.dep_ == "ROOT" and subject(verb) is None


POLITE_WILL = ("excuse", "bear")  # "if you will excuse me"


def if_will(doc) -> list[Correction]:
    """In an 'if'/'unless' condition, use the present simple instead of 'will'."""
    out = []
    for verb in doc:
        marks = [c for c in verb.children if c.dep_ == "mark" and c.lower_ in ("if", "unless")]
        aux = auxes(verb)
        if not marks or verb.dep_ != "advcl" or len(aux) != 1 or aux[0].tag_ != "MD":
            continue
        will, who = aux[0], person(subject(verb))
        if will.lower_ not in ("will", "'ll", "wo") or who is None or verb.lemma_ in POLITE_WILL:
            continue
        if not _result_clause(verb.head):
            continue
        neg = [t for t in doc[will.i + 1 : verb.i] if t.lower_ in NEG]
        if verb.i - will.i - 1 != len(neg):
            continue
        if neg and verb.lemma_ == "be":
            continue
        if neg:
            do = present_form("do", who)
            new = f"{do}n't {verb.lemma_}" if neg[0].lower_ == "n't" else f"{do} not {verb.lemma_}"
        else:
            new = present_form(verb.lemma_.lower(), who)
        why = f"After '{marks[0].text}', use the present simple, not 'will': {new}."
        out.append(fix(doc, will.i, verb.i + 1, new, why, "tense"))
    return out


BE_VERBS = {"agree", "disagree", "depend"}


def be_agree(doc) -> list[Correction]:
    """'agree'/'depend' are verbs: "i am agree" -> "i agree"."""
    out = []
    for tok in doc:
        j = tok.i - 1
        if tok.lower_ not in BE_VERBS or j < 0:
            continue
        neg = doc[j] if doc[j].lower_ in NEG else None
        j -= 1 if neg is not None else 0
        be = doc[j] if j >= 0 else None
        if be is None or be.lemma_ != "be" or be.tag_ not in ("VBP", "VBZ", "VBD"):
            continue
        who, past = person(subject(tok) or subject(be)), be.tag_ == "VBD"
        if who is None and not past:
            continue
        if neg is not None:
            do = "did" if past else present_form("do", who)
            new = f"{do}n't {tok.lower_}" if neg.lower_ == "n't" else f"{do} not {tok.lower_}"
        else:
            new = inflect(tok.lower_, "VBD") if past else present_form(tok.lower_, who)
        why = f"'{tok.lower_}' is a verb, so don't put '{be.text}' before it: {new}."
        out.append(fix(doc, be.i, tok.i + 1, new, why, "verb form"))
    return out


def forward_to(doc) -> list[Correction]:
    """'look forward to' is followed by a noun or an -ing verb: "to meeting"."""
    out = []
    for tok in doc[1:-2]:
        verb, look, to = doc[tok.i + 2], doc[tok.i - 1], doc[tok.i + 1]
        if tok.lower_ != "forward" or look.lemma_ != "look" or to.lower_ != "to":
            continue
        if verb.tag_ == "VB" and verb.pos_ in VERBISH:
            new = inflect(verb.lemma_, "VBG")
            why = f"After 'look forward to', use the -ing form: {new}."
            out.append(fix(doc, verb.i, verb.i + 1, new, why, "verb form"))
    return out


VERB_RULES = (
    past_time_present, perfect_with_past, if_will, do_inflected, modal_to, be_agree, forward_to,
    regularised_past, subject_verb,
)  # fmt: skip
