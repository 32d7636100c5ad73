"""Is this turn English at all? Refuse only what clearly is not; a mistake never is a reason.

A learner's sentence full of mistakes ("yesterday i goed to the beach", "my childs has many
homeworks") is the tutor's job, so the test is about *which language* the words are in,
never about how well they are put together:

1. **Script**: most letters outside the Latin alphabet (Cyrillic, Chinese...) -> not English.
   A Latin sentence with one Russian word in it ("i love борщ") is still English.
2. **Words**: when at least half the words are English (a word lemminflect's dictionary
   knows, a function word, a contraction, or a learner's made-up but English-built form
   such as "buyed" or "childs") the turn is English. Names and typos only lower the share.
3. **Language identifier**: below that share, py3langid decides; the turn is refused only
   when it gives English (with the English-based Nigerian Pidgin and Scots, which it
   offers for learner English) less than a 5% chance.

Turns under three words are only held to the script test: "hola amigo" gets a partner's
answer, not an error.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

from . import learner_forms

MIN_WORDS = 3
"""Shorter turns are refused only for their script."""
ENGLISH_SHARE = 0.5
"""At least this share of English words makes a turn English, whatever the identifier says."""
UNLIKELY = 0.05
"""Below this chance of English by the identifier (and the share above), a turn is refused."""
ENGLISH_CODES = ("en", "pcm", "sco")
"""py3langid's English and English-based languages: learner English often scores as these."""

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
CLITICS = frozenset({"t", "s", "m", "re", "ve", "ll", "d"})
"""English contraction endings (don't, it's, i'm, you're, we've, i'll, she'd)."""


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | {"i", "ok", "okay", "yes", "no", "hi", "hello", "bye"}


def is_english_word(word: str) -> bool:
    """True for a word of English, a contraction, or an English-built learner form."""
    w = word.lower().replace("’", "'")
    if "'" in w:
        head, _, tail = w.partition("'")
        return tail in CLITICS and (not head or is_english_word(head) or head.endswith("n"))
    return w in _function_words() or learner_forms.known(w) or learner_forms.is_learner_form(w)


def latin_share(text: str) -> float:
    """The share of letters in ``text`` that are in the Latin alphabet (1.0 with no letters)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 1.0
    latin = sum(c.isascii() or "LATIN" in unicodedata.name(c, "") for c in letters)
    return latin / len(letters)


def english_share(text: str) -> tuple[int, int]:
    """(English words, all words) in ``text``."""
    found = _WORD.findall(text)
    return sum(is_english_word(w) for w in found), len(found)


_identifier_lock = threading.Lock()


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def english_chance(text: str) -> float:
    """py3langid's probability that ``text`` is English (or English-based)."""
    with _identifier_lock:
        ranked = dict(_identifier().rank(text))
    return float(sum(ranked.get(code, 0.0) for code in ENGLISH_CODES))


def looks_english(text: str) -> bool:
    """False only for a turn that is clearly in another language (see the module doc)."""
    if latin_share(text) < 0.5:
        return False
    english, total = english_share(text)
    if total < MIN_WORDS or english >= ENGLISH_SHARE * total:
        return True
    return english_chance(text) >= UNLIKELY
