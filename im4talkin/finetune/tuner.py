"""What every recogniser's fine-tuning shares: examples, the training loop, checkpoints."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..store.files import write_file


@dataclass(frozen=True)
class Example:
    samples: np.ndarray
    """16 kHz mono float32."""
    text: str
    """What was read."""


@dataclass
class TrainState:
    epoch: int = 0
    step: int = 0
    losses: list[float] | None = None
    valid: list[float] | None = None
    """Loss on the validation sentences after each epoch."""
    best_epoch: int = 0
    """The epoch whose weights are kept (0: none better than the start)."""
    stopped: bool = False
    """Stopped early: the validation loss had stopped falling."""


class Tuner:
    """Subclasses set ``model``, ``params``, ``optimizer`` and implement ``encode``/``_loss``."""

    model: Any
    params: list
    optimizer: Any
    batch_size: int = 8
    seed: int = 0
    clip: float | None = 1.0
    """Gradient-norm clipping, or None."""

    def __init__(self) -> None:
        import torch

        self.torch = torch
        self._initial: dict | None = None
        self._best: dict | None = None

    def _weights(self) -> dict:
        names = {id(p): n for n, p in self.model.named_parameters()}
        return {names[id(p)]: p.detach().clone() for p in self.params}

    def _set(self, weights: dict) -> None:
        params = dict(self.model.named_parameters())
        with self.torch.no_grad():
            for name, value in weights.items():
                params[name].copy_(value)

    def reset(self) -> None:
        """Back to the weights before any training, with a fresh optimizer (the next fold)."""
        if self._initial is not None:
            self._set(self._initial)
        self.optimizer.state.clear()  # Adam's moments and step counts
        self._best = None

    def _loss(self, batch) -> Any:
        raise NotImplementedError

    def evaluate(self, items) -> float:
        """Mean loss over ``items`` (no training)."""
        self.model.eval()
        with self.torch.inference_mode():
            losses = [
                float(self._loss(items[i : i + self.batch_size]))
                for i in range(0, len(items), self.batch_size)
            ]
        return sum(losses) / max(1, len(losses))

    def train(
        self,
        items,
        epochs: int,
        state: TrainState | None = None,
        on_step: Callable[[TrainState, float], None] | None = None,
        on_epoch: Callable[[TrainState], None] | None = None,
        valid=None,
        patience: int = 1,
    ) -> TrainState:
        """Train from ``state`` (epoch and step reached, for a resumed run) to ``epochs``.

        With ``valid`` items, their loss is measured before training and after each epoch;
        training stops once it has not fallen for ``patience`` epochs, and the weights of the
        best epoch are kept (the starting ones if no epoch beat them).
        """
        if self._initial is None:
            self._initial = self._weights()
        state = state or TrainState()
        if state.losses is None:
            state.losses = []
        if valid and state.valid is None:
            state.valid = [self.evaluate(valid)]
            self._best = self._weights()
        steps_per_epoch = math.ceil(len(items) / self.batch_size)
        self.model.train()
        while state.epoch < epochs and not state.stopped:
            order = list(range(len(items)))
            random.Random(self.seed + state.epoch).shuffle(order)
            first = state.step - state.epoch * steps_per_epoch  # resume inside an epoch
            for s in range(max(0, first), steps_per_epoch):
                batch = [items[i] for i in order[s * self.batch_size : (s + 1) * self.batch_size]]
                loss = self._loss(batch)
                self.optimizer.zero_grad()
                if loss.requires_grad:  # else layer drop skipped every trained layer this time
                    loss.backward()
                    if self.clip:
                        self.torch.nn.utils.clip_grad_norm_(self.params, self.clip)
                    self.optimizer.step()
                state.step += 1
                state.losses.append(loss.item())
                if on_step:
                    on_step(state, state.losses[-1])
            state.epoch += 1
            if valid:
                state.valid.append(self.evaluate(valid))
                self.model.train()
                if state.valid[-1] < min(state.valid[:-1]):
                    state.best_epoch, self._best = state.epoch, self._weights()
                elif state.epoch - state.best_epoch >= patience:
                    state.stopped = True
            else:
                state.best_epoch = state.epoch
            if on_epoch:
                on_epoch(state)
        if valid and self._best is not None:
            self._set(self._best)
        self.model.eval()
        return state

    # --- checkpoints ----------------------------------------------------------------

    def save(self, path: Path, state: TrainState, key: str) -> None:
        """Trainable weights, optimizer and progress, written atomically."""
        torch = self.torch
        saved = {
            "key": key,
            "weights": self._weights(),
            "best": self._best,
            "optimizer": self.optimizer.state_dict(),
            "state": asdict(state),
        }
        write_file(path, lambda tmp: torch.save(saved, tmp))

    def load(self, path: Path, key: str) -> TrainState | None:
        """Resume from ``path`` if it is a checkpoint of this same run (``key``)."""
        torch = self.torch
        if not path.is_file():
            return None
        try:
            saved = torch.load(path, weights_only=True)
        except Exception:  # a checkpoint cut short by a crash: start again
            return None
        if saved.get("key") != key:
            return None
        if self._initial is None:
            self._initial = self._weights()
        self._set(saved["weights"])
        self._best = saved.get("best")
        self.optimizer.load_state_dict(saved["optimizer"])
        return TrainState(**saved["state"])
