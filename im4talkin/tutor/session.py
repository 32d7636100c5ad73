"""The turn loop: learner text -> feedback -> the partner's reply -> LLM feedback."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..asr.base import Recognizer
from ..asr.live import LiveTranscript
from ..errors import ConfigError, InputError, ModelError
from ..feedback.engine import FeedbackEngine
from ..feedback.heard import HeardBack
from ..feedback.language import looks_english
from ..messages import Clip, TurnResult, TurnTimings
from .partner import Partner, ReplyStats

log = logging.getLogger(__name__)

SOUND_NOTES = 2
"""At most this many pronunciation notes a spoken turn: the clearest, gently."""

MAX_CHARS = 400
"""Longest learner turn accepted: a few sentences, what a learner says in one breath."""

SentenceSink = Callable[[str], None]

WARM_UP = "Yesterday I go to the park with my friend and we was very happy."
"""A made-up learner sentence for :meth:`Conversation.warm_up` (never shown or saved)."""


def check_input(
    text: str, is_english: Callable[[str], bool] | None = looks_english, spoken: bool = False
) -> str:
    """The learner's text, tidied; InputError when the tutor cannot use it."""
    text = " ".join(text.split())
    if not any(c.isalpha() for c in text):
        if spoken:
            raise InputError("no words recognised in that recording; say a sentence in English")
        raise InputError("nothing to check: type a sentence in English (or /quit to stop)")
    if len(text) > MAX_CHARS:
        if spoken:
            raise InputError(
                f"that turn is {len(text)} characters written down; say one or two sentences "
                f"per turn (under {MAX_CHARS} characters)"
            )
        raise InputError(
            f"that turn has {len(text)} characters; keep one turn under {MAX_CHARS} "
            "(a few sentences) and send the rest in the next turn"
        )
    if is_english is not None and not is_english(text):
        raise InputError("that does not look like English: try saying it in English")
    return text


