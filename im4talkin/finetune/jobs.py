"""One fine-tuning job per kind of recogniser: how to measure it, train it and save the result.

``WhisperJob`` (the bundled profile) trains a full copy of Whisper and saves it as a
CTranslate2 folder that faster-whisper loads like the shipped one; ``SeamlessJob`` trains a
LoRA adapter for SeamlessM4T v2 and saves only the adapter. Either way the result is a folder
under the learner's data dir, recorded in the ``finetunes`` table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import ConfigError, MissingDependency
from ..registry import whisper_prompt

WHISPERS = ("whisper-base", "whisper-tiny")


class WhisperJob:
    def __init__(self, settings: Settings, encoder_layers: int = 2, **options: Any) -> None:
        self.settings = settings
        self.name = settings.asr.name
        self.encoder_layers = encoder_layers
        self.options = options
        """More of :class:`~.whisper.WhisperTuner`'s settings (bench/finetune_dev.py)."""
        self.prompt = whisper_prompt(settings, self.name)

    def recogniser(self, adapted: Path | None) -> Any:
        """The recogniser as ``talk`` runs it: shipped (None) or an adapted folder."""
        from ..asr.whisper import WhisperASR

        cfg = self.settings.asr
        folder = adapted or self.shipped()
        return WhisperASR(folder, self.name, cfg.cpu_threads, cfg.beam_size, self.prompt)

    def shipped(self) -> Path:
        from ..bundled import whisper_base_dir, whisper_tiny_dir

        return whisper_base_dir() if self.name == "whisper-base" else whisper_tiny_dir()

    def tuner(self) -> Any:
        import transformers

        from .convert import ct2_to_transformers
        from .whisper import WhisperTuner

        transformers.logging.set_verbosity_error()  # no load reports or progress bars
        transformers.utils.logging.disable_progress_bar()

        model, processor = ct2_to_transformers(self.shipped())
        return WhisperTuner(
            model, processor, prompt=self.prompt, encoder_layers=self.encoder_layers,
            **self.options,
        )  # fmt: skip

    def identity(self) -> list:
        return [self.name, self.encoder_layers, self.prompt, sorted(self.options.items())]

    def export(self, tuner: Any, folder: Path) -> None:
        from .convert import transformers_to_ct2

        transformers_to_ct2(tuner.model, tuner.processor, folder)


class SeamlessJob:
    name = "seamless"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def recogniser(self, adapted: Path | None) -> Any:
        from ..seamless.asr import SeamlessASR
        from ..seamless.runtime import model_folder

        cfg = self.settings.seamless
        return SeamlessASR(model_folder(cfg), cfg, adapter=adapted)

    def tuner(self) -> Any:
        from ..seamless.runtime import model_folder
        from .seamless import SeamlessTuner

        cfg = self.settings.seamless
        return SeamlessTuner(model_folder(cfg), cfg.tgt_lang)

    def identity(self) -> list:
        return [self.name, str(self.settings.seamless.model_path), self.settings.seamless.tgt_lang]

    def export(self, tuner: Any, folder: Path) -> None:
        tuner.export(folder)


def job_for(settings: Settings, encoder_layers: int = 2) -> WhisperJob | SeamlessJob:
    """The job for the active recogniser; MissingDependency when training packages are absent."""
    import importlib.util

    for module in ("torch", "transformers", "peft"):
        if importlib.util.find_spec(module) is None:
            raise MissingDependency("im4talkin finetune", module)
    name = settings.asr.name
    if name in WHISPERS:
        return WhisperJob(settings, encoder_layers)
    if name == "seamless":
        return SeamlessJob(settings)
    raise ConfigError(f"finetune adapts {', '.join(WHISPERS)} or seamless; not '{name}'")
