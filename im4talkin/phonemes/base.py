"""The phoneme stage's Protocol: a clip in, every frame's phone log-probabilities out."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..messages import PhoneFrames


class PhonemeRecognizer(Protocol):
    """Hears phones (IPA) rather than words."""

    name: str

    def listen(self, samples: np.ndarray) -> PhoneFrames:
        """Frame-by-frame phone log-probabilities of 16 kHz mono float32 ``samples``."""
        ...

    def spell(self, word: str) -> tuple[str, ...]:
        """A guess at the phones of a word no dictionary has (letter-to-sound)."""
        ...

    def warm_up(self) -> None:
        """Run once on a little audio, so the learner's first sentence is not the slow one."""
        ...
