import pytest

from im4talkin import registry
from im4talkin.config import load_settings, override
from im4talkin.errors import ConfigError


def test_defaults_are_the_embedded_profile():
    s = load_settings()
    assert s.profile == "embedded"
    assert s.llm.name == "qwen"
    assert s.level == "B1"
    assert s.llm.name in registry.names("llm")


def test_env_vars_override_the_file(monkeypatch):
    monkeypatch.setenv("IM4TALKIN_LLM_N_THREADS", "1")
    monkeypatch.setenv("IM4TALKIN_LEVEL", "a2")
    monkeypatch.setenv("IM4TALKIN_FEEDBACK_LLM", "false")
    s = override(load_settings())
    assert s.llm.n_threads == 1 and s.level == "A2" and s.feedback.llm is False


def test_flags_override_env(monkeypatch):
    monkeypatch.setenv("IM4TALKIN_LEVEL", "A2")
    s = override(load_settings(), level="B2", llm__name="smollm2")
    assert s.level == "B2" and s.llm.name == "smollm2"


@pytest.mark.parametrize(
    "flags, message",
    [({"level": "C7"}, "unknown level"), ({"llm__n_threads": "many"}, "expected int")],
)
def test_bad_values_say_what_is_wrong(flags, message):
    with pytest.raises(ConfigError, match=message):
        override(load_settings(), **flags)


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown profile 'nope'.*embedded"):
        load_settings("nope")


def test_unknown_backend_lists_the_registry():
    with pytest.raises(ConfigError, match="qwen, smollm2"):
        registry.create("llm", "gpt9", load_settings())


def test_importing_the_package_is_cheap():
    import subprocess
    import sys

    code = (
        "import sys, im4talkin.cli.main, im4talkin.registry;"
        "heavy = {'llama_cpp', 'spacy', 'harper', 'torch'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_tutor_imports_no_audio_backend():
    """tutor/ works on the stages' Protocols and ``messages``: importing the conversation
    loads neither the audio I/O nor a recogniser's library."""
    import subprocess
    import sys

    code = (
        "import sys, im4talkin.tutor.session, im4talkin.tutor.partner;"
        "mods = {'im4talkin.audio', 'im4talkin.audio.io', 'faster_whisper', 'ctranslate2',"
        " 'soundfile', 'sounddevice'};"
        "print(sorted(mods & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
