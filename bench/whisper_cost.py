"""Where Whisper base's time goes on this CPU, and why recognising while the learner speaks
cannot shorten the pass after Enter (issue 21).

1. One ~5 s learner utterance (espeak-ng, as in ``bench/turn_latency.py --spoken``): the
   encoder alone on Whisper's 30 s window, the whole utterance transcribed as ``talk``
   does, and only its last 1.5 s (what would be left after recognising the rest while the
   learner spoke). Best of 3 each, 2 threads.
2. The encoder's window cut to the audio (plus a margin) instead of 30 s, which would make
   a short pass cheap: WER and changed transcripts on the dev set (learner sentences spoken
   by espeak-ng, two voices) against the full window.

    python bench/whisper_cost.py
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

import jiwer
import numpy as np
from _common import dev_set, median
from mistake_survival import VOICES, speak, words

from im4talkin import registry
from im4talkin.audio.io import load_audio, speech_span
from im4talkin.config import load_settings

LINE = "yesterday i go to the beach with my friends and we swim in the sea all afternoon"
MARGINS = (None, 0, 100, 400)
"""Frames (10 ms) kept after the audio's last frame; None: Whisper's whole 30 s window."""


def best(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def main() -> None:
    from faster_whisper import WhisperModel
    from faster_whisper.audio import pad_or_trim

    asr = registry.create("asr", "whisper-base", load_settings())
    asr.warm_up()
    folder = Path(tempfile.mkdtemp(prefix="im4talkin-cost-"))
    path = folder / "line.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), LINE], check=True)
    audio = load_audio(path).samples
    features = pad_or_trim(asr.model.feature_extractor(audio))
    print(f"one utterance, {len(audio) / 16_000:.1f} s; ms, best of 3\n")
    print("| what | ms |\n| --- | --- |")
    print(f"| encoder, 30 s window | {best(lambda: asr.model.encode(features)):.0f} |")
    print(f"| the whole utterance, as talk does | {best(lambda: asr.transcribe(audio)):.0f} |")
    tail = audio[-24_000:]
    print(f"| its last 1.5 s only | {best(lambda: asr.transcribe(tail)):.0f} |")

    real = WhisperModel.encode
    margin: list[int | None] = [None]

    def fitted(self, feats):
        if margin[0] is not None and feats.ndim == 2:
            used = np.flatnonzero(np.abs(feats).sum(axis=0) > 0)
            n = min(3000, (int(used[-1]) + 1 if used.size else 0) + margin[0])
            feats = np.ascontiguousarray(feats[:, : n + n % 2])
        return real(self, feats)

    WhisperModel.encode = fitted
    items = dev_set()
    clips = {
        (v, n): speech_span(load_audio(speak(it["text"], v, folder, n))).samples
        for v in VOICES
        for n, it in enumerate(items)
    }
    print(f"\ndev set, {len(items)} sentences per voice; the encoder's window cut to the audio\n")
    print("| window | voice | WER | transcripts changed | ms/clip |")
    print("| --- | --- | --- | --- | --- |")
    full: dict = {}
    for margin[0] in MARGINS:
        for voice in VOICES:
            refs, hyps, times, changed = [], [], [], 0
            for n, item in enumerate(items):
                start = time.perf_counter()
                heard = asr.transcribe(clips[(voice, n)])
                times.append(time.perf_counter() - start)
                if margin[0] is None:
                    full[(voice, n)] = heard
                changed += heard != full[(voice, n)]
                refs.append(" ".join(words(item["text"])))
                hyps.append(" ".join(words(heard)) or "-")
            name = "30 s (Whisper's)" if margin[0] is None else f"audio + {margin[0] / 100:g} s"
            print(
                f"| {name} | {voice} | {100 * jiwer.wer(refs, hyps):.1f}% "
                f"| {changed}/{len(items)} | {1000 * median(times):.0f} |",
                flush=True,
            )
    WhisperModel.encode = real


if __name__ == "__main__":
    main()
