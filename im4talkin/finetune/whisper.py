"""Adapting Whisper to one learner's voice from their enrolment recordings (CPU, transformers).

The bundled CTranslate2 weights are loaded into ``WhisperForConditionalGeneration``
(:mod:`.convert`). Whisper's encoder always reads 30 s of audio, which is most of the cost on
a CPU, so the bottom encoder layers stay frozen and their output is computed once per
recording; only the top ``encoder_layers`` layers learn the voice. The decoder, Whisper's
language model, is kept as shipped: trained on 20-50 sentences it learnt to write its
learner-English prompt ("she has two three cat") and mistakes nobody made. Labels are the
sentences the learner *read*, and the decoder sees the same prompt that recognition uses at
run time, so the adapted model keeps writing down what is said."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .tuner import Example, TrainState, Tuner

__all__ = ["Example", "TrainState", "WhisperTuner"]


class WhisperTuner(Tuner):
    """Trains the top of a HF Whisper model on a learner's (audio, text) pairs."""

    def __init__(
        self,
        model: Any,
        processor: Any,
        prompt: str = "",
        encoder_layers: int = 2,
        lr: float = 1e-4,
        batch_size: int = 8,
        seed: int = 0,
        decoder: bool = False,
    ) -> None:
        super().__init__()
        torch = self.torch
        if not encoder_layers and not decoder:
            raise ValueError("nothing to train: no encoder layers and the decoder frozen")
        self.model, self.processor = model, processor
        self.prompt = prompt
        self.batch_size = batch_size
        self.seed = seed
        encoder = model.model.encoder
        self.frozen = len(encoder.layers) - encoder_layers
        model.requires_grad_(False)
        trainable = [*encoder.layers[self.frozen :]]
        if decoder:
            trainable.append(model.model.decoder)
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
