"""Adapting SeamlessM4T v2's speech recognition to one learner: LoRA with ``peft``.

Low-rank adapters go on the query and value projections of the speech encoder's attention
and of the text decoder's self- and cross-attention; everything else stays frozen. The
adapter (a few MB) is saved on its own; :mod:`im4talkin.seamless.runtime` loads it over the
pulled model and merges it, so recognition runs at the speed of the plain model.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import MissingDependency
from .tuner import Example, Tuner

TARGETS = (
    r".*speech_encoder\.encoder\.layers\.\d+\.self_attn\.linear_(q|v)"
    r"|.*text_decoder\.layers\.\d+\.(self_attn|cross_attention)\.(q_proj|v_proj)"
)
"""peft's ``target_modules`` as a regular expression."""


class SeamlessTuner(Tuner):
    """LoRA training of ``SeamlessM4Tv2ForSpeechToText`` on (audio, text) pairs, on the CPU."""

    def __init__(
        self,
        folder: Path,
        tgt_lang: str = "eng",
        rank: int = 8,
        lr: float = 1e-4,
        batch_size: int = 4,
        seed: int = 0,
    ) -> None:
        try:
            import torch
            from peft import LoraConfig, get_peft_model
            from transformers import AutoProcessor, SeamlessM4Tv2ForSpeechToText
        except ImportError as err:
            raise MissingDependency("fine-tuning SeamlessM4T v2", err.name or "peft") from None
        from ..seamless.runtime import _torch

        _torch()  # quiet transformers, offline
        super().__init__()
        self.tgt_lang = tgt_lang
        self.batch_size = batch_size
        self.seed = seed
        self.processor = AutoProcessor.from_pretrained(folder, local_files_only=True)
        base = SeamlessM4Tv2ForSpeechToText.from_pretrained(folder, local_files_only=True)
        config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules=TARGETS)
        self.model = get_peft_model(base, config)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.params, lr=lr)

    def encode(self, examples: Sequence[Example], progress: Callable[[int], None] | None = None):
        """Features and labels per example (the speech encoder is trained, so nothing cached)."""
        tok = self.processor.tokenizer
        items = []
        for ex in examples:
            feats = self.processor(audio=ex.samples, sampling_rate=16_000, return_tensors="pt")
            labels = tok(text_target=ex.text, tgt_lang=self.tgt_lang)["input_ids"]
            if labels and labels[0] == tok.eos_token_id:  # [eos, lang, ...]: generate() starts
                labels = labels[1:]  # from decoder_start (= eos) + lang, so drop the extra eos
            items.append((feats["input_features"][0], labels))
            if progress:
                progress(1)
        return items

    def _loss(self, batch) -> Any:
        torch = self.torch
        frames = max(f.shape[0] for f, _ in batch)
        feats = torch.zeros((len(batch), frames, batch[0][0].shape[1]))
        mask = torch.zeros((len(batch), frames), dtype=torch.long)
        width = max(len(ids) for _, ids in batch)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        for row, (f, ids) in enumerate(batch):
            feats[row, : f.shape[0]] = f
            mask[row, : f.shape[0]] = 1
            labels[row, : len(ids)] = torch.tensor(ids)
        return self.model(input_features=feats, attention_mask=mask, labels=labels).loss

    def export(self, folder: Path) -> None:
        """The adapter alone, written to a temp folder and renamed into place."""
        tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
        self.model.save_pretrained(tmp)
        os.replace(tmp, folder)
