"""``im4talkin models pull``: models fetched once from the Hugging Face Hub, then offline.

Each pullable model names a repository, a pinned revision (a full commit hash) and the files
it needs. A file's SHA-256 is pinned here where it was known offline; otherwise it is the one
the pinned commit itself records for the file: the Hub names each downloaded blob by its
content hash (SHA-256 for LFS files, the git blob SHA-1 for small ones), and a commit can
only point at one content. Files land in ``<model cache>/hub`` (huggingface_hub's cache
layout, so an interrupted download resumes from its ``.incomplete`` file); each file is
hashed once after download and the result recorded, and a file that fails the check is
removed. This is
the only module that opens a network connection, and only when ``pull`` is asked for.
``HF_ENDPOINT`` points it at a mirror.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .catalog import hash_file, sha256_file
from .errors import ConfigError, ModelError, StorageError
from .paths import ensure_writable, models_dir
from .store.files import write_file


@dataclass(frozen=True)
class HubFile:
    path: str
    """Path of the file inside the repository."""
    size: int | None = None
    """Bytes, where known offline; otherwise taken from the download."""
    sha256: str | None = None
    """Pinned content hash; None: the content hash the pinned commit records (see above)."""
    optional: bool = False
    """A file the loader can do without (e.g. a fast-tokenizer file); absent is fine."""


@dataclass(frozen=True)
class HubModel:
    name: str
    repo_id: str
    revision: str
    """A full commit hash: what was checked is what is fetched."""
    files: tuple[HubFile, ...]
    role: str = ""
    kind: str = ""
    """``llm`` or ``asr+tts``: what the model serves."""
    size_hint: int = 0
    """About how many bytes a pull fetches (shown before pulling)."""


LLAMA2_CHAT = HubModel(
    "llama-2-7b-chat",
    "TheBloke/Llama-2-7B-Chat-GGUF",
    "191239b3e26b2882fb562ffccdd1cf0f65402adb",
    (
        HubFile(
            "llama-2-7b-chat.Q4_K_M.gguf",
            4_081_004_224,
            "08a5566d61d7cb6b420c3e4387a39e0078e1f2fe5f055f3a03887385304d4bfa",
        ),
    ),
    role="partner of the seamless profile (Llama 2 7B chat, Q4_K_M)",
    kind="llm",
    size_hint=4_081_004_224,
)
"""Size and SHA-256 as published for this commit and as five independent projects pin them."""

SEAMLESS_V2_LARGE = HubModel(
    "seamless-m4t-v2-large",
    "facebook/seamless-m4t-v2-large",
    "5f8cc790b19fc3f67a61c105133b20b34e3dcb76",
    (
        HubFile("config.json"),
        HubFile("generation_config.json"),
        HubFile("preprocessor_config.json"),
        HubFile("tokenizer_config.json"),
        HubFile("sentencepiece.bpe.model"),
        HubFile("special_tokens_map.json", optional=True),
        HubFile("added_tokens.json", optional=True),
        HubFile("tokenizer.json", optional=True),
        HubFile("model.safetensors.index.json"),
        HubFile("model-00001-of-00002.safetensors"),
        HubFile("model-00002-of-00002.safetensors"),
    ),
    role="hearing and voice of the seamless profile (SeamlessM4T v2 large)",
    kind="asr+tts",
)
"""The transformers-format files only (not the fairseq2 ``.pt`` checkpoints in the same repo).
Their hashes are the commit's own (see the module docstring): they could not be read offline."""

PULLABLE: dict[str, HubModel] = {m.name: m for m in (SEAMLESS_V2_LARGE, LLAMA2_CHAT)}
"""Models ``pull`` knows."""


def cache_dir() -> Path:
    return models_dir() / "hub"


def _stamps() -> Path:
    return cache_dir() / "verified.json"


def _read_stamps() -> dict:
    try:
        return json.loads(_stamps().read_text())
    except (OSError, ValueError):
        return {}


def _local(model: HubModel, item: HubFile) -> Path | None:
    """The cached file if present (no network)."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(
        model.repo_id, item.path, cache_dir=str(cache_dir()), revision=model.revision
    )
    return Path(found) if isinstance(found, str) else None


def _key(model: HubModel, item: HubFile) -> str:
    return f"{model.repo_id}@{model.revision}/{item.path}"


def is_verified(model: HubModel, item: HubFile) -> bool:
    """The file is cached, was checked after its download, and has not changed size since."""
    path = _local(model, item)
    if path is None or not path.is_file():
        return False
    stamp = _read_stamps().get(_key(model, item), {})
    size = path.stat().st_size
    return (
        "sha256" in stamp
        and stamp.get("size") == size
        and (item.sha256 is None or stamp["sha256"] == item.sha256)
        and (item.size is None or item.size == size)
    )


def _absent_ok(model: HubModel, item: HubFile) -> bool:
    """An optional file the pinned commit does not have (recorded by an earlier pull)."""
    return item.optional and _read_stamps().get(_key(model, item)) == {"absent": True}


def status(model: HubModel) -> tuple[bool, str]:
    if all(is_verified(model, f) or _absent_ok(model, f) for f in model.files):
        return True, "ready (pulled, SHA-256 checked)"
    return False, f"not pulled: im4talkin models pull {model.name}"


def pulled_size(model: HubModel) -> int | None:
    """Bytes on disk once pulled, else the size known offline (None: not known)."""
    stamps = _read_stamps()
    sizes = [
        0 if _absent_ok(model, f) else stamps.get(_key(model, f), {}).get("size", f.size)
        for f in model.files
    ]
    known = [s for s in sizes if s is not None]
    return sum(known) if known and len(known) == len(sizes) else (model.size_hint or None)


def path(model: HubModel) -> Path:
    """The folder holding the model's files, offline; ModelError with the pull command."""
    ok, state = status(model)
    if not ok:
        raise ModelError(f"{model.name} is {state}")
    first = _local(model, model.files[0])
    assert first is not None
    return first.parents[len(Path(model.files[0].path).parts) - 1]  # the snapshot's root


