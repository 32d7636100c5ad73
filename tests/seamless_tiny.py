"""A tiny, randomly initialised SeamlessM4T v2 saved like the real one (for the seamless tests).

Hidden size 64, 2 layers everywhere, a char-level tokenizer (``SeamlessM4TTokenizer`` with one
token per character and no merges), and the generation-config maps the real checkpoint has
(``text_decoder_lang_to_code_id``, ``t2u_lang_code_to_id``, ``vocoder_lang_code_to_id``,
``id_to_text``, ``char_to_id``). ``save_pretrained`` writes it in the Hub's layout, so it loads
through exactly the code that loads v2-large.
"""

from __future__ import annotations

import string
from pathlib import Path

CHARS = string.ascii_letters + string.digits + ".,!?'-"
LANGS = ("eng", "fra")


def build(folder: Path, seed: int = 0, large: bool = False, dtype=None) -> Path:
    """Save the tiny model in ``folder``; ``large``: v2-large's architecture instead (random
    weights, 2.3B parameters, for bench/seamless_gpu.py), created in ``dtype``."""
    import torch
    from transformers import (
        GenerationConfig,
        SeamlessM4TFeatureExtractor,
        SeamlessM4TProcessor,
        SeamlessM4TTokenizer,
        SeamlessM4Tv2Config,
        SeamlessM4Tv2Model,
    )

    vocab = {"<pad>": 0, "<unk>": 1, "<s>": 2, "</s>": 3, "▁": 4}
    for ch in CHARS:
        vocab[ch] = len(vocab)
    for lang in LANGS:
        vocab[f"__{lang}__"] = len(vocab)
    tokenizer = SeamlessM4TTokenizer(
        vocab=vocab,
        merges=[],
        src_lang="eng",
        tgt_lang="eng",
        additional_special_tokens=[f"__{lang}__" for lang in LANGS],
    )
    # v2-large is the config's default; the tiny tokenizer's ids all lie inside its vocab
    config = SeamlessM4Tv2Config() if large else SeamlessM4Tv2Config(**_tiny(len(vocab)))
    torch.manual_seed(seed)
    if dtype is not None:
        torch.set_default_dtype(dtype)
    try:
        model = SeamlessM4Tv2Model(config).eval()
    finally:
        torch.set_default_dtype(torch.float32)
    gen = GenerationConfig(
        bos_token_id=2, eos_token_id=3, pad_token_id=0, decoder_start_token_id=3, max_new_tokens=16
    )
    gen.text_decoder_lang_to_code_id = {lang: vocab[f"__{lang}__"] for lang in LANGS}
    gen.t2u_lang_code_to_id = {lang: i for i, lang in enumerate(LANGS)}
    gen.vocoder_lang_code_to_id = {lang: i for i, lang in enumerate(LANGS)}
    gen.id_to_text = {str(i): token for token, i in vocab.items()}
    gen.char_to_id = {"<pad>": 0, "<unk>": 1, "<s>": 2, "</s>": 3, "▁": 4} | {
        ch: 5 + i for i, ch in enumerate(CHARS)
    }
    model.generation_config = gen
    model.save_pretrained(folder)
    processor = SeamlessM4TProcessor(
        feature_extractor=SeamlessM4TFeatureExtractor(sampling_rate=16_000), tokenizer=tokenizer
    )
    processor.save_pretrained(folder)
    return folder


def _tiny(vocab_size: int) -> dict:
    """Hidden size 64 and 2 layers in every part."""
    small = {"hidden_size": 64, "max_position_embeddings": 256}
    for part in ("encoder", "decoder", "t2u_encoder", "t2u_decoder"):
        small |= {f"{part}_layers": 2, f"{part}_ffn_dim": 128, f"{part}_attention_heads": 2}
    return small | {
        "vocab_size": vocab_size,
        "char_vocab_size": len(CHARS) + 5,
        "speech_encoder_layers": 2,
        "speech_encoder_attention_heads": 2,
        "speech_encoder_intermediate_size": 128,
        "t2u_vocab_size": 60,
        "unit_hifi_gan_vocab_size": 56,  # t2u_vocab_size - vocoder_offset
        "t2u_variance_predictor_embed_dim": 64,
        "t2u_variance_predictor_hidden_dim": 32,
        "t2u_max_position_embeddings": 256,
        "unit_embed_dim": 32,
        "lang_embed_dim": 16,
        "spkr_embed_dim": 16,
        "vocoder_num_langs": len(LANGS),
        "vocoder_num_spkrs": 4,
        "upsample_initial_channel": 32,
    }
