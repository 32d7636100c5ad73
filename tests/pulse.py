"""A private PulseAudio server with a virtual microphone (a pipe source) and null speakers."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np

SCRIPT = """
load-module module-native-protocol-unix auth-anonymous=1 socket={dir}/native
load-module module-null-sink sink_name=speakers
load-module module-pipe-source source_name=virtmic file={dir}/mic format=s16le rate=16000 channels=1
set-default-source virtmic
set-default-sink speakers
"""


def feed_mic(
    fifo: Path | str, samples: np.ndarray, lead_s: float = 0.5, tail_s: float = 1.0
) -> None:
    """Write 16 kHz float samples into a pipe source as s16le, 0.1 s at a time, in real time."""
    pcm = np.concatenate(
        [
            np.zeros(int(16000 * lead_s), np.float32),
            samples,
            np.zeros(int(16000 * tail_s), np.float32),
        ]
    )
    data = (np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes()
    with open(fifo, "wb") as fh:
        for i in range(0, len(data), 3200):
            fh.write(data[i : i + 3200])
            fh.flush()
            time.sleep(0.1)


class Pulse:
    """``env`` points clients (PortAudio through ALSA's pulse plugin) at this server."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder
        self.fifo = folder / "mic"
        self.env = {
            **os.environ,
            "PULSE_SERVER": f"unix:{folder}/native",
            "HOME": str(folder),
            "XDG_RUNTIME_DIR": str(folder),
        }
        (folder / "default.pa").write_text(SCRIPT.format(dir=folder))
        self.proc = subprocess.Popen(
            [
                shutil.which("pulseaudio") or "pulseaudio",
                "-n",
                "-F",
                str(folder / "default.pa"),
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--disallow-exit",
                f"--log-target=file:{folder}/log",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not (folder / "native").exists() or not self.fifo.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (folder / "log").read_text() if (folder / "log").exists() else ""
                raise RuntimeError(f"PulseAudio did not start: {log[-500:]}")
            time.sleep(0.1)

    def speak_into_mic(self, samples: np.ndarray) -> threading.Thread:
        """Play 16 kHz float samples into the virtual microphone in real time, in a thread."""
        thread = threading.Thread(target=feed_mic, args=(self.fifo, samples), daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
