"""Pronunciation feedback: which sounds of each word were said as another sound, or not said.

The method is goodness of pronunciation from CTC posteriors: the phoneme recogniser's frames
are scored against the sentence as it should sound, and against the same sentence with one
phone changed (to a sound learners put in its place) or left out. A phone's score is how
much of that likelihood the right sound keeps (0-100). A phone is flagged only when a change that makes it another word (a consonant, or
a vowel of a minimal pair such as ship/sheep) is far more likely than the right sound:
an accent is not a mistake, and a word read well must not be flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..messages import PhoneFrames
from .ctc import NEG, log_likelihoods

Phones = tuple[str, ...]

VOWELS = frozenset("ɑ æ ʌ ə ɔ aʊ aɪ ɛ ɝ eɪ ɪ i oʊ ɔɪ ʊ u".split())

LEARNER_SWAPS: dict[str, tuple[str, ...]] = {
    "θ": ("s", "t", "f"), "ð": ("z", "d", "v"), "v": ("w", "f", "b"), "w": ("v",),
    "ɹ": ("l",), "l": ("ɹ",), "ɪ": ("i",), "i": ("ɪ",), "æ": ("ɛ", "ʌ"), "ɛ": ("æ",),
    "ʊ": ("u",), "u": ("ʊ",), "b": ("p", "v"), "d": ("t",), "g": ("k",), "z": ("s",),
    "ʒ": ("ʃ",), "d͡ʒ": ("t͡ʃ", "j", "ʒ"), "s": ("ʃ", "θ"), "ʃ": ("s",), "p": ("b", "f"),
    "f": ("p",), "ŋ": ("n",), "n": ("ŋ",), "h": (), "t͡ʃ": ("ʃ",), "j": ("d͡ʒ",),
}  # fmt: skip
"""Sounds learners put in place of each sound (Russian, Mandarin, Spanish, Japanese, Korean,
Arabic, German speakers); leaving a consonant out is always tried too."""

MINIMAL_VOWELS = frozenset(frozenset(p) for p in (("ɪ", "i"), ("æ", "ɛ"), ("ʊ", "u"), ("æ", "ʌ")))
"""Vowel swaps that change the word (ship/sheep, bad/bed, full/fool, cat/cut); other vowel
differences are accents."""

FLAG_MARGIN = 2.5
"""A change is flagged when its log-likelihood beats the right sound's by this much (nats)."""
DROP_MARGIN = 4.0
"""...and a sound left out by this much: a short consonant (a final stop's release) takes
few frames, so the recogniser "loses" it easily in speech read right."""

TIPS = {
    "θ": "put your tongue between your teeth and blow, without voice, for /θ/",
    "ð": "put your tongue between your teeth, with voice, for /ð/",
    "v": "touch your lower lip with your top teeth and use your voice for /v/",
    "w": "round your lips and do not touch them with your teeth for /w/",
    "ɹ": "curl your tongue back without touching the roof of your mouth for /r/",
    "l": "touch the ridge behind your top teeth with the tip of your tongue for /l/",
    "ɪ": "keep /ɪ/ short and relaxed, as in 'ship'",
    "i": "make /i/ long, with spread lips, as in 'sheep'",
    "æ": "open your mouth wide for /æ/, as in 'cat'",
    "ɛ": "open your mouth only half way for /ɛ/, as in 'bed'",
    "ʊ": "keep /ʊ/ short, as in 'full'",
    "u": "make /u/ long, with round lips, as in 'fool'",
    "ʌ": "say /ʌ/ short and open, as in 'cut'",
    "h": "breathe out at the start for /h/",
}
"""How to make a sound, in words a learner understands; other sounds get a general line."""

NASALS = frozenset({"m", "n", "ŋ"})

VOICED = {"b": "p", "d": "t", "g": "k", "v": "f", "z": "s", "ʒ": "ʃ", "d͡ʒ": "t͡ʃ", "ð": "θ"}


@dataclass(frozen=True)
class WordSounds:
    """How one word of a read sentence sounded."""

    word: str
    expected: Phones
    heard: Phones
    """The expected phones with each replaced by the likelier change, where one is likelier;
    a left-out phone is missing here."""
    phone_scores: tuple[int, ...]
    score: int
    """0-100: the mean share of the likelihood the right sounds keep."""
    ok: bool
    """False when a sound that changes the word was clearly said as another (or left out)."""
    note: str = ""
    """What to fix, in one line a learner understands ('' when ok)."""
    change: tuple[str, str] = ()
    """The flagged sound and what was heard instead ("" when it was left out); () when ok."""
    margin: float = 0.0
    """How much likelier (nats) the flagged change was than the right sound."""

    def to_json(self) -> dict:
        return {
            "expected": "".join(self.expected),
            "heard": "".join(self.heard),
            "score": self.score,
            "ok": self.ok,
        } | ({"note": self.note} if self.note else {})


