"""Mistakes a word recogniser smooths over, heard back from the learner's sounds.

Whisper's language model "hears" the grammatical sentence: "my father drive to work" comes
out as "my father drives to work", and a mistake that is not in the transcript is never
corrected. From the transcript this makes the sentences a learner would have said with one
typical slip (third-person -s dropped or added, past said as present, a made-up past,
has/have, does/do, was/were, an article dropped, a plural -s dropped or added, -ed/-ing
adjectives, in/on/at swapped) and asks the phoneme recogniser, which has no language model,
which one the recording sounds like: a variant is taken only when its sounds are far
likelier than the transcript's (phantom mistakes are worse than missed ones). The same test also takes a transcript's slip back when the recording says the
correct form.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..messages import PhoneFrames
from ..reading import WORD
from .ctc import NEG, log_likelihoods
from .pronunciation import choose_variants, phone_ids

HEARD_MARGIN = 2.0
"""How much likelier (nats) the variant's sounds must be than the transcript's."""
DROPPED_MARGIN = 5.0
"""...and a word left out (an article): a short weak word is easily lost in the frames."""

SWAPS = {
    "has": ("have",), "have": ("has",), "does": ("do",), "do": ("does",),
    "was": ("were",), "were": ("was",), "in": ("on", "at"), "on": ("in", "at"),
    "at": ("in", "on"),
}  # fmt: skip
"""Words learners say for one another, whatever their tags."""

ARTICLES = frozenset({"a", "an", "the"})
UNINFLECTED = frozenset({"be", "have", "do"})
"""Auxiliaries whose forms :data:`SWAPS` covers."""


@dataclass(frozen=True)
class Heard:
    """A word of the transcript the recording says otherwise."""

    start: int
    end: int
    """Character span of the transcript's word (``written``)."""
    written: str
    said: str
    """What the recording says there; ``""``: the word was not said."""
    gain: float
    """How much likelier the recording is with ``said`` (nats)."""

    def apply(self, text: str) -> str:
        if self.said:
            return text[: self.start] + self.said + text[self.end :]
        end = self.end + 1 if text[self.end : self.end + 1] == " " else self.end
        return text[: self.start] + text[end:]

    def note(self) -> str:
        if not self.said:
            return f"your recording has no '{self.written}' where the recogniser wrote one"
        return f"your recording says '{self.said}' where the recogniser wrote '{self.written}'"


def _match_case(word: str, like: str) -> str:
    return word.capitalize() if like[:1].isupper() else word


def slips(doc) -> list[tuple[int, int, str, str]]:
    """(start, end, written, said) for every one-word slip a learner could have made, from a
    spaCy ``doc`` of the transcript."""
    from lemminflect import getInflection

    out = []
    for tok in doc:
        low = tok.lower_
        start, end = tok.idx, tok.idx + len(tok.text)
        lemma = tok.lemma_.lower()
        said: list[str] = list(SWAPS.get(low, ()))
        if low in ARTICLES:
            said.append("")
        elif tok.tag_.startswith("VB") and lemma not in UNINFLECTED:
            if tok.tag_ in ("VBZ", "VBD"):
                said.append(lemma)  # drives -> drive, went -> go
            if tok.tag_ in ("VB", "VBP"):
                said += getInflection(lemma, "VBZ")[:1]  # live -> lives, know -> knows
            if tok.tag_ == "VB":
                said += getInflection(lemma, "VBD")[:1]  # didn't come -> didn't came
            made_up = lemma + ("d" if lemma.endswith("e") else "ed")
            if tok.tag_ != "VBZ" and made_up not in getInflection(lemma, "VBD"):
                said.append(made_up)  # taught, teach -> teached
        elif tok.tag_ == "NNS" and lemma != low:
            said.append(lemma)  # apples -> apple
        elif tok.tag_ == "NN":
            said += getInflection(lemma, "NNS")[:1]  # advice -> advices
        elif tok.tag_ == "JJ" and low.endswith(("ed", "ing")):
            stem = low.removesuffix("ed") if low.endswith("ed") else low.removesuffix("ing")
            said.append(stem + ("ing" if low.endswith("ed") else "ed"))  # interested/interesting
        for word in dict.fromkeys(said):
            if word != low:
                out.append((start, end, tok.text, _match_case(word, tok.text) if word else ""))
    return out


class HeardBack:
    """Checks a transcript against the learner's sounds: the phoneme recogniser, the lexicon
    and spaCy (shared with the checkers)."""

    def __init__(self, recognizer, lexicon, nlp) -> None:
        self.recognizer = recognizer
        self.lexicon = lexicon
        self.nlp = nlp

    def _phones(
        self, frames: PhoneFrames, words: list[tuple[str, str]]
    ) -> list[list[list[int]]] | None:
        """Each word's pronunciations as phone ids; None when a word has none."""
        out = []
        for word, tag in words:
            options = phone_ids(frames, self.lexicon.variants(word.lower(), tag))
            if not options:
                return None
            out.append(options)
        return out

    def compare(self, text: str, frames: PhoneFrames) -> list[Heard]:
        """The transcript's words the recording says otherwise, best first, not overlapping."""
        doc = self.nlp(text)
        tags = {tok.idx: tok.tag_ for tok in doc}
        lowered = text.lower().replace("’", "'")
        found = [(m.start(), m.end(), m.group()) for m in WORD.finditer(lowered)]
        phones = self._phones(frames, [(w, tags.get(s, "")) for s, _, w in found])
        if not phones:
            return []
        chosen = choose_variants(frames, phones)
        flat = [p for word in chosen for p in word]
        base = float(log_likelihoods(frames.log_probs, [flat], frames.blank)[0])
        if base <= NEG / 2:
            return []
        trials, owners = [], []
        for start, end, written, said in slips(doc):
            at = next((i for i, (s, _, _) in enumerate(found) if s == start), None)
            if at is None:
                continue
            options: list[list[int]] = [[]]
            if said:
                spelled = self._phones(frames, [(said, "")])
                if spelled is None:
                    continue
                options = spelled[0]
            for option in options:
                seq = chosen[:at] + [option] + chosen[at + 1 :]
                trials.append([p for word in seq for p in word])
                owners.append((start, end, written, said))
        if not trials:
            return []
        gains = log_likelihoods(frames.log_probs, trials, frames.blank) - base
        best: dict[tuple, float] = {}
        for owner, gain in zip(owners, gains, strict=True):
            best[owner] = max(best.get(owner, NEG), float(gain))
        heard = sorted(
            (
                Heard(s, e, w, said, g)
                for (s, e, w, said), g in best.items()
                if g > (HEARD_MARGIN if said else DROPPED_MARGIN)
            ),
            key=lambda h: -h.gain,
        )
        kept: list[Heard] = []
        for h in heard:
            if all(h.end <= k.start or h.start >= k.end for k in kept):
                kept.append(h)
        return kept

    def revise(self, text: str, samples=None, frames=None) -> tuple[str, list[str]]:
        """The transcript as the recording (``samples``, or its ``frames`` already heard)
        says it, and a note for each word changed."""
        heard = self.compare(
            text, frames if frames is not None else self.recognizer.listen(samples)
        )
        for h in sorted(heard, key=lambda h: -h.start):
            text = h.apply(text)
        return text, [h.note() for h in sorted(heard, key=lambda h: h.start)]
