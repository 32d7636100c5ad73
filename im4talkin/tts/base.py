"""The speech output stage: one Protocol, so the tutor never knows which backend speaks."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Synthesizer(Protocol):
    """Speaks a sentence."""

    name: str
    sample_rate: int
    """The rate of the samples :meth:`synthesize` returns."""

    def synthesize(self, text: str) -> np.ndarray:
        """float32 mono samples of ``text`` spoken."""
        ...
