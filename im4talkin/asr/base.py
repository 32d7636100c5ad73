"""The speech recognition stage: one Protocol, so the tutor never knows which backend hears."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Recognizer(Protocol):
    """Writes down the words spoken in 16 kHz mono float32 samples."""

    name: str

    def transcribe(self, samples: np.ndarray) -> str:
        """The words spoken, as one line of text."""
        ...

    def transcribe_words(self, samples: np.ndarray) -> tuple[str, list[tuple[str, float]] | None]:
        """The text and each word with the recogniser's probability (None where it gives none)."""
        ...

    def warm_up(self) -> None:
        """Run once on a little audio, so the learner's first turn is not the slow one."""
        ...
