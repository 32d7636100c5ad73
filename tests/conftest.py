"""Shared fixtures: the real bundled models, loaded once per test session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from im4talkin import registry
from im4talkin.config import Settings, load_settings

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


@pytest.fixture
def cached_models(monkeypatch, smollm2, harper, rules):
    """Make the registry hand out the session's loaded models (the CLI runs in process)."""
    made = {("llm", "smollm2"): smollm2, ("checker", "harper"): harper, ("checker", "rules"): rules}
    for key, obj in made.items():
        monkeypatch.setitem(registry.REGISTRY, key, lambda *a, _o=obj, **k: _o)
    return made


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