def _git_blob_sha1(path: Path) -> str:
    return hash_file(path, hashlib.sha1(f"blob {path.stat().st_size}\0".encode()))


def _check(model: HubModel, item: HubFile, blob: Path) -> str | None:
    """The file's SHA-256 if it is what the pin says, else None."""
    digest = sha256_file(blob)
    if item.size is not None and blob.stat().st_size != item.size:
        return None
    if item.sha256 is not None:
        return digest if digest == item.sha256 else None
    named = blob.name  # huggingface_hub names a blob by the content hash the Hub sent
    if re.fullmatch(r"[0-9a-f]{64}", named):
        return digest if digest == named else None
    if re.fullmatch(r"[0-9a-f]{40}", named):
        return digest if _git_blob_sha1(blob) == named else None
    raise ModelError(
        f"the Hub sent no content hash for {item.path} of {model.name}, so it cannot be "
        f"checked: check HF_ENDPOINT, then run 'im4talkin models pull {model.name}' again"
    )


def pull(model: HubModel, report: Callable[[str], None] | None = None) -> Path:
    """Fetch every file of ``model`` that is not already verified; return its folder."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    ensure_writable(cache_dir())
    endpoint = os.environ.get("HF_ENDPOINT") or None
    stamps = _read_stamps()
    for item in model.files:
        if is_verified(model, item) or _absent_ok(model, item):
            continue
        if report:
            size = f" ({item.size / 1e6:.0f} MB)" if item.size else ""
            report(f"fetching {item.path}{size}")
        try:
            got = Path(
                hf_hub_download(
                    model.repo_id,
                    item.path,
                    revision=model.revision,
                    cache_dir=str(cache_dir()),
                    endpoint=endpoint,
                )
            )
        except EntryNotFoundError:
            if not item.optional:
                raise ModelError(
                    f"{item.path} is not in {model.repo_id} at {model.revision[:12]}: "
                    "the pinned commit lacks a file im4talkin needs"
                ) from None
            stamps[_key(model, item)] = {"absent": True}
            _write_stamps(stamps)
            continue
        except Exception as err:  # httpx, hub and Xet errors alike; Ctrl-C still stops it
            raise ModelError(
                f"could not fetch {item.path} of {model.name} ({str(err).splitlines()[0][:160]}); "
                f"run 'im4talkin models pull {model.name}' again to resume"
            ) from None
        real = got.resolve()
        digest = _check(model, item, real)
        if digest is None:
            _drop(got)
            raise ModelError(
                f"{item.path} of {model.name} arrived corrupt (its SHA-256 is not the pinned "
                f"one); it was deleted: run 'im4talkin models pull {model.name}' again"
            )
        stamps[_key(model, item)] = {"sha256": digest, "size": real.stat().st_size}
        _write_stamps(stamps)
    return path(model)


def verify(
    model: HubModel, progress: Callable[[int], None] | None = None
) -> list[tuple[str, bool, str]]:
    """Re-hash a pulled model's files against what was checked at pull time."""
    stamps = _read_stamps()
    out = []
    for item in model.files:
        local = _local(model, item)
        stamp = stamps.get(_key(model, item), {})
        if local is None or "sha256" not in stamp:
            if not _absent_ok(model, item):
                out.append((item.path, False, f"not pulled: im4talkin models pull {model.name}"))
            continue
        digest = sha256_file(local.resolve(), progress)
        ok = digest == stamp["sha256"] and (item.sha256 is None or digest == item.sha256)
        out.append(
            (str(local), ok, "SHA-256 ok" if ok else f"changed: im4talkin models pull {model.name}")
        )
        if not ok:  # the next pull fetches it again
            _drop(local)
    return out


def _drop(link: Path) -> None:
    """Delete a cached file: the blob and the snapshot's link to it."""
    link.resolve().unlink(missing_ok=True)
    link.unlink(missing_ok=True)


def _write_stamps(stamps: dict) -> None:
    write_file(_stamps(), json.dumps(stamps, indent=1), fix="free some disk space")


def remove(model: HubModel) -> int:
    """Delete a pulled model's files (only its own) from the cache; return the bytes freed."""
    freed = 0
    for item in model.files:
        local = _local(model, item)
        if local is None:
            continue
        blob = local.resolve()
        try:
            freed += blob.stat().st_size if blob.is_file() else 0
            _drop(local)
        except OSError as err:
            raise StorageError(f"cannot delete {local} ({err.strerror or err})") from None
    keys = {_key(model, item) for item in model.files}
    stamps = _read_stamps()
    if keys & stamps.keys():
        _write_stamps({k: v for k, v in stamps.items() if k not in keys})
    return freed


def model(name: str) -> HubModel:
    try:
        return PULLABLE[name]
    except KeyError:
        known = ", ".join(PULLABLE) or "none yet"
        raise ConfigError(f"no pullable model '{name}' (pullable: {known})") from None
