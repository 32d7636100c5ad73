"""SeamlessM4T v2 backends, loaded through the real code from a tiny random model on disk."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf

from im4talkin import registry
from im4talkin.config import SeamlessConfig, load_settings, override
from im4talkin.errors import ConfigError, ModelError
from im4talkin.seamless import runtime
from im4talkin.seamless.asr import SeamlessASR, split_long
from im4talkin.seamless.tts import SeamlessTTS

pytest.importorskip("transformers", reason="the seamless extra is not installed")
from tests.seamless_tiny import build  # noqa: E402

CFG = SeamlessConfig(max_new_tokens=12, device="cpu")
"""The CPU path, on any machine; ``test_auto_*`` check what ``auto`` picks here."""
AUTO = SeamlessConfig(max_new_tokens=12)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    return build(tmp_path_factory.mktemp("seamless-tiny"))


@pytest.fixture(scope="session")
def asr(tiny):
    return SeamlessASR(tiny, CFG)


@pytest.fixture(scope="session")
def tts(tiny):
    return SeamlessTTS(tiny, CFG)


def noise(seconds: float, rate: int = 16_000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.1, int(seconds * rate)).astype(np.float32)


def test_auto_picks_the_gpu_in_bfloat16_or_else_the_cpu_in_float32(asr, tts, tiny):
    import torch

    if torch.cuda.is_available():
        assert runtime.choose(AUTO) == ("cuda", torch.bfloat16)
        on_gpu = SeamlessASR(tiny, AUTO)
        param = next(on_gpu.model.parameters())
        assert param.device.type == "cuda" and param.dtype == torch.bfloat16
        assert isinstance(on_gpu.transcribe(noise(1)), str)
        spoken = SeamlessTTS(tiny, AUTO).synthesize("Nice to meet you.")
        assert spoken.dtype == np.float32 and spoken.size > 0  # back on the CPU for playback
    else:
        assert runtime.choose(AUTO) == ("cpu", torch.float32)
    for backend in (asr, tts):  # built with device "cpu"
        param = next(backend.model.parameters())
        assert param.device.type == "cpu" and param.dtype == torch.float32


def test_dtype_and_device_choices(tiny):
    import torch

    assert runtime.choose(replace(CFG, dtype="bfloat16")) == ("cpu", torch.bfloat16)
    with pytest.raises(ConfigError, match="float16 is for GPUs"):
        runtime.choose(replace(CFG, dtype="float16"))
    if torch.cuda.is_available():
        assert runtime.choose(replace(CFG, device="cuda")) == ("cuda", torch.bfloat16)
        with pytest.raises(ConfigError, match="there are only"):
            runtime.choose(replace(CFG, device="cuda:99"))
    else:
        with pytest.raises(ConfigError, match="sees no CUDA GPU"):
            runtime.choose(replace(CFG, device="cuda"))
    with pytest.raises(ConfigError, match="not one of auto, cpu, cuda"):
        replace(CFG, device="gpu").validate()
    with pytest.raises(ConfigError, match="seamless.dtype"):
        replace(CFG, dtype="int8").validate()
    bf16 = SeamlessASR(tiny, replace(CFG, dtype="bfloat16"))
    assert next(bf16.model.parameters()).dtype == torch.bfloat16
    assert isinstance(bf16.transcribe(noise(1)), str)


def test_asr_transcribes_and_is_loaded_once_per_process(asr, tiny):
    text = asr.transcribe(noise(5))
    assert isinstance(text, str) and text == text.strip()
    assert "</s>" not in text and "__eng__" not in text  # special tokens are dropped
    assert asr.transcribe(noise(5)) == text  # greedy: the same every time
    again = SeamlessASR(tiny, CFG)
    assert again.model is asr.model  # the same weights, not a second copy
    asr.warm_up()


def test_other_rates_and_stereo_are_resampled_to_16k(asr, monkeypatch):
    import soxr

    seen = []
    real = asr.processor

    class Spy:
        def __call__(self, audio, sampling_rate, **kw):
            seen.append((len(audio), sampling_rate))
            return real(audio=audio, sampling_rate=sampling_rate, **kw)

        def decode(self, *a, **kw):
            return real.decode(*a, **kw)

    monkeypatch.setattr(asr, "processor", Spy())
    mono8k = noise(2, 8_000)
    stereo = np.stack([mono8k, mono8k], axis=1)
    direct = asr.transcribe(soxr.resample(mono8k, 8_000, 16_000).astype(np.float32))
    assert asr.transcribe(stereo, sample_rate=8_000) == direct
    assert seen[-1] == (32_000, 16_000)


def test_long_audio_is_cut_in_its_pauses():
    rate = 16_000
    speechy = noise(50, rate)
    speechy[int(17.0 * rate) : int(17.5 * rate)] = 0  # a pause inside the first 20 s
    speechy[int(34.0 * rate) : int(34.4 * rate)] = 0
    pieces = split_long(speechy, rate, 20)
    assert [round(len(p) / rate, 1) for p in pieces] == pytest.approx([17.2, 17.0, 15.8], abs=0.3)
    assert sum(len(p) for p in pieces) == len(speechy)
    assert split_long(noise(3, rate), rate, 20)[0].shape == (3 * rate,)


def test_long_audio_is_transcribed_piece_by_piece(asr, monkeypatch):
    calls = []
    monkeypatch.setattr(asr, "_one", lambda audio: calls.append(len(audio)) or f"p{len(calls)}")
    assert asr.transcribe(noise(45)) == "p1 p2 p3"
    assert all(n <= CFG.chunk_seconds * 16_000 for n in calls)


def test_tts_speaks_at_the_model_rate(tts):
    assert tts.sample_rate == 16_000
    short = tts.synthesize("Nice to meet you.")
    long = tts.synthesize("Nice to meet you. Where did you go on holiday last summer?")
    assert short.dtype == np.float32 and short.ndim == 1 and len(short) > 0
    assert len(long) > len(short)  # more text, more units, more audio
    assert np.isfinite(long).all()
    assert tts.synthesize("  ").shape == (0,)


def test_teacher_forced_text_pass_gives_what_generate_gives(tts):
    """The reply's own tokens forced on generate()'s text decoding: the same waveform."""
    import torch

    text = "Where did you go?"
    source = tts.tokenizer(text, src_lang="eng", return_tensors="pt")["input_ids"]
    gen = tts.model.generation_config
    forced = [gen.decoder_start_token_id, gen.text_decoder_lang_to_code_id["eng"]]
    forced += source[0, 1:-1].tolist() + [gen.eos_token_id]

    def allowed(_batch, ids):
        return [forced[len(ids)] if len(ids) < len(forced) else gen.eos_token_id]

    with torch.inference_mode():
        wave, lengths = tts.model.generate(
            source,
            tgt_lang="eng",
            speaker_id=0,
            text_prefix_allowed_tokens_fn=allowed,
            text_max_new_tokens=len(forced) + 2,
        )
    expected = wave[0, : int(lengths.reshape(-1)[0])].numpy()
    np.testing.assert_allclose(tts.synthesize(text), expected, atol=1e-5)


def test_bad_settings_and_broken_folders_are_one_line_errors(tiny, tmp_path):
    with pytest.raises(ConfigError, match="speaker_id 9 is out of range: use 0..3"):
        SeamlessTTS(tiny, replace(CFG, speaker_id=9))
    with pytest.raises(ConfigError, match="cannot speak 'deu'"):
        SeamlessTTS(tiny, replace(CFG, tgt_lang="deu"))
    with pytest.raises(ModelError, match="not a SeamlessM4T v2 folder"):
        runtime.model_folder(replace(CFG, model_path=str(tmp_path / "nowhere")))
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ModelError, match="'bert' model, not SeamlessM4T v2"):
        SeamlessASR(other, CFG)
    broken = tmp_path / "broken"
    shutil.copytree(tiny, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ModelError, match="cannot load SeamlessM4T v2"):
        SeamlessASR(broken, CFG)


def test_without_the_weights_the_profile_names_the_pull_commands(cli):
    code, out, err = cli("talk", "--profile", "seamless", "--text", "I go to Rome.")
    assert code == 3 and out == ""
    assert "im4talkin models pull seamless-m4t-v2-large" in err
    assert "im4talkin models pull llama-2-7b-chat" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_registry_builds_both_backends_from_the_profile(tiny, monkeypatch):
    monkeypatch.setenv("IM4TALKIN_SEAMLESS_MODEL_PATH", str(tiny))
    settings = override(load_settings("seamless"), llm__name="smollm2")
    assert registry.unpulled(settings) == []
    assert registry.create("asr", "seamless", settings).name == "seamless-m4t-v2"
    assert registry.create("tts", "seamless", settings).sample_rate == 16_000


def test_a_scripted_seamless_session(tiny, cli, monkeypatch, tmp_path, speech, home, no_speakers):
    """talk --profile seamless on the tiny model: the partner is SmolLM2 (Llama 2 is 4 GB)."""
    monkeypatch.setenv("IM4TALKIN_SEAMLESS_MODEL_PATH", str(tiny))
    replies = tmp_path / "replies"
    code, out, err = cli(
        "talk", "--profile", "seamless", "--llm", "smollm2", "--topic", "travel",
        "--text", "Yesterday I go to the museum.",
        "--input-audio", str(speech("I like trains.")),
        "--save-audio", str(replies), "--json", "--no-llm-feedback",
    )  # fmt: skip
    assert code == 0, err
    assert "Traceback" not in err
    turns = [json.loads(line) for line in out.splitlines()]
    assert [t["input"] for t in turns] == ["text", "audio"]
    assert any(c["original"] == "go" for c in turns[0]["corrections"])
    assert isinstance(turns[1]["transcript"], str)  # random weights: any text at all
    for turn in turns:
        assert turn["reply_audio"], (turn, err)
        info = sf.info(turn["reply_audio"])
        assert info.samplerate == 16_000 and info.channels == 1 and info.duration > 0
    assert sf.info(turns[1]["recording"]).samplerate == 16_000
