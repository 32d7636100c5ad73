"""Speech recognition with SeamlessM4T v2 (speech to English text), in process via transformers.

The speech encoder takes at most a few tens of seconds well, so longer audio is cut at its
quietest moments and the pieces are transcribed in turn. With ``static_cache`` the decoder
writes into a preallocated KV cache, which lets torch replay the decoder step as a CUDA graph
on a GPU: the loop is launch-bound, so this is most of the speed (see bench/seamless_gpu.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import SeamlessConfig
from . import runtime

RATE = 16_000
"""The feature extractor's sample rate; other rates are resampled to it."""


def split_long(audio: np.ndarray, rate: int, max_seconds: float) -> list[np.ndarray]:
    """Pieces of at most ``max_seconds``, each cut at the quietest 100 ms of its second half."""
    limit = int(max_seconds * rate)
    frame = rate // 10
    pieces: list[np.ndarray] = []
    start = 0
    while len(audio) - start > limit:
        window = audio[start : start + limit]
        half = limit // 2
        frames = (len(window) - half) // frame
        energy = np.square(window[half : half + frames * frame]).reshape(frames, frame).mean(1)
        cut = half + int(np.argmin(energy)) * frame + frame // 2
        pieces.append(audio[start : start + cut])
        start += cut
    pieces.append(audio[start:])
    return [p for p in pieces if len(p)]


class SeamlessASR:
    """SeamlessM4Tv2ForSpeechToText; :meth:`transcribe` takes mono float32 samples."""

    def __init__(
        self,
        folder: Path,
        cfg: SeamlessConfig,
        name: str = "seamless-m4t-v2",
        adapter: Path | None = None,
    ) -> None:
        loaded = runtime.load("asr", folder, cfg, adapter)
        self.model, self.processor = loaded.model, loaded.processor
        self.device, self.dtype = loaded.device, loaded.dtype
        self.cfg = cfg
        self.name = name

    def warm_up(self) -> None:
        """Run the encoder and decoder once, so the learner's first turn is not the slow one."""
        self.transcribe(np.random.default_rng(0).normal(0, 0.01, RATE).astype(np.float32))

    def transcribe(self, samples: np.ndarray, sample_rate: int = RATE) -> str:
        """The words spoken in ``samples``, as one line of text."""
        audio = np.asarray(samples, dtype=np.float32)
        if audio.ndim > 1:
            audio = audio.mean(axis=1)
        if sample_rate != RATE:
            import soxr

            audio = soxr.resample(audio, sample_rate, RATE).astype(np.float32)
        texts = [self._one(piece) for piece in split_long(audio, RATE, self.cfg.chunk_seconds)]
        return " ".join(t for t in texts if t)

    def transcribe_words(self, samples: np.ndarray) -> tuple[str, None]:
        """The text; SeamlessM4T gives no per-word probabilities."""
        return self.transcribe(samples), None

    def _one(self, audio: np.ndarray) -> str:
        import torch

        inputs = self.processor(audio=audio, sampling_rate=RATE, return_tensors="pt")
        options = {
            "tgt_lang": self.cfg.tgt_lang,
            "num_beams": self.cfg.num_beams,
            "max_new_tokens": self.cfg.max_new_tokens,
            "do_sample": False,
        }
        if self.cfg.static_cache:
            options["cache_implementation"] = "static"
        with torch.inference_mode():
            out = self.model.generate(
                input_features=inputs["input_features"].to(self.device, self.dtype),
                attention_mask=inputs["attention_mask"].to(self.device),
                **options,
            )
        ids = out if isinstance(out, torch.Tensor) else out.sequences
        return self.processor.decode(ids[0], skip_special_tokens=True).strip()
