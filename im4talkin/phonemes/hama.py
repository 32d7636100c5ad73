"""hama's waveform -> IPA phone CTC model and its English letter-to-sound model (PyPI ``hama``,
Apache-2.0: the weights are inside the wheel and run on hama's own CPU engine)."""

from __future__ import annotations

import threading

import numpy as np

from ..errors import ModelError
from ..messages import SAMPLE_RATE, PhoneFrames

FRAME_SAMPLES = 320
"""The model's hop: one frame of output per 20 ms of 16 kHz audio."""


class HamaPhonemes:
    """One loaded hama phoneme recogniser (and its G2P, loaded the first time it is needed)."""

    name = "hama"

    def __init__(self) -> None:
        try:
            from hama import ASRModel
        except ImportError:
            raise ModelError("the phoneme recogniser needs hama: pip install hama==1.7.0") from None
        try:
            self._asr = ASRModel()
        except (OSError, RuntimeError, ValueError) as err:
            raise ModelError(
                f"cannot load hama's phoneme model ({err}): "
                "pip install --force-reinstall --no-deps hama==1.7.0"
            ) from None
        self._g2p = None
        self._g2p_lock = threading.Lock()
        tokens = list(self._asr.decoder_tokens)
        self._blank = tokens.index("<blank>")
        self._break = tokens.index("<wb>")
        self.symbols = tuple(tokens)
        inputs = [node.name for node in self._asr.session.get_inputs()]
        outputs = [node.name for node in self._asr.session.get_outputs()]
        self._inputs = (_named(inputs, "waveform"), _named(inputs, "waveform_lengths"))
        self._outputs = [_named(outputs, "log_probs"), _named(outputs, "out_lengths")]

    def listen(self, samples: np.ndarray) -> PhoneFrames:
        """Every frame's phone log-probabilities; a word break counts as a blank."""
        wav = np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1)
        if wav.shape[1] < FRAME_SAMPLES * 4:  # too short for the encoder: pad with silence
            wav = np.pad(wav, ((0, 0), (0, FRAME_SAMPLES * 4 - wav.shape[1])))
        feeds = {self._inputs[0]: wav, self._inputs[1]: np.array([wav.shape[1]], np.int64)}
        log_probs, lengths = self._asr.session.run(self._outputs, feeds)
        frames = int(np.asarray(lengths).reshape(-1)[0])
        lp = np.array(np.asarray(log_probs)[0, :frames], dtype=np.float64)
        lp[:, self._blank] = np.logaddexp(lp[:, self._blank], lp[:, self._break])
        lp[:, self._break] = -1e30
        return PhoneFrames(lp, self.symbols, self._blank, FRAME_SAMPLES / SAMPLE_RATE)

    def spell(self, word: str) -> tuple[str, ...]:
        """hama's G2P of one word, in the recogniser's own phone set."""
        with self._g2p_lock:
            if self._g2p is None:
                from hama import G2PModel

                self._g2p = G2PModel()
            result = self._g2p(word)
        return tuple(a.phoneme for a in result.alignments if a.phoneme in self.symbols)

    def warm_up(self) -> None:
        noise = np.random.default_rng(0).normal(0, 0.01, SAMPLE_RATE).astype(np.float32)
        self.listen(noise)


def _named(available: list[str], name: str) -> str:
    """The tensor called ``name`` (an exporter may add a numeric suffix)."""
    for candidate in available:
        if candidate == name or candidate.startswith(f"{name}."):
            return candidate
    raise ModelError(
        f"hama's model has no '{name}' tensor (has {available}): reinstall hama==1.7.0"
    )
