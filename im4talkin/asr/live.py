"""Recognition while the learner speaks: the cores are idle during a turn, so use them.

The microphone hands each block of audio to :meth:`LiveTranscript.feed`. Every
:data:`STEP_S` seconds of new audio, while the Silero VAD hears speech, the recording so far
gets a quick draft decode by a :class:`Drafter`: a second instance of the recogniser on a
thread the OS runs only when the cores are otherwise idle, so a draft no longer holds up
the final pass, the partner or the voice (it still costs them about 50 ms when it runs
beside them: the instances share caches and the GIL). Each draft but its last word (maybe
cut off) goes to ``read_ahead``, so the partner model can read the learner's turn while it
is still being said; where the final transcript turns out different, the model reads again
from the first different word. The words two drafts in a row agree on are **confirmed**
(LocalAgreement, as in whisper_streaming: a word heard the same way twice, with more audio
after it the second time, rarely changes); they are shown to the learner while they speak.

No draft is ever the transcript. When the VAD hears :data:`ENDPOINT_S` of silence after
speech, the recording so far is trimmed and transcribed exactly as a recording from a file
is (the early final pass), while the learner reaches for Enter; :meth:`LiveTranscript.finish`
uses it if nothing was said after, or else transcribes the whole trimmed recording then.
Whisper's encoder reads a 30 s window whatever the audio's length, so a pass over only
the last second would cost nearly as much as one over everything: the drafts cannot
shorten the final pass, only give the partner a head start (``bench/whisper_cost.py``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..messages import SAMPLE_RATE, Clip
from .base import Recognizer
from .drafter import Drafter

log = logging.getLogger(__name__)

FIRST_S = 1.5
"""The first draft waits for this much audio (less is rarely a whole word)."""
STEP_S = 1.5
"""A draft every this many seconds of new audio, while the VAD hears speech. A draft of
Whisper base takes about 0.45 s on 2 cores, so the cores are busy about a third of the time
while the learner speaks."""
ENDPOINT_S = 0.25
"""Silence after speech for this long, and the learner has probably finished: the whole
recording so far is transcribed as the final pass would, while they reach for Enter. Less
would start it sooner, but Whisper then hears too little of the pause after the last word:
at 0.15 s, 4 of the 64 dev-set recordings came out otherwise than from the file, mostly
worse ("meet you" -> "me too"), and padding the pause with silence made it worse still."""
VAD_STEP_S, VAD_WINDOW_S, SPEECH = 0.05, 1.5, 0.5
"""Silero VAD looks at the last 1.5 s every 0.05 s (2.5 ms a look); a 32 ms window is
speech at p >= 0.5."""
_WINDOW = 512


def speech_end(samples: np.ndarray) -> int | None:
    """Where the last speech in ``samples`` ends (a sample index, by Silero VAD's 32 ms
    windows), or None when there is none."""
    if len(samples) < _WINDOW:
        return None
    from faster_whisper.vad import get_vad_model

    padded = np.pad(samples, (0, -len(samples) % _WINDOW))
    probs = np.asarray(get_vad_model()(padded)).reshape(-1)
    spoken = np.flatnonzero(probs >= SPEECH)
    return None if spoken.size == 0 else min(len(samples), int(spoken[-1] + 1) * _WINDOW)


def _last_speech(audio: np.ndarray) -> int | None:
    """:func:`speech_end` within the last :data:`VAD_WINDOW_S` of ``audio``, as an index
    into all of it (None: no speech that recent)."""
    tail = max(0, len(audio) - int(VAD_WINDOW_S * SAMPLE_RATE))
    end = speech_end(audio[tail:])
    return None if end is None else tail + end


def _key(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


def agreed(earlier: list[str], later: list[str]) -> int:
    """How many words two drafts agree on from the start (case and punctuation aside)."""
    n = 0
    for a, b in zip(earlier, later, strict=False):
        if _key(a) != _key(b) or not _key(a):
            break
        n += 1
    return n


@dataclass
class LiveStats:
    """What recognition during speech did for one turn."""

    drafts: int = 0
    draft_s: float = 0.0
    """Seconds of drafting while the learner spoke."""
    early_passes: int = 0
    """Final passes run when the speech seemed to end (before the recording did)."""
    early_s: float = 0.0
    early: bool = False
    """The final transcript is the one made when the speech ended (nothing said after)."""
    confirmed: int = 0
    """Words confirmed before the recording ended."""
    kept: int = 0
    """Of those, how many the final transcript has in the same place."""
    ahead: int = 0
    """Words of the last draft given to ``read_ahead``."""
    ahead_kept: int = 0
    """Of those, how many the final transcript has in the same place (the partner reads
    again from the first word the final pass heard otherwise)."""
    wait_s: float = 0.0
    """How long the end of the recording waited for a draft still running."""
    final_s: float = 0.0
    """The final pass: silence trim and the whole recording's transcription."""
    after_speech_s: float = 0.0
    """Silence between the last speech the VAD heard and the end of the recording."""
    texts: list[str] = field(default_factory=list)
    """Each draft, in order (for the bench and for tests)."""