class Conversation:
    """One conversation on one topic: keeps the turn count and runs each turn's stages."""

    def __init__(
        self,
        partner: Partner,
        feedback: FeedbackEngine,
        is_english: Callable[[str], bool] | None = looks_english,
        llm_feedback: bool = True,
        asr: Recognizer | None = None,
        speaker: Any = None,
        trim: Callable[[Clip], Clip] | None = None,
        sounds: Any = None,
    ) -> None:
        self.partner = partner
        self.feedback = feedback
        self.is_english = is_english
        self.llm_feedback = llm_feedback
        self.asr = asr
        """Speech recognition (``transcribe(samples) -> str``); None for typed-only sessions."""
        self.trim = trim
        """Cuts the silence off a recording's ends (InputError when there is no speech)."""
        self.sounds = sounds
        """A :class:`~im4talkin.feedback.pronunciation.SoundChecker`: after the reply of a
        spoken turn, the mistakes the recogniser smoothed over are heard back from the
        learner's sounds, and words clearly said with another sound get a note; None: not
        checked."""
        self.heard_back = (
            HeardBack(sounds.recognizer, sounds.lexicon, sounds.nlp) if sounds else None
        )
        self.last_samples: Any = None
        """The last recording as recognised (silence trimmed)."""
        self.speaker = speaker
        """An :class:`~im4talkin.audio.playback.Speaker`, or None when replies are not voiced."""
        self.last_audio: Any = None
        """The last reply's :class:`~im4talkin.audio.playback.ReplyAudio`, when voiced."""
        self.first_alone = True
        """The reply's writer waits while its first piece is synthesised, so the voice has
        the cores for it (``bench/turn_latency.py --first-shared`` measures without)."""
        self.turn_count = 0
        self._ready: threading.Thread | None = None

    def warm_up(self) -> None:
        """Run the text stages once on a made-up learner sentence: the language check and
        the fast feedback load their models on first use (about 0.3 s together), which
        the learner's first turn would otherwise wait for."""
        text = check_input(WARM_UP, self.is_english)
        self.feedback.fast(text)

    def get_ready(self) -> None:
        """While the opener is shown and spoken: the partner reads the conversation so
        far, then :meth:`warm_up`, on one background thread; a turn waits for it. The
        recogniser's drafter loads meanwhile, at the idle priority."""
        if self._ready is not None and self._ready.is_alive():
            return
        if hasattr(self.asr, "drafter"):
            self.asr.drafter()

        def work() -> None:
            try:
                self.partner.prefill()
                self.warm_up()
            except Exception as err:  # only costs the first turn some time
                log.warning("getting ready failed: %s", err)

        self._ready = threading.Thread(target=work, name="get-ready", daemon=True)
        self._ready.start()

    def ready(self, timeout: float | None = None) -> None:
        """Wait for :meth:`get_ready` (the next turn does this itself)."""
        if self._ready is not None:
            self._ready.join(timeout)
            self._ready = None

    @property
    def topic(self) -> str:
        return self.partner.topic.name

    def open(self) -> str:
        """The partner's opening line."""
        return self.partner.open()

    def forget_turn(self) -> None:
        """Undo the last turn (it could not be saved): the partner forgets it, the count too."""
        self.partner.forget_last()
        self.turn_count = max(0, self.turn_count - 1)

    def listen(self) -> LiveTranscript | None:
        """Start recognising a recording while it is made: feed it the audio as it comes,
        then give it to :meth:`turn` with the finished clip. The partner reads each draft
        of the turn as it comes. None when the recogniser cannot draft quickly (SeamlessM4T:
        a draft on the CPU takes longer than the speech): the recording is recognised when
        it ends."""
        if self.asr is None:
            raise ConfigError("this session has no speech recognition loaded")
        if not hasattr(self.asr, "drafter"):
            return None

        def read_ahead(text: str, whole: bool) -> None:
            try:
                self.partner.prefill(started=text, whole=whole)
            except Exception as err:  # only costs time: the reply reads the whole turn
                log.warning("reading ahead failed: %s", err)

        return LiveTranscript(self.asr, self.trim, read_ahead=read_ahead)

    def hear(self, clip: Clip, live: LiveTranscript | None = None) -> str:
        """What the learner said in ``clip`` (silence trimmed first); InputError if nothing.
        ``live``: the clip's transcript drafted while it was recorded (:meth:`listen`)."""
        if live is not None:
            text = live.finish(clip)
            self.last_samples = live.samples
            return text
        if self.asr is None:
            raise ConfigError("this session has no speech recognition loaded")
        self.last_samples = (self.trim(clip) if self.trim else clip).samples
        return self.asr.transcribe(self.last_samples)

    def turn(
        self,
        said: str | Clip,
        on_sentence: SentenceSink | None = None,
        start: float | None = None,
        on_heard: SentenceSink | None = None,
        live: LiveTranscript | None = None,
    ) -> TurnResult:
        """Run one turn on typed text or a recording.

        ``on_heard`` receives the transcript of a recording as soon as it exists;
        ``on_sentence`` receives each reply sentence as soon as it exists, and so does the
        speaker. Timings count from ``start`` (a ``perf_counter`` value: for a recording,
        the moment it ended, when the learner pressed Enter), default now. ``live``: the
        recording's transcript drafted while it was made (:meth:`listen`).
        """
        start = time.perf_counter() if start is None else start
        self.ready()
        spoken = isinstance(said, Clip)
        try:
            text = self.hear(said, live) if spoken else said
        finally:
            if live is not None:
                live.close()
        asr_s = time.perf_counter() - start if spoken else 0.0
        if spoken and on_heard:
            on_heard(text)
        text = check_input(text, self.is_english, spoken=spoken)
        fast = self.feedback.fast(text)
        fast_s = time.perf_counter() - start
        stats = ReplyStats()
        sentences = []
        if self.speaker:
            self.speaker.start_reply(start)
        reply_s = time.perf_counter() - start  # the partner starts writing
        for sentence in self.partner.reply(text, stats):
            sentences.append(sentence)
            if on_sentence:
                on_sentence(sentence)
            if self.speaker:
                self.speaker.say(sentence)
                if len(sentences) == 1 and self.first_alone:
                    self.speaker.wait_first_audio()
        heard: list[str] = []
        sounds: list[Any] = []
        check_start = time.perf_counter()
        if spoken and self.sounds is not None:
            try:
                frames = self.sounds.recognizer.listen(self.last_samples)
                revised, heard = self.heard_back.revise(text, frames=frames)
                sounds = self.sounds.check(revised, frames=frames)
            except ModelError as err:  # optional: the turn goes on with the transcript
                log.warning("no phoneme check this turn: %s", err)
                revised = text
            if revised != text:
                text = revised
                fast = self.feedback.fast(text)
            flagged = [s for s in sounds if s is not None and not s.ok]
            sounds = sorted(flagged, key=lambda s: -s.margin)[:SOUND_NOTES]
        late_start = time.perf_counter()
        late = []
        if self.llm_feedback:
            try:
                late = self.feedback.from_llm(text)
            except ModelError as err:  # optional: the reply is given, keep the turn
                log.warning("no LLM corrections this turn: %s", err)
        result = self.feedback.finish(text, [*fast, *late], spoken=spoken)
        late_end = time.perf_counter()
        self.last_audio = self.speaker.finish_reply() if self.speaker else None
        now = time.perf_counter()
        self.turn_count += 1
        timings = TurnTimings(
            asr=1000 * asr_s,
            feedback_fast=1000 * (fast_s - asr_s),
            feedback_llm=1000 * (late_end - late_start),
            llm_first_token=1000 * (reply_s + stats.first_token_s),
            llm_first_chunk=1000 * (reply_s + stats.first_chunk_s),
            llm_first_sentence=1000 * (reply_s + stats.first_sentence_s),
            llm_total=1000 * stats.total_s,
            tts_first_audio=1000 * self.last_audio.first_audio_s if self.last_audio else 0.0,
            tts_total=1000 * self.last_audio.total_s if self.last_audio else 0.0,
            turn_total=1000 * (now - start),
            phonemes=1000 * (late_start - check_start),
            asr_live=1000 * live.stats.draft_s if live else 0.0,
            asr_wait=1000 * live.stats.wait_s if live else 0.0,
            after_speech=1000 * live.stats.after_speech_s if live else 0.0,
        )
        return TurnResult(
            turn=self.turn_count,
            topic=self.topic,
            input="audio" if spoken else "text",
            transcript=text,
            feedback=result,
            reply=" ".join(sentences),
            timings=timings,
            notes=tuple(said.notes) if spoken else (),
            heard=tuple(heard),
            sounds=tuple(sounds),
            closing=self.partner.closing,
        )
