"""Typed settings: ``configs/default.toml``, then the profile's file, then ``IM4TALKIN_*`` env
vars, then command-line flags (applied by the CLI with :func:`override`)."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .paths import shipped

LEVELS = ("A2", "B1", "B2")
DTYPES = ("auto", "float32", "bfloat16", "float16")


@dataclass
class LLMConfig:
    """The partner model."""

    name: str = "qwen"
    """Registry name of the LLM backend (see ``im4talkin.registry``)."""
    model_path: str = ""
    """Any GGUF file; when set it replaces the named model's bundled file."""
    adapter: str = ""
    """A LoRA adapter (GGUF) for the partner's replies: "" none, "auto" the role-play adapter
    shipped for the bundled Qwen (none for other models), or a file's path. Off by default:
    the shipped adapter judged worse than the model alone (bench/RESULTS.md)."""
    n_threads: int = 2
    """llama.cpp threads for generation."""
    n_ctx: int = 4096
    """Context window in tokens; old turns are dropped to stay inside it."""
    max_tokens: int = 80
    """Cap on one reply's tokens."""
    temperature: float = 0.3
    """Sampling temperature of replies."""
    seed: int = 7
    """Sampling seed, for repeatable sessions."""
    url: str = ""
    """For ``name = "openai"``: an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1."""
    server_model: str = ""
    """For ``openai``: the model name to ask the server for (vLLM needs it); empty: its default."""
    api_key: str = ""
    """For ``openai``: a bearer token, if the server wants one."""
    timeout: float = 30.0
    """For ``openai``: seconds to wait for the server before giving up on a turn."""
    n_gpu_layers: int = 0
    """llama.cpp layers offloaded to a GPU (-1: all); 0 on a CPU-only build."""


@dataclass
class FeedbackConfig:
    """Which checkers look at each learner sentence."""

    harper: bool = True
    """Harper's grammar lints (capitalisation, punctuation and spelling dropped)."""
    rules: bool = True
    """Learner-error rules built on spaCy and lemminflect."""
    llm: bool = True
    """Ask the partner model for corrections too (schema-constrained JSON)."""
    llm_max_tokens: int = 120
    """Cap on the LLM's correction output."""
    sounds: str = "hama"
    """The phoneme recogniser: scores the sounds of each word read aloud, and hears back the
    mistakes speech recognition smoothed over in spoken turns; "" for none."""


LEARNER_PROMPT = (
    "Um, yesterday I go to market and I buy two apple. My brother don't like coffee, "
    "he drink tea. She have three cat. We was very tired."
)
"""Whisper's priming text: learner English, so mistakes are written down as spoken. On
sentences not in it (bench/mistake_survival.py) it kept more mistakes and lowered WER with
Whisper base; with tiny.en it did not help."""


@dataclass
class ASRConfig:
    """Speech recognition."""

    name: str = "whisper-base"
    """Registry name: whisper-base (default) or whisper-tiny (tiny.en, for small machines)."""
    cpu_threads: int = 2
    """CTranslate2 threads; recognition runs alone, before the reply starts."""
    beam_size: int = 5
    """Beam search width (1 was worse at keeping mistakes and at WER)."""
    adapted: bool = True
    """Use the learner's fine-tuned recogniser (``im4talkin finetune``) when there is one."""
    initial_prompt: str = "auto"
    """Text Whisper is primed with; ``auto``: :data:`LEARNER_PROMPT` for whisper-base (it
    helped there) and none for whisper-tiny (it did not); "" for none."""


@dataclass
class TTSConfig:
    """The partner's voice."""

    name: str = "piper-joe"
    """Registry name of the voice: piper-joe (Piper en_US-joe-medium)."""
    speak: bool = True
    """Speak replies aloud (when there is an output device)."""
    speed: float = 1.0
    """Speaking rate: 0.5 (slow) to 2.0 (fast)."""
    threads: int = 1
    """ONNX Runtime threads; the voice works beside the LLM on the same cores."""


@dataclass
class SeamlessConfig:
    """SeamlessM4T v2 (the seamless profile's speech recognition and voice), via transformers."""

    model_path: str = ""
    """A local SeamlessM4T v2 folder; empty: the pulled ``seamless-m4t-v2-large``."""
    device: str = "auto"
    """``auto`` (CUDA when torch sees a GPU, else CPU), ``cpu``, ``cuda`` or ``cuda:N``."""
    dtype: str = "auto"
    """``auto`` (bfloat16 on CUDA, float32 on CPU), ``float32``, ``bfloat16`` or ``float16``."""
    cpu_threads: int = 2
    """torch threads when running on the CPU."""
    tgt_lang: str = "eng"
    """Language of the transcripts and of the voice."""
    speaker_id: int = 0
    """The vocoder's speaker (0..199 for v2-large)."""
    num_beams: int = 1
    """Beam width of recognition; 1 (greedy) keeps the decoder loop short."""
    max_new_tokens: int = 128
    """Cap on the tokens of one recognised chunk."""
    static_cache: bool = True
    """Preallocated KV cache (lets CUDA graphs replay the decoder step)."""
    chunk_seconds: float = 20.0
    """Longer audio is cut at its quietest moments into chunks of at most this."""

    def validate(self) -> None:
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", self.device):
            raise ConfigError(
                f"seamless.device '{self.device}' is not one of auto, cpu, cuda, cuda:N"
            )
        if self.dtype not in DTYPES:
            raise ConfigError(f"seamless.dtype '{self.dtype}' is not one of {', '.join(DTYPES)}")
        if self.cpu_threads < 1 or self.num_beams < 1 or self.max_new_tokens < 1:
            raise ConfigError(
                "seamless.cpu_threads, num_beams and max_new_tokens must be at least 1"
            )
        if not 5 <= self.chunk_seconds <= 30:
            raise ConfigError("seamless.chunk_seconds must be between 5 and 30")
        if self.speaker_id < 0:
            raise ConfigError("seamless.speaker_id must be 0 or more")


