"""Minimal-pair drills for the sounds a learner most often says as other sounds.

The sounds come from the learner's own history (``sound_errors``: spoken turns and readings),
most frequent first; each is drilled with words that have it, the learner's own first, each
shown beside the word it becomes with the slip ("think", not "sink"), found in the CMU
dictionary. A spoken answer is right when the phoneme check finds the word's sounds right.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

COMMON_WORDS = {
    "θ": "think three thank thin mouth path both thick", "ð": "they then those breathe clothe",
    "v": "very vest van vine vote leave", "w": "wet west wine wheel worse", "ɹ": "right road rice rock red",
    "l": "light load lock long glass fly", "ɪ": "ship sit fill live hit", "i": "sheep seat feel leave heat",
    "æ": "bad man pan cat had", "ɛ": "bed men pen said", "s": "sea sip save sort", "ʃ": "she ship shoe shave",
    "z": "zoo eyes rise prize", "d͡ʒ": "jam joke jeep", "p": "pear park pack", "f": "fork fan fine",
    "b": "bag big back", "d": "dog bad card", "g": "bag dog leg", "h": "house hill hair hat",
    "ʊ": "full pull look", "u": "fool pool food", "t": "belt want", "n": "nine ban", "ŋ": "sing long",
}  # fmt: skip
"""Everyday words with each sound, after the learner's own."""

WORDS_PER_SOUND = 3


@dataclass(frozen=True)
class SoundItem:
    """One word to say, for one sound the learner says as another."""

    word: str
    partner: str
    """The word it becomes with the slip ("" when that is no word)."""
    expected: str
    heard: str
    """What the learner says instead ("" when the sound is left out)."""

    def public(self) -> dict:
        return {"word": self.word, "not": self.partner, "sound": self.expected, "slip": self.heard}


def sound_items(errors: list[dict], lexicon, limit: int = 9) -> list[SoundItem]:
    """Drills for the learner's most frequent sound slips (``errors``: rows of
    ``store.sound_errors``), up to :data:`WORDS_PER_SOUND` words each, ``limit`` in all."""
    counts = Counter((e["expected"], e["heard"]) for e in errors)
    items: list[SoundItem] = []
    for (expected, heard), _ in counts.most_common():
        own = [
            e["word"] for e in reversed(errors) if (e["expected"], e["heard"]) == (expected, heard)
        ]
        picked: dict[str, SoundItem] = {}
        for word in dict.fromkeys([*own, *COMMON_WORDS.get(expected, "").split()]):
            phones = lexicon.variants(word)
            if phones and expected in phones[0]:
                partner = lexicon.partner(word, expected, heard)
                picked[word] = SoundItem(word, partner, expected, heard)
        mine = [i for i in picked.values() if i.word in own]
        pairs = [i for i in picked.values() if i.word not in own and i.partner]
        rest = [i for i in picked.values() if i.word not in own and not i.partner]
        items += [*mine, *pairs, *rest][:WORDS_PER_SOUND]
    return items[:limit]