def _changes_word(phones: Phones, at: int, heard: str) -> bool:
    """Whether saying ``heard`` (``""``: nothing) for ``phones[at]`` makes another word."""
    expected = phones[at]
    after = phones[at + 1] if at + 1 < len(phones) else ""
    before = phones[at - 1] if at else ""
    if expected in VOWELS:  # a vowel before r is neither long nor short (here, hear)
        return heard != "" and frozenset((expected, heard)) in MINIMAL_VOWELS and after != "ɹ"
    if heard in VOWELS:
        return False
    if {expected, heard} == {"t", "d"} and after in VOWELS and (before in VOWELS or before == "ɹ"):
        return False  # the American flap: water, eating, party
    if (
        expected in NASALS
        and heard in ("", "n")
        and (after and after not in VOWELS or (expected == "ŋ" and before == "ɪ" and not after))
    ):
        return False  # a nasal before a consonant is often only a nasal vowel (want); goin'
    return not (heard == "" and expected == "ɹ")  # a silent r after a vowel is British


def _note(word: str, expected: Phones, position: int, heard: str) -> str:
    phone = expected[position]
    where = (
        "the first sound"
        if position == 0
        else "the last sound"
        if position == len(expected) - 1
        else f"the /{phone}/"
    )
    if heard == "":
        what = (
            f"{where} /{phone}/ was missing"
            if where != f"the /{phone}/"
            else f"{where} was missing"
        )
    else:
        what = (
            f"{where} was /{heard}/"
            if where != f"the /{phone}/"
            else f"{where} sounded like /{heard}/"
        )
    if VOICED.get(phone) == heard:
        tip = f"keep your voice on for /{phone}/ and make the vowel before it a little longer"
    else:
        tip = TIPS.get(
            phone, f"say /{phone}/, not /{heard}/" if heard else f"say the /{phone}/ clearly"
        )
    return f"{word}: {what} - {tip}"


def phone_ids(frames: PhoneFrames, options: list[Phones]) -> list[list[int]]:
    """The pronunciations ``options`` as the recogniser's columns; one with a sound the
    recogniser has no symbol for is left out."""
    return [
        [frames.index(p) for p in v] for v in options if all(frames.index(p) is not None for p in v)
    ]


def choose_variants(frames: PhoneFrames, ids: list[list[list[int]]]) -> list[list[int]]:
    """One pronunciation per word: the first, then each word's alternatives tried in place
    (one batch) and the likeliest kept."""
    chosen = [v[0] if v else [] for v in ids]
    trials, owners = [], []
    for w, options in enumerate(ids):
        for option in options[1:]:
            seq = chosen[:w] + [option] + chosen[w + 1 :]
            trials.append([p for word in seq for p in word])
            owners.append((w, option))
    if not trials:
        return chosen
    base = log_likelihoods(frames.log_probs, [[p for word in chosen for p in word]], frames.blank)
    scores = log_likelihoods(frames.log_probs, trials, frames.blank)
    best: dict[int, tuple[float, list[int]]] = {}
    for (w, option), score in zip(owners, scores, strict=True):
        if score > best.get(w, (base[0], []))[0]:
            best[w] = (float(score), option)
    for w, (_, option) in best.items():
        chosen[w] = option
    return chosen