@dataclass
class _Early:
    """A final pass run when the speech seemed to end, before the recording did."""

    size: int
    text: str
    samples: np.ndarray


class LiveTranscript:
    """One recording's transcript, drafted while it grows and finished when it ends."""

    def __init__(
        self,
        asr: Recognizer,
        trim: Callable[[Clip], Clip] | None = None,
        read_ahead: Callable[[str, bool], None] | None = None,
        first_s: float = FIRST_S,
        step_s: float = STEP_S,
        endpoint_s: float = ENDPOINT_S,
        drafter: Drafter | None = None,
    ) -> None:
        """``read_ahead(text, whole)``: the learner's turn as far as it is known; ``whole``
        when it is the transcript of everything said so far, the speech having stopped.
        ``drafter``: default ``asr.drafter()``; none (a recogniser without one): no drafts,
        only the final pass when the speech stops."""
        self.asr = asr
        self.trim = trim
        self.read_ahead = read_ahead
        self.first = int(first_s * SAMPLE_RATE)
        self.step = int(step_s * SAMPLE_RATE)
        self.endpoint = int(endpoint_s * SAMPLE_RATE)
        self.stats = LiveStats()
        self.confirmed: list[str] = []
        self.samples: np.ndarray | None = None
        """The trimmed recording the final transcript is of."""
        if drafter is None and hasattr(asr, "drafter"):
            drafter = asr.drafter()
        self._drafter = drafter
        self._drafts: list[tuple[list[str], float, int]] = []
        """Drafts done and not read yet: the words, the seconds the draft took, and how
        much of the recording it is of."""
        self._blocks: list[np.ndarray] = []
        self._size = 0
        self._drafted = 0
        self._heard_at = 0
        """Where the VAD last looked."""
        self._spoke_until = 0
        """Where the last speech the VAD heard ends."""
        self._early: _Early | None = None
        self._last: list[str] | None = None
        self._ahead: list[str] = []
        self._stop = False
        self._wake = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="live-asr", daemon=True)
        self._worker.start()

    @property
    def text(self) -> str:
        """The confirmed words so far."""
        return " ".join(self.confirmed)

    def feed(self, block: np.ndarray) -> None:
        """Add 16 kHz mono float32 samples (called from the audio thread: cheap, no waiting
        on a draft)."""
        with self._wake:
            self._blocks.append(np.asarray(block, np.float32).reshape(-1))
            self._size += len(self._blocks[-1])
            self._wake.notify()

    def finish(self, clip: Clip) -> str:
        """The transcript of the whole recording ``clip`` (silence trimmed first, InputError
        when there is no speech), as for a recording from a file: the one made when the
        speech stopped, if nothing was said after it, or else one made now."""
        start = time.perf_counter()
        self.close()
        self.stats.wait_s = time.perf_counter() - start
        audio = np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.float32)
        spoke_until = _last_speech(audio) or self._spoke_until
        if spoke_until:
            self.stats.after_speech_s = (len(audio) - spoke_until) / SAMPLE_RATE
        early = self._early
        if early is not None and early.text and self._still_silent(early, clip, audio):
            self.samples, text = early.samples, early.text
            self.stats.early = True
        else:
            self.samples = self._trimmed(clip)
            text = self.asr.transcribe(self.samples)
        self.stats.final_s = time.perf_counter() - start - self.stats.wait_s
        final = text.split()
        self.stats.kept = agreed(self.confirmed, final)
        self.stats.ahead_kept = agreed(self._ahead, final)
        return text

    def close(self) -> None:
        """Stop drafting and reading ahead (a draft under way is left to the drafter, its
        words unread; an early final pass under way is finished first)."""
        with self._wake:
            self._stop = True
            self._wake.notify()
        self._worker.join()

    def _still_silent(self, early: _Early, clip: Clip, audio: np.ndarray) -> bool:
        """Whether ``clip`` is ``audio``, what was fed, and nothing was said after the part
        the early pass transcribed."""
        if abs(len(clip.samples) - len(audio)) > SAMPLE_RATE // 10:
            return False  # not the audio fed (a device resampled, a test): do not guess
        return speech_end(audio[early.size :]) is None

    def _trimmed(self, clip: Clip) -> np.ndarray:
        return (self.trim(clip) if self.trim else clip).samples

    def _next(self) -> str | None:
        """What the worker should do now: "listen" (the VAD's turn), "early" (the speech
        stopped: transcribe it all), "read" (a draft is done), "draft" (hand the recording
        so far to the drafter), or None (wait for more audio or a draft)."""
        if self._size - self._heard_at >= VAD_STEP_S * SAMPLE_RATE:
            return "listen"
        ended = self._spoke_until and self._size - self._spoke_until >= self.endpoint
        done = self._early is not None and self._spoke_until <= self._early.size
        if ended and not done:
            return "early"
        if self._drafts:
            return "read"
        # a draft only while the learner is speaking: a pause adds nothing to draft
        speaking = self._size - self._spoke_until <= VAD_STEP_S * SAMPLE_RATE + _WINDOW
        due = self._size >= max(self.first, self._drafted + self.step) and speaking
        if due and self._drafter is not None and not self._drafter.busy:
            return "draft"
        return None

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stop and (job := self._next()) is None:
                    self._wake.wait()
                if self._stop:
                    return
                samples = np.concatenate(self._blocks)
                self._blocks = [samples]
                drafts = []
                if job == "read":  # taken only by the job that reads them
                    drafts, self._drafts = self._drafts, []
            try:
                if job == "listen":
                    self._heard_at = len(samples)
                    self._spoke_until = _last_speech(samples) or self._spoke_until
                elif job == "early":
                    self._finish_early(samples)
                elif job == "read":
                    for draft in drafts:
                        self._read(*draft)
                elif self._drafter.submit(samples, self._on_draft(len(samples))):
                    self._drafted = len(samples)
            except Exception as err:  # drafts only save time: the final pass still runs
                log.warning("recognising while the learner speaks failed: %s", err)
                return

    def _on_draft(self, size: int) -> Callable[[str | None], None]:
        """What the drafter calls, on its own thread, with the draft of the first ``size``
        samples."""
        start = time.perf_counter()

        def done(text: str | None) -> None:
            with self._wake:
                if text is not None and not self._stop:
                    self._drafts.append((text.split(), time.perf_counter() - start, size))
                self._wake.notify()

        return done

    def _finish_early(self, samples: np.ndarray) -> None:
        start = time.perf_counter()
        try:
            trimmed = self._trimmed(Clip(samples))
        except InputError:
            self._early = _Early(len(samples), "", samples[:0])
            return  # no speech after all (a click): nothing to read
        text = self.asr.transcribe(trimmed)
        self._early = _Early(len(samples), text, trimmed)
        self.stats.early_s += time.perf_counter() - start
        self.stats.early_passes += 1
        if self.read_ahead and text and not self._stop:
            self._ahead = text.split()
            self.stats.ahead = len(self._ahead)
            self.read_ahead(text, True)

    def _read(self, words: list[str], seconds: float, size: int) -> None:
        """A draft is done: confirm the words it agrees on, and read all but its last
        (unless the partner read the early final pass of more audio meanwhile)."""
        self.stats.drafts += 1
        self.stats.draft_s += seconds
        self.stats.texts.append(" ".join(words))
        earlier, self._last = self._last, words
        if earlier is not None:
            n = agreed(earlier, words)
            if n > len(self.confirmed) and agreed(self.confirmed, words) == len(self.confirmed):
                self.confirmed = words[:n]  # grown, and the drafts still agree with it
                self.stats.confirmed = n
        later = self._early is not None and self._early.size >= size
        if self.read_ahead and len(words) > 1 and not self._stop and not later:
            self._ahead = words[:-1]  # the last word may be cut off
            self.stats.ahead = len(self._ahead)
            self.read_ahead(" ".join(self._ahead), False)