@dataclass
class AudioConfig:
    """Sound devices and recordings."""

    input_device: str = ""
    """Microphone: an index or name from 'im4talkin devices'; empty: the default."""
    output_device: str = ""
    """Speakers: an index or name from 'im4talkin devices'; empty: the default."""
    max_seconds: float = 30.0
    """Longest recording of one turn; longer files are cut to this."""


@dataclass
class Settings:
    """All settings of one run."""

    profile: str = "embedded"
    """Name of the profile file in ``configs/`` merged over ``default.toml``."""
    learner: str = "default"
    """Whose history this session joins."""
    level: str = "B1"
    """CEFR level, A2, B1 or B2: shapes the partner's words and sentence length."""
    llm: LLMConfig = field(default_factory=LLMConfig)
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)
    asr: ASRConfig = field(default_factory=ASRConfig)
    tts: TTSConfig = field(default_factory=TTSConfig)
    seamless: SeamlessConfig = field(default_factory=SeamlessConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)

    def validate(self) -> Settings:
        """Raise ConfigError on a value no stage can use."""
        self.level = self.level.upper()
        if self.level not in LEVELS:
            raise ConfigError(f"unknown level '{self.level}': use one of {', '.join(LEVELS)}")
        if not self.learner.strip():
            raise ConfigError("the learner name is empty: pass --learner NAME")
        if self.llm.n_threads < 1:
            raise ConfigError("llm.n_threads must be at least 1")
        if not 0.5 <= self.tts.speed <= 2.0:
            raise ConfigError(
                f"speed {self.tts.speed} is out of range: use 0.5 (slow) to 2.0 (fast)"
            )
        if self.asr.cpu_threads < 1 or self.tts.threads < 1:
            raise ConfigError("asr.cpu_threads and tts.threads must be at least 1")
        if self.llm.timeout <= 0:
            raise ConfigError("llm.timeout must be more than 0 seconds")
        if self.asr.beam_size < 1:
            raise ConfigError("asr.beam_size must be at least 1")
        if not 1 <= self.audio.max_seconds <= 120:
            raise ConfigError("audio.max_seconds must be between 1 and 120")
        self.seamless.validate()
        return self


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: {err}") from err


def _apply(obj: Any, values: dict[str, Any], where: str) -> None:
    names = {f.name: f for f in dataclasses.fields(obj)}
    for key, value in values.items():
        if key not in names:
            raise ConfigError(f"{where}: unknown setting '{key}' (known: {', '.join(names)})")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: '{key}' must be a table")
            _apply(current, value, f"{where}.{key}")
        else:
            setattr(obj, key, _coerce(value, type(current), f"{where}.{key}"))


def _coerce(value: Any, kind: type, where: str) -> Any:
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if kind is bool:
                if text.lower() in ("1", "true", "yes", "on"):
                    return True
                if text.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(text)
            return kind(text)
        except ValueError:
            pass
    if kind is float and isinstance(value, int):
        return float(value)
    if kind is str and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # e.g. input_device = 2
    raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}")


def _env_values(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if dataclasses.is_dataclass(value):
            for sub in dataclasses.fields(value):
                env = os.environ.get(f"IM4TALKIN_{f.name}_{sub.name}".upper())
                if env is not None:
                    out.setdefault(f.name, {})[sub.name] = env
        else:
            env = os.environ.get(f"IM4TALKIN_{f.name}".upper())
            if env is not None:
                out[f.name] = env
    return out


def load_settings(profile: str | None = None, config_dir: Path | None = None) -> Settings:
    """Defaults, then ``default.toml``, the profile file, and the env vars, in that order."""
    folder = config_dir or shipped("configs")
    settings = Settings()
    _apply(settings, _read_toml(folder / "default.toml"), "default.toml")
    env = _env_values(settings)
    chosen = profile or env.get("profile") or settings.profile
    if chosen != "embedded" or (folder / f"{chosen}.toml").exists():
        path = folder / f"{chosen}.toml"
        if not path.exists():
            known = sorted(p.stem for p in folder.glob("*.toml") if p.stem != "default")
            raise ConfigError(f"unknown profile '{chosen}': use one of {', '.join(known)}")
        _apply(settings, _read_toml(path), path.name)
    settings.profile = chosen
    _apply(settings, _env_values(settings), "environment")
    return settings


def override(settings: Settings, **flags: Any) -> Settings:
    """Apply command-line flags given as ``section__key=value`` (None means not given)."""
    for key, value in flags.items():
        if value is None:
            continue
        section, _, name = key.partition("__")
        if name:
            _apply(settings, {section: {name: value}}, "flag")
        else:
            _apply(settings, {section: value}, "flag")
    return settings.validate()
