"""Adapting Whisper to one learner's voice from their enrolment recordings (CPU, transformers).

The bundled CTranslate2 weights are loaded into ``WhisperForConditionalGeneration``
(:mod:`.convert`). Whisper's encoder always reads 30 s of audio, which is most of the cost on
a CPU, so the bottom encoder layers stay frozen and their output is computed once per
recording; the top ``encoder_layers`` layers and the whole decoder are trained (full
fine-tuning: for a 74M-parameter model this needs no adapter). Labels are the sentences the
learner *read*, mistakes and all, and the decoder sees the same learner-English prompt that
recognition uses at run time, so the adapted model keeps writing down what is said.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


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


class WhisperTuner:
    """Trains the top of a HF Whisper model on a learner's (audio, text) pairs."""

    def __init__(
        self,
        model: Any,
        processor: Any,
        prompt: str = "",
        encoder_layers: int = 2,
        lr: float = 3e-5,
        batch_size: int = 8,
        seed: int = 0,
    ) -> None:
        import torch

        self.torch = torch
        self.model, self.processor = model, processor
        self.prompt = prompt
        self.batch_size = batch_size
        self.seed = seed
        encoder = model.model.encoder
        self.frozen = len(encoder.layers) - encoder_layers
        model.requires_grad_(False)
        trainable = [*encoder.layers[self.frozen :], model.model.decoder]
        if encoder_layers:
            trainable.append(encoder.layer_norm)
        for module in trainable:
            module.requires_grad_(True)
        model.model.decoder.embed_tokens.requires_grad_(False)  # tied to the output layer
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.params, lr=lr, weight_decay=0.01)

    # --- inputs ---------------------------------------------------------------------

    def _prefix(self) -> list[int]:
        tok = self.processor.tokenizer
        ids = tok.convert_tokens_to_ids
        prefix = []
        if self.prompt:
            prefix = [ids("<|startofprev|>")] + tok.encode(
                " " + self.prompt.strip(), add_special_tokens=False
            )
        return prefix + [
            ids(t)
            for t in ("<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>")
        ]

    def _labels(self, text: str) -> tuple[list[int], int]:
        """(decoder ids: prefix + text + eot, how many leading ids carry no loss)."""
        tok = self.processor.tokenizer
        prefix = self._prefix()
        body = tok.encode(" " + text.strip(), add_special_tokens=False)
        return prefix + body + [tok.convert_tokens_to_ids("<|endoftext|>")], len(prefix)

    def encode(self, examples: Sequence[Example], progress: Callable[[int], None] | None = None):
        """Frozen-encoder states and labels for each example (computed once, reused each epoch)."""
        torch = self.torch
        fe = self.processor.feature_extractor
        encoder = self.model.model.encoder
        items = []
        with torch.inference_mode():
            for ex in examples:
                feats = fe(ex.samples, sampling_rate=16_000, return_tensors="pt").input_features
                # hidden_states[i] is layer i's input; the last one is the normed output
                states = encoder(feats, output_hidden_states=True).hidden_states[self.frozen]
                items.append((states[0].clone(), *self._labels(ex.text)))
                if progress:
                    progress(1)
        return items

    # --- training -------------------------------------------------------------------

    def _loss(self, batch) -> Any:
        torch = self.torch
        from transformers.modeling_outputs import BaseModelOutput

        encoder = self.model.model.encoder
        hidden = torch.stack([b[0] for b in batch])
        if self.frozen < len(encoder.layers):  # else the cache is the encoder's final output
            for layer in encoder.layers[self.frozen :]:
                hidden = layer(hidden, attention_mask=None)
            hidden = encoder.layer_norm(hidden)
        width = max(len(b[1]) for b in batch) - 1
        pad = self.processor.tokenizer.convert_tokens_to_ids("<|endoftext|>")
        inputs = torch.full((len(batch), width), pad, dtype=torch.long)
        targets = torch.full((len(batch), width), -100, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (_, ids, skip) in enumerate(batch):
            n = len(ids) - 1
            inputs[row, :n] = torch.tensor(ids[:-1])
            targets[row, skip - 1 : n] = torch.tensor(ids[skip:])
            mask[row, :n] = 1
        out = self.model(
            encoder_outputs=BaseModelOutput(last_hidden_state=hidden),
            decoder_input_ids=inputs,
            decoder_attention_mask=mask,
        )
        return torch.nn.functional.cross_entropy(
            out.logits.reshape(-1, out.logits.shape[-1]), targets.reshape(-1), ignore_index=-100
        )

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
    ) -> TrainState:
        """Train from ``state`` (epoch and step reached, for a resumed run) to ``epochs``."""
        state = state or TrainState()
        if state.losses is None:
            state.losses = []
        steps_per_epoch = math.ceil(len(items) / self.batch_size)
        self.model.train()
        while state.epoch < epochs:
            order = list(range(len(items)))
            random.Random(self.seed + state.epoch).shuffle(order)
            first = state.step - state.epoch * steps_per_epoch  # resume inside an epoch
            for s in range(max(0, first), steps_per_epoch):
                batch = [items[i] for i in order[s * self.batch_size : (s + 1) * self.batch_size]]
                loss = self._loss(batch)
                self.optimizer.zero_grad()
                loss.backward()
                self.torch.nn.utils.clip_grad_norm_(self.params, 1.0)
                self.optimizer.step()
                state.step += 1
                state.losses.append(loss.item())
                if on_step:
                    on_step(state, state.losses[-1])
            state.epoch += 1
            if on_epoch:
                on_epoch(state)
        self.model.eval()
        return state

    # --- checkpoints ----------------------------------------------------------------

    def save(self, path: Path, state: TrainState, key: str) -> None:
        """Trainable weights, optimizer and progress, written atomically."""
        torch = self.torch
        names = {id(p): n for n, p in self.model.named_parameters()}
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {
                "key": key,
                "weights": {names[id(p)]: p.detach().clone() for p in self.params},
                "optimizer": self.optimizer.state_dict(),
                "state": {"epoch": state.epoch, "step": state.step, "losses": state.losses},
            },
            tmp,
        )
        os.replace(tmp, path)

    def load(self, path: Path, key: str) -> TrainState | None:
        """Resume from ``path`` if it is a checkpoint of this same run (``key``)."""
        torch = self.torch
        if not path.is_file():
            return None
        try:
            saved = torch.load(path, weights_only=False)
        except Exception:  # a checkpoint cut short by a crash: start again
            return None
        if saved.get("key") != key:
            return None
        params = dict(self.model.named_parameters())
        with torch.no_grad():
            for name, value in saved["weights"].items():
                params[name].copy_(value)
        self.optimizer.load_state_dict(saved["optimizer"])
        return TrainState(**saved["state"])
