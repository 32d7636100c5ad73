"""Fine-tuning the seamless profile's recogniser: LoRA on the tiny random SeamlessM4T v2."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("peft", reason="peft is not installed")

from im4talkin import registry  # noqa: E402
from im4talkin.audio.io import write_wav  # noqa: E402
from im4talkin.config import SeamlessConfig, load_settings  # noqa: E402
from im4talkin.finetune.seamless import SeamlessTuner  # noqa: E402
from im4talkin.finetune.tuner import Example  # noqa: E402
from im4talkin.seamless.asr import SeamlessASR  # noqa: E402
from tests.seamless_tiny import build  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build(tmp_path_factory.mktemp("seamless-ft"))


def tone(seed: int, seconds: float = 1.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(16_000 * seconds)) / 16_000
    return (0.3 * np.sin(2 * np.pi * (200 + 40 * seed) * t) + rng.normal(0, 0.02, t.size)).astype(
        np.float32
    )


def test_lora_training_lowers_the_loss_and_the_adapter_loads_merged(tiny, tmp_path):
    tuner = SeamlessTuner(tiny, lr=3e-2)
    trainable = sum(p.numel() for p in tuner.params)
    total = sum(p.numel() for p in tuner.model.parameters())
    assert 0 < trainable < 0.2 * total  # adapters only
    names = {n for n, p in tuner.model.named_parameters() if p.requires_grad}
    assert any("speech_encoder" in n for n in names) and any("text_decoder" in n for n in names)
    items = tuner.encode([Example(tone(i), f"hello {i}") for i in range(4)])
    before = tuner.evaluate(items)
    state = tuner.train(items, epochs=20)
    assert state.step == 20 and tuner.evaluate(items) < 0.9 * before
    adapter = tmp_path / "adapter"
    tuner.export(adapter)
    assert (adapter / "adapter_config.json").is_file()
    cfg = SeamlessConfig(max_new_tokens=8)
    plain = SeamlessASR(tiny, cfg)
    adapted = SeamlessASR(tiny, cfg, adapter=adapter)
    assert adapted.model is not plain.model  # a separate, merged copy
    assert not any("lora" in n for n, _ in adapted.model.named_parameters())
    differs = [
        not np.allclose(a.detach().numpy(), b.detach().numpy())
        for (_, a), (_, b) in zip(
            adapted.model.named_parameters(), plain.model.named_parameters(), strict=True
        )
    ]
    assert any(differs)
    assert isinstance(adapted.transcribe(tone(0)), str)


def test_finetune_on_the_seamless_profile_end_to_end(tiny, cli, home, monkeypatch, tmp_path):
    monkeypatch.setenv("IM4TALKIN_SEAMLESS_MODEL_PATH", str(tiny))
    files = [write_wav(tmp_path / f"{i}.wav", tone(i), 16_000) for i in range(22)]
    code, out, err = cli(
        "enroll",
        "--profile",
        "seamless",
        "--json",
        *sum((["--input-audio", str(f)] for f in files), []),
    )
    assert code == 0, err
    code, out, err = cli("finetune", "--profile", "seamless", "--json", "--epochs", "1")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["asr"] == "seamless" and summary["sentences"] == 22
    assert summary["method"] == "cross-validation"  # one training per part, the same code
    assert summary["activated"] == (summary["interval"][1] < 0)
    settings = load_settings("seamless")
    if summary["activated"]:
        assert registry.adapted(settings, "seamless") is not None
        assert (registry.adapted(settings, "seamless") / "adapter_config.json").is_file()
    else:
        assert registry.adapted(settings, "seamless") is None
