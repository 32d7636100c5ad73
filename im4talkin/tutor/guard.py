"""Checks on the partner's words: a small model drifts, so each sentence is checked before
the learner sees it (role leaks, echoing the learner, corrections, repeats, runaway text)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

MAX_SENTENCES = 3
MAX_SENTENCE_WORDS = 30

_ROLE_LABEL = re.compile(r"^\s*(?:assistant|partner|tutor|teacher|ai|bot|[A-Z][a-z]+)\s*:\s*")
_LEAK = re.compile(
    r"(<\|[^>]*\|?>|</?s>|\[/?INST\]|###|^\s*(?:user|learner|student|human|system)\s*:)",
    re.IGNORECASE | re.MULTILINE,
)
_CORRECTING = re.compile(
    r"\b(you (?:should|could|can) say|the correct|correct(?:ly|ion)?|grammar|mistake|"
    r"instead of|did you mean|should be|better to say|we say)\b",
    re.IGNORECASE,
)
_ABBREV = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Prof|e\.g|i\.e|etc)\.$", re.IGNORECASE)
_END = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)")


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` without punctuation."""
    return re.findall(r"[a-z0-9']+", text.lower())


_FUNCTION = frozenset(
    "about after again also always because been before being could does doing done from "
    "have having here into just more most much never often only other over really same "
    "should some sometimes still such than that their them then there these they this "
    "those usually very were what when where which while will with would your yours".split()
)


def content_words(text: str) -> set[str]:
    """Words of four letters or more that carry meaning (no function words)."""
    return {w for w in words(text) if len(w) > 3 and w not in _FUNCTION}


def split_sentences(buffer: str, final: bool = False) -> tuple[list[str], str]:
    """Cut the complete sentences off the front of ``buffer``; return them and the rest.
    A sentence ending in "." is complete once something follows; one ending in "!" or "?"
    at once."""
    out: list[str] = []
    start = 0
    for match in _END.finditer(buffer):
        end = match.end()
        if end == len(buffer) and not final and buffer[end - 1] not in "!?":
            break  # "3." may go on as "3.5"; "Great!" is done (the voice can start)
        piece = buffer[start:end].strip()
        if piece and _ABBREV.search(piece):
            continue
        if piece:
            out.append(piece)
        start = end
    rest = buffer[start:]
    if final and rest.strip():
        out.append(rest.strip())
        rest = ""
    return out, rest


CLAUSE_MIN_WORDS = 3
"""A comma after at least this many words ends a first chunk worth saying on its own
("That sounds lovely," but not "Oh,")."""
CLAUSE_MAX_WORDS = 8
"""A first sentence this long with no comma yet is said in chunks: up to a linking word
among its last words, or else after this many words."""
_LINKS = frozenset(
    "and but because so or when while if that which who where to in at on for with".split()
)
_WORD = re.compile(r"\S+")


def first_clause(buffer: str) -> tuple[str, str] | None:
    """A clause at the start of ``buffer``, a sentence still being written, that can be
    said before the sentence ends, and the rest; None while there is none. Only whole
    words count: a word is whole once a space follows it."""
    words = list(_WORD.finditer(buffer))
    whole = words if buffer[-1:].isspace() else words[:-1]
    for i, word in enumerate(whole):
        if word.group().endswith(",") and i + 1 >= CLAUSE_MIN_WORDS:
            return buffer[: word.end()].strip(), buffer[word.end() :]
    if len(whole) < CLAUSE_MAX_WORDS:
        return None
    cut = CLAUSE_MAX_WORDS  # after this many words, or before the last linking word
    for i in range(min(CLAUSE_MAX_WORDS, len(whole) - 1), CLAUSE_MIN_WORDS, -1):
        if whole[i].group().lower() in _LINKS:
            cut = i
            break
    return buffer[: whole[cut - 1].end()].strip(), buffer[whole[cut - 1].end() :]


def leak_cut(text: str) -> tuple[str, bool]:
    """Text before any role leak or control token, and whether one was found."""
    match = _LEAK.search(text)
    return (text[: match.start()], True) if match else (text, False)


def clean(sentence: str) -> str:
    """Strip a speaker label ("Sam: ...") and surrounding quotes and spaces."""
    sentence = _ROLE_LABEL.sub("", sentence, count=1)
    return sentence.strip().strip('"').strip()


def _ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def echoes(sentence: str, learner: str, n: int = 4, share: float = 0.7) -> bool:
    """Whether ``sentence`` is mostly the learner's words given back: at least ``share`` of
    its words sit in runs of ``n`` or more words copied from the learner. An answer that
    names what was asked about ("The soup of the day is minestrone.") is not an echo."""
    said, mine = words(learner), words(sentence)
    if not said or not mine:
        return False
    if mine == said:
        return True
    theirs = _ngrams(said, n)
    covered = set()
    for i in range(len(mine) - n + 1):
        if tuple(mine[i : i + n]) in theirs:
            covered.update(range(i, i + n))
    return len(mine) >= max(n, 6) and len(covered) / len(mine) >= share


def similar(a: str, b: str, threshold: float = 0.8) -> bool:
    """Whether two sentences share most of their words (Jaccard overlap)."""
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= threshold


_GENERIC = frozenset(
    "what would like next sure else other plans anything something think about tell more "
    "really okay great good nice".split()
)
"""Words of a question that says nothing about the topic ("What would you like to do next?")."""


def generic_question(sentence: str) -> bool:
    """A question with no word of its own: it would fit any conversation."""
    return is_question(sentence) and all(w in _GENERIC for w in words(sentence) if len(w) > 3)


def same_pattern(sentence: str, earlier: Iterable[str], recent: int = 2, n: int = 3) -> bool:
    """A question that opens like one of the partner's last ``recent`` questions."""
    if not is_question(sentence) or len(words(sentence)) <= n:
        return False
    asked = [q for q in earlier if is_question(q)][-recent:]
    return any(words(q)[:n] == words(sentence)[:n] for q in asked)


def problem(sentence: str, learner: str, earlier: Sequence[str]) -> str | None:
    """Why ``sentence`` must not be said, or None when it is fine."""
    if not words(sentence):
        return "empty"
    if len(words(sentence)) > MAX_SENTENCE_WORDS:
        return "runaway"
    if _CORRECTING.search(sentence):
        return "corrects the learner"
    if echoes(sentence, learner):
        return "echoes the learner"
    if any(similar(sentence, old) for old in earlier):
        return "repeats an earlier sentence"
    if generic_question(sentence):
        return "generic question"
    if same_pattern(sentence, earlier):
        return "same question pattern"
    return None


def earlier_sentences(replies: Iterable[str]) -> Iterator[str]:
    """Every sentence of the partner's earlier replies."""
    for reply in replies:
        yield from split_sentences(reply, final=True)[0]


def is_question(sentence: str) -> bool:
    """Whether a sentence asks something."""
    return sentence.rstrip("\"') ").endswith("?")
