"""The only place that knows concrete backends: (kind, name) -> lazy factory.

Factories import their heavy libraries when called, never at import time. A missing
optional package becomes a MissingDependency with the exact ``pip install`` to run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import LEARNER_PROMPT, Settings
from .errors import ConfigError, ModelError
from .paths import models_dir

Factory = Callable[..., Any]


def _llama(
    path: Path,
    name: str,
    settings: Settings,
    n_ctx: int | None = None,
    template: str | None = None,
    adapter: Path | None = None,
) -> Any:
    from .llm.llama import LlamaChat

    cfg = settings.llm
    return LlamaChat(
        path,
        name=name,
        n_ctx=n_ctx or cfg.n_ctx,
        n_threads=cfg.n_threads,
        temperature=cfg.temperature,
        seed=cfg.seed,
        n_gpu_layers=cfg.n_gpu_layers,
        fallback_template=template,
        state_dir=models_dir() / "prompt-states",
        adapter=adapter,
    )


def _adapter(settings: Settings, shipped: Path | None, replies: bool) -> Path | None:
    """The partner's LoRA adapter: none for an instance that only writes corrections
    (``replies`` false), the shipped one for "auto" on the bundled model, or the file set."""
    chosen = settings.llm.adapter
    if not replies or not chosen:
        return None
    if chosen == "auto":
        return shipped if shipped and not settings.llm.model_path and shipped.is_file() else None
    return Path(chosen).expanduser()


def _model_path(settings: Settings, default: Callable[[], Path]) -> tuple[Path, str | None]:
    custom = settings.llm.model_path
    if custom:
        path = Path(custom).expanduser()
        return path, path.stem
    return default(), None


def qwen_path(progress: Callable[[int, int], None] | None = None) -> Path:
    """The bundled Qwen2.5-Coder-1.5B-Instruct GGUF, joined into the cache on first use."""
    from .bundled import QWEN, assemble

    return assemble(QWEN, progress=progress)


def _qwen(
    settings: Settings, progress: Any = None, n_ctx: int | None = None, replies: bool = True
) -> Any:
    from .llm.adapters import QWEN_ROLEPLAY

    path, custom = _model_path(settings, lambda: qwen_path(progress))
    adapter = _adapter(settings, QWEN_ROLEPLAY, replies)
    return _llama(path, custom or "qwen2.5-1.5b", settings, n_ctx, adapter=adapter)


def _smollm2(
    settings: Settings, progress: Any = None, n_ctx: int | None = None, replies: bool = True
) -> Any:
    from .bundled import smollm2_path

    path, custom = _model_path(settings, smollm2_path)
    adapter = _adapter(settings, None, replies)
    return _llama(path, custom or "smollm2-135m", settings, n_ctx, adapter=adapter)


def _llama2(
    settings: Settings, progress: Any = None, n_ctx: int | None = None, replies: bool = True
) -> Any:
    from .hub import LLAMA2_CHAT
    from .hub import path as pulled
    from .llm.llama import LLAMA2_TEMPLATE

    gguf = LLAMA2_CHAT.files[0].path
    path, custom = _model_path(settings, lambda: pulled(LLAMA2_CHAT) / gguf)
    adapter = _adapter(settings, None, replies)
    return _llama(path, custom or "llama-2-7b-chat", settings, n_ctx, LLAMA2_TEMPLATE, adapter)


def _openai(
    settings: Settings, progress: Any = None, n_ctx: int | None = None, replies: bool = True
) -> Any:
    """``replies``: unused (the server owns its weights and adapters)."""
    from .llm.openai import OpenAIChat

    cfg = settings.llm
    if not cfg.url:
        raise ConfigError("--llm openai needs the server's URL: --llm-url http://HOST:PORT/v1")
    return OpenAIChat(
        cfg.url,
        model=cfg.server_model,
        api_key=cfg.api_key,
        n_ctx=n_ctx or cfg.n_ctx,
        temperature=cfg.temperature,
        seed=cfg.seed,
        timeout=cfg.timeout,
    )


def _harper(settings: Settings) -> Any:
    from .feedback.harper import HarperChecker

    return HarperChecker()


def _rules(settings: Settings) -> Any:
    from .feedback.rules import LearnerRules, load_nlp

    return LearnerRules(load_nlp())


AUTO_PROMPTS = {"whisper-base": LEARNER_PROMPT, "whisper-tiny": ""}
"""What ``asr.initial_prompt = "auto"`` means per Whisper: the learner prompt helped base,
not tiny.en (bench/mistake_survival.py)."""


def whisper_prompt(settings: Settings, asr_name: str) -> str:
    """The text ``asr_name`` is primed with under ``settings``."""
    cfg = settings.asr
    return AUTO_PROMPTS[asr_name] if cfg.initial_prompt == "auto" else cfg.initial_prompt


def _whisper(settings: Settings, folder: Path, asr_name: str, label: str, dist: str) -> Any:
    """Whisper ``asr_name`` loaded from ``folder``, shown as ``label``."""
    from .asr.whisper import WhisperASR

    cfg = settings.asr
    prompt = whisper_prompt(settings, asr_name)
    return WhisperASR(folder, label, cfg.cpu_threads, cfg.beam_size, prompt, dist=dist)


def adapted(settings: Settings, asr_name: str) -> Path | None:
    """The learner's fine-tuned copy of ``asr_name`` in use (``im4talkin finetune``), if any."""
    if not settings.asr.adapted:
        return None
    from .finetune.runs import active_folder

    return active_folder(settings.learner, asr_name)


