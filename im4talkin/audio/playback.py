"""Speaking a reply while it is still being written.

The turn hands each reply sentence to :meth:`Speaker.say` as soon as it exists. A synthesis
thread turns sentences into audio in order and passes each chunk to a playback thread, so
sentence n+1 is synthesised while sentence n plays. With no output device the reply is only
synthesised when its audio is to be saved.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import devices

_END = object()


@dataclass
class ReplyAudio:
    """One reply's audio and when it came."""

    samples: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    sample_rate: int = 22_050
    first_audio_s: float = 0.0
    """From the turn's start to the first chunk handed to playback."""
    total_s: float = 0.0
    """From the turn's start to the end of synthesis."""


class Speaker:
    """Speaks reply sentences in order on background threads."""

    def __init__(
        self,
        tts,
        play: bool = True,
        device: str | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.tts = tts
        self.device = devices.pick(device)
        self.notice = notice or (lambda line: None)
        self.play = play
        if play and (why := devices.problem(device, "output")):
            self.notice(f"{why}: replies are shown, not spoken")
            self.play = False
        self._texts: queue.Queue = queue.Queue()
        self._chunks: queue.Queue = queue.Queue()
        self._done = threading.Event()
        self._done.set()
        self._t0 = 0.0
        self._reply = ReplyAudio(sample_rate=tts.sample_rate)
        self._parts: list[np.ndarray] = []
        self._error: BaseException | None = None
        threading.Thread(target=self._synth_loop, name="tts", daemon=True).start()
        if self.play:
            threading.Thread(target=self._play_loop, name="playback", daemon=True).start()

    def start_reply(self, t0: float | None = None) -> None:
        """Begin a reply; timings count from ``t0`` (a ``perf_counter`` value, default now)."""
        self.finish_reply()
        self._t0 = t0 if t0 is not None else time.perf_counter()
        self._reply = ReplyAudio(sample_rate=self.tts.sample_rate)
        self._parts = []
        self._done.clear()

    def say(self, sentence: str) -> None:
        self._texts.put(sentence)

    def finish_reply(self) -> ReplyAudio:
        """Wait until every sentence said so far is synthesised; return the reply's audio."""
        if not self._done.is_set():
            self._texts.put(_END)
            self._done.wait()
        if self._parts:
            self._reply.samples = np.concatenate(self._parts)
            self._parts = []
        return self._reply

    def wait_played(self, timeout: float = 120.0) -> None:
        """Block until everything handed to playback has been played (before recording)."""
        self.finish_reply()
        if self.play:
            deadline = time.monotonic() + timeout
            while self._chunks.unfinished_tasks and time.monotonic() < deadline:
                time.sleep(0.02)

    def _synth_loop(self) -> None:
        while True:
            item = self._texts.get()
            if item is _END:
                self._reply.total_s = time.perf_counter() - self._t0
                self._done.set()
                continue
            try:
                audio = self.tts.synthesize(item)
            except Exception as err:  # keep the conversation going without voice
                self._error = err
                self.notice(f"could not speak this reply ({err}); it is shown only")
                continue
            if not self._parts:
                self._reply.first_audio_s = time.perf_counter() - self._t0
            self._parts.append(audio)
            if self.play:
                self._chunks.put(audio)

    def _play_loop(self) -> None:
        sd = devices.sounddevice()
        stream = None
        while True:
            audio = self._chunks.get()
            try:
                if self.play:
                    if stream is None:
                        stream = sd.OutputStream(
                            samplerate=self.tts.sample_rate,
                            channels=1,
                            dtype="float32",
                            device=self.device,
                        )
                        stream.start()
                    stream.write(audio.reshape(-1, 1))
            except Exception as err:  # a device that vanished mid-session
                self.play = False
                self.notice(f"sound output failed ({err}): replies are shown, not spoken")
            finally:
                self._chunks.task_done()
