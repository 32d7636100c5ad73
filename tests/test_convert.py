"""Whisper base from its CTranslate2 folder to transformers and back, on the real model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from im4talkin import bundled
from im4talkin.audio.io import load_audio
from im4talkin.errors import ModelError
from im4talkin.finetune.convert import ct2_to_transformers, read_ct2, transformers_to_ct2

SENTENCES = (
    "Yesterday I go to the museum.",
    "She don't like coffee.",
    "I have visited Paris last year.",
)
"""Learner sentences with the mistakes the tutor must hear, spoken by Piper."""


def normalise(text: str) -> str:
    """Case, punctuation and spacing only: the words themselves must match."""
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def load(folder: Path, compute_type: str = "int8"):
    from faster_whisper import WhisperModel

    return WhisperModel(str(folder), device="cpu", compute_type=compute_type, cpu_threads=2)


def greedy(model, clips: list[np.ndarray]) -> list[str]:
    """faster-whisper decoding greedily, with nothing added (no prompt, VAD or timestamps)."""
    out = []
    for samples in clips:
        segments, _ = model.transcribe(
            samples,
            language="en",
            task="transcribe",
            beam_size=1,
            temperature=0.0,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
        )
        out.append(normalise(" ".join(s.text for s in segments)))
    return out


def log_mel(model, samples: np.ndarray) -> np.ndarray:
    """The 30 s window faster-whisper decodes: its own log-mel, padded with zeros after the
    speech (HF's processor pads the audio instead, which can flip a borderline word)."""
    from faster_whisper.audio import pad_or_trim

    feats = model.feature_extractor(samples)
    return pad_or_trim(feats[:, : feats.shape[-1] - 1])


def generate(converted, features) -> list[str]:
    import torch

    model, processor = converted
    with torch.inference_mode():
        ids = model.generate(torch.as_tensor(features), language="en", task="transcribe")
    return [normalise(t) for t in processor.batch_decode(ids, skip_special_tokens=True)]


@pytest.fixture(scope="module")
def base_dir() -> Path:
    return bundled.whisper_base_dir()


@pytest.fixture(scope="module")
def clips(speech) -> list[np.ndarray]:
    return [load_audio(speech(text)).samples for text in SENTENCES]


@pytest.fixture(scope="module")
def original(base_dir, clips) -> list[str]:
    """What the app's int8 faster-whisper hears in each clip, greedily."""
    return greedy(load(base_dir), clips)


@pytest.fixture(scope="module")
def converted(base_dir):
    return ct2_to_transformers(base_dir)


@pytest.fixture(scope="module")
def round_trip(converted, tmp_path_factory) -> Path:
    model, processor = converted
    return transformers_to_ct2(model, processor, tmp_path_factory.mktemp("rt") / "whisper")


def test_read_ct2_resolves_aliases_and_keeps_float16(base_dir):
    variables = read_ct2(base_dir)
    weight = variables["decoder/embeddings/weight"]
    assert weight.shape == (51865, 512) and weight.dtype == np.float16
    assert variables["decoder/projection/weight"] is weight  # the tied output projection
    assert variables["encoder/layer_5/self_attention/linear_0/weight"].shape == (1536, 512)
    assert int(variables["encoder/num_heads"]) == 8


def test_config_comes_from_shapes_and_config_json(converted, base_dir):
    model, processor = converted
    cfg, gen = model.config, model.generation_config
    assert (cfg.d_model, cfg.encoder_layers, cfg.decoder_layers) == (512, 6, 6)
    assert (cfg.encoder_attention_heads, cfg.vocab_size, cfg.num_mel_bins) == (8, 51865, 80)
    ct2 = json.loads((base_dir / "config.json").read_text())
    assert gen.suppress_tokens == ct2["suppress_ids"]
    assert sorted(gen.lang_to_id.values()) == ct2["lang_ids"]
    assert gen.lang_to_id["<|en|>"] == 50259 and gen.no_timestamps_token_id == 50363
    assert model.proj_out.weight.data_ptr() == model.model.decoder.embed_tokens.weight.data_ptr()
    prompt = [50258, 50259, 50359, 50363, 440, 50257]
    assert processor.tokenizer.decode(prompt, skip_special_tokens=True).strip() == "The"


def test_transformers_transcribes_like_faster_whisper(base_dir, converted, clips):
    fw = load(base_dir, "float32")  # the same arithmetic as the float32 transformers model
    features = np.stack([log_mel(fw, samples) for samples in clips])
    assert generate(converted, features) == greedy(fw, clips)


def test_the_processor_feeds_the_converted_model(converted, clips):
    features = converted[1].feature_extractor(clips[:1], sampling_rate=16_000).input_features
    assert generate(converted, np.asarray(features)) == [normalise(SENTENCES[0])]


def test_round_trip_keeps_every_weight(base_dir, round_trip):
    before, after = read_ct2(base_dir), read_ct2(round_trip)
    # a newer ctranslate2 may add scalar flags (decoder/scale_alibi, ...); weights all match
    assert before.keys() <= after.keys()
    assert all(after[name].ndim == 0 for name in after.keys() - before.keys())
    for name, value in before.items():
        assert after[name].dtype == value.dtype, name
        assert np.array_equal(after[name], value), name
    assert config(round_trip) == config(base_dir)
    assert vocabulary(round_trip) == vocabulary(base_dir)
    old, new = tokenizer(base_dir), tokenizer(round_trip)  # same tokens, newer file format
    assert new.get_vocab(with_added_tokens=True) == old.get_vocab(with_added_tokens=True)
    for text in SENTENCES:
        assert new.encode(text).ids == old.encode(text).ids


def config(folder: Path) -> dict:
    return json.loads((folder / "config.json").read_text())


def vocabulary(folder: Path) -> list[str]:
    """ctranslate2 4 writes vocabulary.json; the shipped folder has the older .txt."""
    if (folder / "vocabulary.json").is_file():
        return json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
    return (folder / "vocabulary.txt").read_text(encoding="utf-8").splitlines()


def tokenizer(folder: Path):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(folder / "tokenizer.json"))


def test_round_trip_transcribes_like_the_original(round_trip, clips, original):
    assert greedy(load(round_trip), clips) == original
    assert original[0] == normalise(SENTENCES[0])  # the learner's mistake survives


def test_not_a_model_is_a_model_error(tmp_path):
    (tmp_path / "model.bin").write_text("not weights, just a note\n")
    with pytest.raises(ModelError, match="not a CTranslate2"):
        read_ct2(tmp_path)
    with pytest.raises(ModelError, match="not a CTranslate2"):
        ct2_to_transformers(tmp_path)
    with pytest.raises(ModelError, match="no model.bin"):
        read_ct2(tmp_path / "missing")
