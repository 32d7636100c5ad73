"""Where SeamlessM4T v2 runs and how it is loaded: device and dtype from config, offline only,
each model class loaded once per process and shared by every caller."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import SeamlessConfig
from ..errors import ConfigError, MissingDependency, ModelError

_LOADED: dict[tuple[str, ...], Loaded] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Loaded:
    model: Any
    processor: Any
    device: str
    dtype: Any
    """a ``torch.dtype``"""


def _torch() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # loading never goes online
    try:
        import torch
        import transformers
    except ImportError as err:
        raise MissingDependency("SeamlessM4T v2", err.name or "transformers") from None
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    return torch


def choose(cfg: SeamlessConfig) -> tuple[str, Any]:
    """(device, torch dtype) for ``cfg``: ``auto`` is CUDA + bfloat16 when torch sees a GPU."""
    torch = _torch()
    cuda = torch.cuda.is_available()
    device = cfg.device
    if device == "auto":
        device = "cuda" if cuda else "cpu"
    elif device.startswith("cuda"):
        if not cuda:
            raise ConfigError(
                f"seamless.device is '{device}' but torch {torch.__version__} sees no CUDA GPU: "
                'set seamless.device = "auto" or "cpu", or install a CUDA build of torch'
            )
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise ConfigError(
                f"seamless.device is '{device}' but there are only "
                f"{torch.cuda.device_count()} GPU(s): use cuda:0 .. cuda:{torch.cuda.device_count() - 1}"
            )
    on_gpu = device.startswith("cuda")
    if cfg.dtype == "auto":
        dtype = torch.bfloat16 if on_gpu else torch.float32
    else:
        dtype = getattr(torch, cfg.dtype)
    if not on_gpu and dtype == torch.float16:
        raise ConfigError(
            'seamless.dtype float16 is for GPUs: use "float32" or "bfloat16" on the CPU'
        )
    return device, dtype


def model_folder(cfg: SeamlessConfig) -> Path:
    """``seamless.model_path`` if set, else the pulled v2-large (ModelError: the pull command)."""
    if cfg.model_path:
        folder = Path(cfg.model_path).expanduser()
        if not (folder / "config.json").is_file():
            raise ModelError(
                f"seamless.model_path {folder} is not a SeamlessM4T v2 folder (no config.json): "
                "point it at a save_pretrained folder, or leave it empty for the pulled model"
            )
        return folder
    from .. import hub

    return hub.path(hub.SEAMLESS_V2_LARGE)


def load(kind: str, folder: Path, cfg: SeamlessConfig, adapter: Path | None = None) -> Loaded:
    """The ``asr`` (SeamlessM4Tv2ForSpeechToText) or ``tts`` (…ForTextToSpeech) model;
    ``adapter``: a learner's LoRA adapter (``im4talkin finetune``), merged into the weights."""
    torch = _torch()
    device, dtype = choose(cfg)
    key = (kind, str(folder.resolve()), device, str(dtype), str(adapter or ""))
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        from transformers import (
            AutoConfig,
            AutoProcessor,
            SeamlessM4Tv2ForSpeechToText,
            SeamlessM4Tv2ForTextToSpeech,
        )

        cls = {"asr": SeamlessM4Tv2ForSpeechToText, "tts": SeamlessM4Tv2ForTextToSpeech}[kind]
        try:
            config = AutoConfig.from_pretrained(folder, local_files_only=True)
            if config.model_type != "seamless_m4t_v2":
                raise ModelError(
                    f"{folder} holds a '{config.model_type}' model, not SeamlessM4T v2: "
                    "fix seamless.model_path"
                )
            processor = AutoProcessor.from_pretrained(folder, local_files_only=True)
            model = cls.from_pretrained(folder, local_files_only=True, dtype=dtype)
            if adapter is not None:
                from peft import PeftModel

                model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
        except ModelError:
            raise
        except Exception as err:  # OSError, ValueError, safetensors' and torch's own errors
            detail = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
            raise ModelError(
                f"cannot load SeamlessM4T v2 from {folder} ({detail}): "
                "run 'im4talkin models verify' or pull it again"
            ) from None
        if device == "cpu":
            torch.set_num_threads(cfg.cpu_threads)
        model = model.to(device).eval()
        _LOADED[key] = Loaded(model, processor, device, dtype)
        return _LOADED[key]
