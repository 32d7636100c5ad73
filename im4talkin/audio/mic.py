"""Push-to-talk recording: a 16 kHz mono callback stream from sounddevice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from ..errors import DeviceError
from . import devices
from .io import SAMPLE_RATE, Clip, is_clipped, to_mono_16k

NO_MIC = (
    "no microphone found ({why}); type your turns instead, or use "
    '--text "..." or --input-audio FILE'
)


CAPPED = "limit of one turn"
"""How the note of a recording cut at the length limit ends."""


class Recorder:
    """Records from one input device until told to stop or ``max_seconds`` pass."""

    def __init__(self, device: str | None = None, max_seconds: float = 30.0) -> None:
        why = devices.problem(device, "input")
        if why:
            raise DeviceError(NO_MIC.format(why=why))
        self.sd = devices.sounddevice()
        self.device = devices.pick(device)
        self.max_seconds = max_seconds

    def record(
        self,
        should_stop: Callable[[], bool],
        on_level: Callable[[float, float], None] | None = None,
        on_audio: Callable[[np.ndarray], None] | None = None,
    ) -> Clip:
        """Record until ``should_stop()`` is true; ``on_level(rms, seconds)`` feeds a meter,
        ``on_audio`` gets each block as 16 kHz mono float32 as it comes (live recognition;
        it must not block: it runs on the audio thread)."""
        blocks: list[np.ndarray] = []
        level = [0.0]
        lock = threading.Lock()
        live: dict = {"rate": SAMPLE_RATE, "resample": None}

        def callback(indata, frames, when, status) -> None:
            block = indata[:, 0].copy()
            with lock:
                blocks.append(block)
            level[0] = float(np.sqrt(np.mean(block**2))) if block.size else 0.0
            if on_audio is not None:
                if live["rate"] != SAMPLE_RATE:
                    if live["resample"] is None:
                        import soxr

                        live["resample"] = soxr.ResampleStream(
                            live["rate"], SAMPLE_RATE, 1, dtype="float32"
                        )
                    block = live["resample"].resample_chunk(block)
                on_audio(block)

        rate = SAMPLE_RATE
        try:
            stream = self._open(rate, callback)
        except self.sd.PortAudioError:  # a device that cannot do 16 kHz: record natively
            try:
                rate = int(self.sd.query_devices(self.device, kind="input")["default_samplerate"])
                live["rate"] = rate
                stream = self._open(rate, callback)
            except (self.sd.PortAudioError, ValueError) as err:
                raise DeviceError(f"cannot record from the microphone ({err})") from None
        notes = []
        start = time.monotonic()
        try:
            stream.start()
            while not should_stop():
                elapsed = time.monotonic() - start
                if elapsed >= self.max_seconds:
                    notes.append(f"recording stopped at the {self.max_seconds:.0f} s {CAPPED}")
                    break
                if on_level:
                    on_level(level[0], elapsed)
                time.sleep(0.05)
        except self.sd.PortAudioError as err:
            raise DeviceError(f"the microphone stopped working ({err})") from None
        finally:
            # abort, not stop: stop waits for a buffer that a silent source may never fill
            try:
                stream.abort()
            except self.sd.PortAudioError:
                pass
            finally:
                stream.close()
        with lock:
            data = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
        if is_clipped(data):
            notes.append(
                "the recording is clipped (too loud); speak a little further from the microphone"
            )
        return Clip(to_mono_16k(data, rate), source="microphone", notes=notes)

    def _open(self, rate: int, callback):
        return self.sd.InputStream(
            samplerate=rate,
            channels=1,
            dtype="float32",
            device=self.device,
            blocksize=rate // 20,
            callback=callback,
        )