def _whisper_base(settings: Settings, progress: Any = None) -> Any:
    from .bundled import WHISPER_BASE, whisper_base_dir

    folder = adapted(settings, "whisper-base") or whisper_base_dir(progress)
    dist = WHISPER_BASE.parts[0].dist
    return _whisper(settings, folder, "whisper-base", "whisper-base", dist)


def _whisper_tiny(settings: Settings, progress: Any = None) -> Any:
    from .bundled import WHISPER_TINY, whisper_tiny_dir

    folder = adapted(settings, "whisper-tiny") or whisper_tiny_dir()
    return _whisper(settings, folder, "whisper-tiny", "whisper-tiny.en", WHISPER_TINY.dist)


def _seamless_asr(settings: Settings, progress: Any = None) -> Any:
    from .seamless.asr import SeamlessASR
    from .seamless.runtime import model_folder

    folder = model_folder(settings.seamless)
    return SeamlessASR(folder, settings.seamless, adapter=adapted(settings, "seamless"))


def _seamless_tts(settings: Settings) -> Any:
    from .seamless.runtime import model_folder
    from .seamless.tts import SeamlessTTS

    return SeamlessTTS(model_folder(settings.seamless), settings.seamless)


def _piper_joe(settings: Settings) -> Any:
    from .bundled import piper_joe_files
    from .tts.piper import PiperTTS

    model, config = piper_joe_files()
    return PiperTTS(model, config, "piper-joe", settings.tts.speed, settings.tts.threads)


def _hama(settings: Settings) -> Any:
    from .phonemes.hama import HamaPhonemes

    return HamaPhonemes()


def sound_checker(settings: Settings, nlp: Any = None) -> Any:
    """The pronunciation checker of ``feedback.sounds`` (phoneme recogniser, CMU dictionary,
    spaCy tagger: ``nlp``, else a new one), loaded and warmed up; None when that setting is
    empty."""
    name = settings.feedback.sounds
    if not name:
        return None
    from .feedback.pronunciation import SoundChecker
    from .feedback.rules import load_nlp
    from .phonemes.lexicon import Lexicon

    recognizer = create("phonemes", name, settings)
    checker = SoundChecker(recognizer, Lexicon(recognizer.spell), nlp or load_nlp())
    checker.warm_up()
    return checker


def _silero(settings: Settings) -> Any:
    from .audio.io import speech_span

    return speech_span


REGISTRY: dict[tuple[str, str], Factory] = {
    ("llm", "qwen"): _qwen,
    ("llm", "smollm2"): _smollm2,
    ("llm", "llama2"): _llama2,
    ("llm", "openai"): _openai,
    ("checker", "harper"): _harper,
    ("checker", "rules"): _rules,
    ("asr", "whisper-base"): _whisper_base,
    ("asr", "whisper-tiny"): _whisper_tiny,
    ("asr", "seamless"): _seamless_asr,
    ("tts", "piper-joe"): _piper_joe,
    ("tts", "seamless"): _seamless_tts,
    ("phonemes", "hama"): _hama,
    ("vad", "silero"): _silero,
}


def names(kind: str) -> list[str]:
    """The registered names of one kind, e.g. ``names("llm")``."""
    return sorted(n for k, n in REGISTRY if k == kind)


def create(kind: str, name: str, settings: Settings, **kwargs: Any) -> Any:
    """Build the backend ``name`` of ``kind``; ConfigError names the valid choices."""
    try:
        factory = REGISTRY[(kind, name)]
    except KeyError:
        raise ConfigError(f"unknown {kind} '{name}': use one of {', '.join(names(kind))}") from None
    return factory(settings, **kwargs)


def check(settings: Settings, kinds: tuple[str, ...] = ("llm", "asr", "tts")) -> Settings:
    """ConfigError now for a backend name no registry entry has, and ModelError for a hub
    model not pulled yet, before anything loads; ``kinds``: the backends the command uses."""
    chosen = {"llm": settings.llm.name, "asr": settings.asr.name, "tts": settings.tts.name}
    for kind in kinds:
        if (kind, chosen[kind]) not in REGISTRY:
            raise ConfigError(
                f"unknown {kind} '{chosen[kind]}': use one of {', '.join(names(kind))}"
            )
    if "llm" in kinds and settings.llm.name == "openai" and not settings.llm.url:
        raise ConfigError("--llm openai needs the server's URL: --llm-url http://HOST:PORT/v1")
    missing = unpulled(settings, kinds)
    if missing:
        commands = " and ".join(f"'im4talkin models pull {name}'" for name in missing)
        raise ModelError(
            f"the {settings.profile} profile needs {', '.join(missing)}, not pulled yet: "
            f"run {commands} once (online); then it runs offline"
        )
    return settings


def unpulled(settings: Settings, kinds: tuple[str, ...] = ("llm", "asr", "tts")) -> list[str]:
    """Hub models these settings would load that are not pulled (no network, no hashing)."""
    from . import hub

    needed = []
    speech = [n for k, n in (("asr", settings.asr.name), ("tts", settings.tts.name)) if k in kinds]
    if "seamless" in speech and not settings.seamless.model_path:
        needed.append(hub.SEAMLESS_V2_LARGE)
    if "llm" in kinds and settings.llm.name == "llama2" and not settings.llm.model_path:
        needed.append(hub.LLAMA2_CHAT)
    return [m.name for m in needed if not hub.status(m)[0]]
