"""Shared fixtures: the real bundled models, loaded once per test session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import urllib3  # noqa: F401  (imported before pytest-socket blocks sockets: see below)

from im4talkin import registry
from im4talkin.config import Settings, load_settings

# urllib3 (which spaCy imports) probes IPv6 support with a local socket on first import; done
# here, that probe is not reported as a test using the network.

DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "data" / "learner_errors_dev.jsonl"


@pytest.fixture(scope="session", autouse=True)
def _model_cache(tmp_path_factory) -> Iterator[Path]:
    """One model cache for the whole session; each test gets its own data dir."""
    cache = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IM4TALKIN_MODELS_DIR", str(cache))
        yield cache


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty data dir for every test."""
    path = tmp_path / "home"
    monkeypatch.setenv("IM4TALKIN_HOME", str(path))
    for key in ("IM4TALKIN_LEVEL", "IM4TALKIN_LLM_NAME", "IM4TALKIN_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    return path


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def smollm2(settings):
    """SmolLM2-135M-Instruct: the fast real model for plumbing tests."""
    return registry.create("llm", "smollm2", settings)


@pytest.fixture(scope="session")
def qwen(settings):
    """The default partner, Qwen2.5-Coder-1.5B-Instruct, joined from its 22 parts."""
    return registry.create("llm", "qwen", settings)


@pytest.fixture(scope="session")
def nlp():
    from im4talkin.feedback.rules import load_nlp

    return load_nlp()


@pytest.fixture(scope="session")
def harper():
    return registry.create("checker", "harper", load_settings())


@pytest.fixture(scope="session")
def rules(nlp):
    from im4talkin.feedback.rules import LearnerRules

    return LearnerRules(nlp)


@pytest.fixture(scope="session")
def whisper_base(settings):
    """The default speech recogniser, Whisper base, joined from its two parts."""
    return registry.create("asr", "whisper-base", settings)


@pytest.fixture(scope="session")
def whisper_tiny(settings):
    return registry.create("asr", "whisper-tiny", settings)


@pytest.fixture(scope="session")
def piper(settings):
    """The partner's voice, Piper en_US-joe-medium."""
    return registry.create("tts", "piper-joe", settings)


@pytest.fixture(scope="session")
def speech(tmp_path_factory, piper):
    """Learner sentences spoken by Piper, as 22.05 kHz WAV files: ``speech(text) -> path``.

    Spoken steadily (no random noise), so every run of the suite hears the same audio.
    """
    from im4talkin.audio.io import write_wav

    folder = tmp_path_factory.mktemp("speech")
    made: dict[str, Path] = {}

    def make(text: str) -> Path:
        if text not in made:
            path = folder / f"{len(made)}.wav"
            silence = np.zeros(piper.sample_rate // 4, np.float32)
            audio = np.concatenate([silence, piper.synthesize(text, steady=True), silence])
            made[text] = write_wav(path, audio, piper.sample_rate)
        return made[text]

    return make


@pytest.fixture
def no_speakers(monkeypatch):
    """This machine's real state (no sound devices) on machines that do have some."""
    from im4talkin.audio import devices

    if devices.problem(None, "output") is None:
        monkeypatch.setattr(
            devices, "problem", lambda device, kind: f"no sound {kind} device found"
        )
        monkeypatch.setattr(devices, "listing", lambda: [])


@pytest.fixture
def cached_models(monkeypatch, smollm2, harper, rules, whisper_base, piper):
    """Make the registry hand out the session's loaded models (the CLI runs in process)."""
    made = {
        ("llm", "smollm2"): smollm2,
        ("checker", "harper"): harper,
        ("checker", "rules"): rules,
        ("asr", "whisper-base"): whisper_base,
        ("tts", "piper-joe"): piper,
    }
    for key, obj in made.items():
        monkeypatch.setitem(registry.REGISTRY, key, lambda *a, _o=obj, **k: _o)
    return made


@pytest.fixture
def spoken_turn(cli, cached_models, tmp_path):
    """One scripted ``talk --json`` turn spoken by espeak-ng (``[[...]]``: phonemes), with
    SmolLM2 as the partner: ``spoken_turn(text, *options) -> the turn's JSON``."""
    import json
    import subprocess

    def run(text: str, *options: str) -> dict:
        wav = tmp_path / "turn.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), text], check=True)
        args = ("talk", "--llm", "smollm2", "--no-speak", "--input-audio", str(wav), "--json")
        code, out, err = cli(*args, *options)
        assert code == 0, err
        return json.loads(out.splitlines()[0])

    return run


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run ``im4talkin ARGS`` in process; return (exit code, stdout, stderr)."""
    from im4talkin.cli.main import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["im4talkin", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
