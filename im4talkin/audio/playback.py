"""Speaking a reply while it is still being written.

The turn hands each reply sentence to :meth:`Speaker.say` as soon as it exists. A synthesis
thread turns sentences into audio in order and passes each chunk to a playback thread, so
sentence n+1 is synthesised while sentence n plays. With no output device the reply is only
synthesised when its audio is to be saved (``keep``).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import devices

_END = object()
_STOP = object()


WAIT_S = 120.0
"""The longest wait for synthesis or playback to finish."""


@dataclass
class ReplyAudio:
    """One reply's audio and when it came."""

    samples: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    sample_rate: int = 22_050
    first_audio_s: float = 0.0
    """From the turn's start to the first chunk handed to playback."""
    total_s: float = 0.0
    """From the turn's start to the end of the last sentence's synthesis."""


class Player:
    """An output stream that stays open and plays queued audio, silence in between.

    A callback stream never underruns between sentences: when the next sentence is not
    synthesised yet it plays silence instead of making ALSA complain.
    """

    def __init__(self, sd, rate: int, device: int | str | None) -> None:
        self._queue: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self._pending = 0
        self._stream = sd.OutputStream(
            samplerate=rate,
            channels=1,
            dtype="float32",
            device=device,
            blocksize=rate // 20,
            callback=self._callback,
        )
        self._stream.start()
        self.latency_s = float(self._stream.latency)

    def add(self, audio: np.ndarray) -> None:
        with self._lock:
            self._queue.append(audio.astype(np.float32, copy=False))
            self._pending += len(audio)

    @property
    def pending(self) -> int:
        """Samples queued and not yet handed to the device."""
        return self._pending

    def _callback(self, outdata, frames, when, status) -> None:
        out = outdata[:, 0]
        filled = 0
        with self._lock:
            while filled < frames and self._queue:
                head = self._queue[0]
                take = min(frames - filled, len(head))
                out[filled : filled + take] = head[:take]
                filled += take
                if take == len(head):
                    self._queue.popleft()
                else:
                    self._queue[0] = head[take:]
            self._pending -= filled
        out[filled:] = 0.0

    def close(self) -> None:
        self._stream.abort()
        self._stream.close()


class Speaker:
    """Speaks reply sentences in order: synthesis on a background thread, then a Player."""

    def __init__(
        self,
        tts,
        play: bool = True,
        device: str | None = None,
        notice: Callable[[str], None] | None = None,
        keep: bool = False,
    ) -> None:
        self.tts = tts
        self.notice = notice or (lambda line: None)
        self.keep = keep
        """Keep each reply's audio (for ``--save-audio``) even when it is not played."""
        self.player: Player | None = None
        if play:
            try:
                self.player = Player(devices.sounddevice(), tts.sample_rate, devices.pick(device))
            except Exception as err:  # PortAudioError, or a device that refuses the rate
                self.notice(f"cannot open the sound output ({err}): replies are shown, not spoken")
        self._texts: queue.Queue = queue.Queue()
        self._done = threading.Event()
        self._done.set()
        self._first = threading.Event()
        """Set once the reply's first piece is synthesised (or will not be)."""
        self._first.set()
        self._t0 = 0.0
        self._reply = ReplyAudio(sample_rate=tts.sample_rate)
        self._parts: list[np.ndarray] = []
        self._thread = threading.Thread(target=self._synth_loop, name="tts", daemon=True)
        self._thread.start()

    @property
    def play(self) -> bool:
        return self.player is not None

    def start_reply(self, t0: float | None = None) -> None:
        """Begin a reply; timings count from ``t0`` (a ``perf_counter`` value, default now)."""
        self.finish_reply()
        self._t0 = t0 if t0 is not None else time.perf_counter()
        self._reply = ReplyAudio(sample_rate=self.tts.sample_rate)
        self._parts = []
        self._done.clear()
        self._first.clear()

    def say(self, sentence: str) -> None:
        self._texts.put(sentence)

    def wait_first_audio(self, timeout: float = 5.0) -> None:
        """Block until the reply's first piece is synthesised: while it is, the writer of
        the reply waits, and the voice has the cores (its audio then plays for longer than
        the next sentence takes to write)."""
        self._first.wait(timeout)

    def finish_reply(self, timeout: float = WAIT_S) -> ReplyAudio:
        """Wait until every sentence said so far is synthesised (at most ``timeout`` s, and
        not at all once the speaker is closed); return the reply's audio."""
        if not self._done.is_set() and self._thread.is_alive():
            self._texts.put(_END)
            deadline = time.monotonic() + timeout
            while not self._done.wait(0.1):
                if not self._thread.is_alive() or time.monotonic() > deadline:
                    break
        if self._parts:
            self._reply.samples = np.concatenate(self._parts)
            self._parts = []
        return self._reply

    def wait_played(self, timeout: float = WAIT_S) -> None:
        """Block until the reply has been played (so the microphone never records it)."""
        self.finish_reply()
        if self.player is None:
            return
        deadline = time.monotonic() + timeout
        while self.player.pending and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(min(self.player.latency_s, 0.5))

    def close(self, timeout: float = WAIT_S) -> None:
        """End the synthesis thread (the sentence it is on is finished, the rest dropped),
        then stop playback."""
        while True:  # what is still queued is not spoken
            try:
                self._texts.get_nowait()
            except queue.Empty:
                break
        self._texts.put(_STOP)
        self._thread.join(timeout)
        player, self.player = self.player, None
        if player is not None:
            player.close()

    def _synth_loop(self) -> None:
        while True:
            item = self._texts.get()
            if item is _STOP:
                self._done.set()
                self._first.set()
                return
            if item is _END:
                self._done.set()
                self._first.set()
                continue
            player = self.player
            if player is None and not self.keep:
                self._first.set()
                continue  # neither played nor saved: spare the cores
            try:
                audio = self.tts.synthesize(item)
                now = time.perf_counter() - self._t0
                if not self._parts:
                    self._reply.first_audio_s = now
                self._reply.total_s = now
                self._parts.append(audio)
                if player is not None:
                    player.add(audio)
            except Exception as err:  # keep the conversation going without voice
                self.notice(f"could not speak this reply ({err}); it is shown only")
            finally:
                self._first.set()
