"""Typed messages that flow between the stages of a turn."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

SAMPLE_RATE = 16_000
"""The rate of every clip between the stages: what Whisper, the Silero VAD and the phoneme
recogniser take."""

KINDS = (
    "tense",
    "agreement",
    "article",
    "preposition",
    "word order",
    "word choice",
    "verb form",
    "comparison",
    "countability",
    "grammar",
)
"""The mistake kinds a learner sees; everything else maps to ``grammar``."""


@dataclass
class Clip:
    """A learner utterance ready for recognition."""

    samples: np.ndarray
    """float32 mono at :data:`SAMPLE_RATE`."""
    source: str = "microphone"
    """The file it came from, or ``microphone``."""
    notes: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


@dataclass(frozen=True)
class PhoneFrames:
    """What a phoneme recogniser heard: a log-probability for every phone in every frame."""

    log_probs: np.ndarray
    """frames x symbols, log-softmaxed."""
    symbols: tuple[str, ...]
    """The phone (IPA) each column stands for; ``blank`` and word breaks included."""
    blank: int
    """The column of CTC's blank (word breaks are folded into it by the recogniser)."""
    frame_seconds: float
    """How much audio one frame covers."""

    def index(self, phone: str) -> int | None:
        """The column of ``phone``, or None when the recogniser has no such symbol."""
        try:
            return self.symbols.index(phone)
        except ValueError:
            return None


@dataclass(frozen=True)
class Correction:
    """One mistake in a learner sentence and how to fix it."""

    original: str
    """The learner's words, exactly as written (a slice of the sentence)."""
    corrected: str
    """The words that should stand there instead."""
    explanation: str
    """One short line a learner understands: why the change is needed."""
    kind: str
    """One of ``KINDS``."""
    source: str
    """Who found it: ``harper``, ``rules`` or ``llm``."""
    start: int = -1
    """Character offset of ``original`` in the sentence, or -1 when unknown."""
    end: int = -1
    """Character offset just past ``original``, or -1 when unknown."""

    def public(self) -> dict[str, Any]:
        """The keys a learner-facing JSON carries."""
        return {k: v for k, v in asdict(self).items() if k not in ("start", "end")}


@dataclass(frozen=True)
class Feedback:
    """Everything the tutor says about one learner sentence."""

    corrections: tuple[Correction, ...] = ()
    praise: str = ""


@dataclass(frozen=True)
class ChatTurn:
    """One message in the conversation as the LLM sees it."""

    role: str
    """``system``, ``user`` or ``assistant``."""
    content: str


@dataclass
class TurnTimings:
    """Milliseconds spent in each stage of a turn."""

    feedback_fast: float = 0.0
    """Harper and the rules, before the reply starts."""
    feedback_llm: float = 0.0
    """The LLM's corrections, after the reply."""
    llm_first_token: float = 0.0
    llm_first_chunk: float = 0.0
    """The first piece of the reply given to the voice: its first clause, or a sentence."""
    llm_first_sentence: float = 0.0
    llm_total: float = 0.0
    turn_total: float = 0.0
    asr: float = 0.0
    """Silence trim and speech recognition of a spoken turn (0 for typed turns)."""
    tts_first_audio: float = 0.0
    """From the turn's start to the first reply audio (0 when nothing was spoken)."""
    tts_total: float = 0.0
    """From the turn's start to the end of the reply's synthesis."""
    phonemes: float = 0.0
    """The phoneme check of a spoken transcript, after the reply was written."""
    asr_live: float = 0.0
    """Recognition drafted while the learner spoke (before the turn's start, not in ``asr``;
    at the idle priority, so waiting counts in it too)."""
    asr_wait: float = 0.0
    """Of ``asr``: waiting, after the recording ended, for the final pass begun when the
    speech stopped (and the partner's reading of it), or a reading of a draft."""
    after_speech: float = 0.0
    """Silence between the last word heard and the end of the recording (Enter), when the
    turn was recognised live: the timeline's other figures count from the end."""

    def public(self) -> dict[str, int]:
        """Rounded to whole milliseconds, as stored and printed; ``feedback`` is all feedback work."""
        values = {"feedback": self.feedback_fast + self.feedback_llm, **asdict(self)}
        return {k: int(round(v)) for k, v in values.items()}


@dataclass
class TurnResult:
    """A finished turn: what the learner said, what the tutor made of it, the reply."""

    turn: int
    topic: str
    input: str
    transcript: str
    feedback: Feedback
    reply: str
    timings: TurnTimings = field(default_factory=TurnTimings)
    recording: str | None = None
    """The learner's recording (FLAC under the data dir), for spoken turns."""
    reply_audio: str | None = None
    """The reply as a WAV file, when ``--save-audio`` asked for one."""
    notes: tuple[str, ...] = ()
    """Things the learner should know about the input (a long file cut, clipping)."""
    closing: bool = False
    """The learner said goodbye and the partner said goodbye back: the session may end."""
    heard: tuple[str, ...] = ()
    """Words the learner's sounds say otherwise than the recogniser wrote (the transcript
    and the feedback use the sounds' version)."""
    sounds: tuple[Any, ...] = ()
    """Words of a spoken turn clearly said with another sound
    (:class:`~im4talkin.feedback.pronunciation.WordSounds`, at most two, clearest first)."""

    def to_json(self) -> dict[str, Any]:
        """The object ``talk --json`` prints for this turn."""
        return {
            "turn": self.turn,
            "topic": self.topic,
            "input": self.input,
            "transcript": self.transcript,
            "corrections": [c.public() for c in self.feedback.corrections],
            "praise": self.feedback.praise,
            "reply": self.reply,
            "recording": self.recording,
            "reply_audio": self.reply_audio,
            "notes": [*self.notes, *self.heard],
            "closing": self.closing,
            "pronunciation": [{"word": s.word} | s.to_json() for s in self.sounds],
            "timings_ms": self.timings.public(),
        }
