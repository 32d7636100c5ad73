"""The partner's voice with SeamlessM4T v2 (English text to speech), via transformers.

``generate`` of SeamlessM4Tv2ForTextToSpeech first *translates* the text, token by token,
only to get the text decoder's hidden states for the unit decoder. The reply's text is already
known, so here the text decoder runs once, teacher-forced on the reply's own tokens (the
sequence ``generate`` would produce when it reproduces the text), and its hidden states go
straight to the text-to-unit model and the vocoder: the same audio, without the decoding loop
(tests/test_seamless.py checks the equality against ``generate``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import SeamlessConfig
from ..errors import ConfigError
from . import runtime


class SeamlessTTS:
    """SeamlessM4Tv2ForTextToSpeech; :meth:`synthesize` gives mono float32 at :attr:`sample_rate`."""

    def __init__(self, folder: Path, cfg: SeamlessConfig, name: str = "seamless-m4t-v2") -> None:
        loaded = runtime.load("tts", folder, cfg)
        self.model, self.tokenizer = loaded.model, loaded.processor.tokenizer
        self.device = loaded.device
        self.cfg = cfg
        self.name = name
        self.sample_rate = int(self.model.config.sampling_rate)
        gen = self.model.generation_config
        for key in (
            "text_decoder_lang_to_code_id",
            "t2u_lang_code_to_id",
            "vocoder_lang_code_to_id",
        ):
            if cfg.tgt_lang not in (getattr(gen, key, None) or {}):
                raise ConfigError(
                    f"this SeamlessM4T v2 cannot speak '{cfg.tgt_lang}' (not in its {key}): "
                    'set seamless.tgt_lang = "eng"'
                )
        if not 0 <= cfg.speaker_id < self.model.config.vocoder_num_spkrs:
            raise ConfigError(
                f"seamless.speaker_id {cfg.speaker_id} is out of range: "
                f"use 0..{self.model.config.vocoder_num_spkrs - 1}"
            )

    def synthesize(self, text: str) -> np.ndarray:
        """The spoken ``text``; empty text gives no samples."""
        if not text.strip():
            return np.zeros(0, np.float32)
        import torch

        with torch.inference_mode():
            wave = self._speak(text)
        return wave.float().cpu().numpy().astype(np.float32)

    def _speak(self, text: str):
        import torch

        model, cfg = self.model, self.model.config
        gen = model.generation_config
        pad = gen.pad_token_id
        # [src lang, tokens..., eos]: the text encoder's input, as generate() gets it
        source = self.tokenizer(text, src_lang=self.cfg.tgt_lang, return_tensors="pt")
        source_ids = source["input_ids"].to(self.device)
        encoded = model.text_encoder(input_ids=source_ids).last_hidden_state
        tokens = source_ids[:, 1:-1]
        start = torch.tensor([[gen.decoder_start_token_id]], device=self.device)
        lang = torch.tensor(
            [[gen.text_decoder_lang_to_code_id[self.cfg.tgt_lang]]], device=self.device
        )
        decoder_ids = torch.cat([start, lang, tokens], dim=1)  # generate()'s sequence minus eos
        hidden = model.text_decoder(
            input_ids=decoder_ids, encoder_hidden_states=encoded
        ).last_hidden_state

        unit_input = tokens.masked_fill(tokens == gen.eos_token_id, pad)
        subwords = model._indices_to_subwords(unit_input)
        counts = model._count_character_length_in_subword(unit_input, subwords, pad_token_id=pad)
        zero = counts.new_zeros((counts.shape[0], 1))
        counts = torch.cat([zero, counts, zero], dim=1)  # the lang and eos positions
        chars = model._get_char_input_ids(unit_input, subwords, counts, pad_token_id=pad)
        mask = torch.ones(hidden.shape[:2], dtype=torch.long, device=self.device)
        out = model.t2u_model(
            inputs_embeds=hidden,
            char_input_ids=chars,
            char_count_per_id=counts,
            attention_mask=mask,
        )
        logits, padding = out[0], out[1]
        units = logits.argmax(dim=-1)
        units = units.masked_fill(  # eos, padding, and a control unit with no sound
            (units == cfg.t2u_eos_token_id) | ~padding.bool() | (units < cfg.vocoder_offset),
            cfg.t2u_pad_token_id,
        )
        units = torch.where(units == cfg.t2u_pad_token_id, units, units - cfg.vocoder_offset)
        vocoder_lang = gen.vocoder_lang_code_to_id[self.cfg.tgt_lang]
        wave, lengths = model.vocoder(
            input_ids=units,
            speaker_id=torch.tensor([[self.cfg.speaker_id]], device=self.device),
            lang_id=torch.tensor([[vocoder_lang]], device=self.device),
        )
        if lengths is None:
            return wave[0]
        return wave[0, : int(lengths.reshape(-1)[0])]