def assess_sounds(
    frames: PhoneFrames, words: list[str], variants: list[list[Phones]], scored: list[bool]
) -> list[WordSounds | None]:
    """Each word's sounds; None for a word not scored (``scored`` False: a function word, or
    no pronunciation known) or when the recording is too short for the sentence."""
    ids = [phone_ids(frames, options) for options in variants]
    chosen = choose_variants(frames, ids)
    canonical = [p for word in chosen for p in word]
    out: list[WordSounds | None] = [None] * len(words)
    if not canonical or len(frames.log_probs) < len(canonical):
        return out
    bounds, at = [], 0
    for word in chosen:
        bounds.append((at, at + len(word)))
        at += len(word)
    trials: list[list[int]] = []
    owners: list[tuple[int, str]] = []
    for w, (lo, hi) in enumerate(bounds):
        if not scored[w] or lo == hi:
            continue
        for i in range(lo, hi):
            for swap in LEARNER_SWAPS.get(frames.symbols[canonical[i]], ()):
                sid = frames.index(swap)
                if sid is not None:
                    trials.append(canonical[:i] + [sid] + canonical[i + 1 :])
                    owners.append((i, swap))
            trials.append(canonical[:i] + canonical[i + 1 :])
            owners.append((i, ""))
    base = float(log_likelihoods(frames.log_probs, [canonical], frames.blank)[0])
    if base <= NEG / 2:  # the frames cannot spell the sentence
        return out
    gains = log_likelihoods(frames.log_probs, trials, frames.blank) - base if trials else []
    rivals: dict[int, list[tuple[float, str]]] = {}
    for (i, swap), gain in zip(owners, gains, strict=True):
        rivals.setdefault(i, []).append((float(gain), swap))
    for w, (lo, hi) in enumerate(bounds):
        if not scored[w] or lo == hi:
            continue
        expected = tuple(frames.symbols[p] for p in canonical[lo:hi])
        heard: list[str] = []
        phone_scores = []
        flagged: tuple[int, str] | None = None
        worst = 0.0
        for i in range(lo, hi):
            options = rivals.get(i, [])
            total = np.logaddexp.reduce([0.0] + [g for g, _ in options])
            phone_scores.append(round(100 * math.exp(-total)))
            top, swap = max(options, default=(-1.0, ""))
            phone = frames.symbols[canonical[i]]
            if top > 0:
                if swap:
                    heard.append(swap)
            else:
                heard.append(phone)
            margin = top - (DROP_MARGIN - FLAG_MARGIN if swap == "" else 0.0)
            if margin > FLAG_MARGIN and _changes_word(expected, i - lo, swap) and margin > worst:
                worst, flagged = margin, (i - lo, swap)
        note = _note(words[w], expected, *flagged) if flagged else ""
        out[w] = WordSounds(
            word=words[w],
            expected=expected,
            heard=tuple(heard),
            phone_scores=tuple(phone_scores),
            score=round(sum(phone_scores) / len(phone_scores)),
            ok=flagged is None,
            note=note,
            change=(expected[flagged[0]], flagged[1]) if flagged else (),
            margin=round(worst, 2),
        )
    return out


UNSCORED_POS = frozenset({"DET", "ADP", "PRON", "AUX", "CCONJ", "SCONJ", "PART", "INTJ"})
"""Function words are said weakly and quickly by everyone: their sounds are not scored."""


class SoundChecker:
    """A read sentence's sounds, word by word: the phoneme recogniser, the lexicon and a
    spaCy tagger (for homographs and to leave function words alone)."""

    def __init__(self, recognizer, lexicon, nlp=None) -> None:
        self.recognizer = recognizer
        self.lexicon = lexicon
        self.nlp = nlp

    def check(
        self, sentence: str, samples: np.ndarray | None = None, frames: PhoneFrames | None = None
    ) -> list[WordSounds | None]:
        """One entry per word of ``reading.words_of(sentence)``, None where not scored;
        ``frames``: the recording already heard by the phoneme recogniser, else ``samples``."""
        from ..reading import WORD

        text = sentence.lower().replace("’", "'")
        found = list(WORD.finditer(text))
        tags: dict[int, tuple[str, str]] = {}
        if self.nlp is not None:
            tags = {tok.idx: (tok.tag_, tok.pos_) for tok in self.nlp(text)}
        words, variants, scored = [], [], []
        for match in found:
            word = match.group()
            tag, pos = tags.get(match.start(), ("", ""))
            options = self._variants(word, tag)
            words.append(word)
            variants.append(options)
            scored.append(bool(options) and pos not in UNSCORED_POS and "'" not in word)
        if not any(scored):
            return [None] * len(words)
        if frames is None:
            frames = self.recognizer.listen(samples)
        return assess_sounds(frames, words, variants, scored)

    def _variants(self, word: str, tag: str) -> list[Phones]:
        options = self.lexicon.variants(word, tag)
        if options or "-" not in word:
            return options
        parts = [self.lexicon.variants(part) for part in word.split("-")]
        return [tuple(p for part in parts for p in part[0])] if all(parts) else []

    def warm_up(self) -> None:
        self.recognizer.warm_up()
