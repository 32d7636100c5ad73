"""``im4talkin models pull``: models fetched once from the Hugging Face Hub, then offline.

Each pullable model names a repository, a pinned revision and the files it needs, each with
its size and SHA-256. Files land in ``<model cache>/hub`` (huggingface_hub's cache layout,
so an interrupted download resumes from its ``.incomplete`` file); each file is hashed once
after download and the result recorded, and a file that fails the check is removed. This is
the only module that opens a network connection, and only when ``pull`` is asked for.
``HF_ENDPOINT`` points it at a mirror.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .catalog import sha256_file
from .errors import ConfigError, ModelError, StorageError
from .paths import ensure_writable, models_dir


@dataclass(frozen=True)
class HubFile:
    path: str
    """Path of the file inside the repository."""
    size: int
    sha256: str


@dataclass(frozen=True)
class HubModel:
    name: str
    repo_id: str
    revision: str
    """A full commit hash: what was checked is what is fetched."""
    files: tuple[HubFile, ...]
    role: str = ""


PULLABLE: dict[str, HubModel] = {}
"""Models ``pull`` knows. Entries are added only with revisions and hashes checked against
the Hub itself (see issue 9's notes)."""


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
    path = _local(model, item)
    if path is None or not path.is_file():
        return False
    stamp = _read_stamps().get(_key(model, item), {})
    st = path.stat()
    return stamp.get("sha256") == item.sha256 and stamp.get("size") == st.st_size == item.size


def status(model: HubModel) -> tuple[bool, str]:
    if all(is_verified(model, f) for f in model.files):
        return True, "ready (pulled, SHA-256 checked)"
    return False, f"not pulled: im4talkin models pull {model.name}"


def path(model: HubModel) -> Path:
    """The folder holding the model's files, offline; ModelError with the pull command."""
    ok, state = status(model)
    if not ok:
        raise ModelError(f"{model.name} is {state}")
    first = _local(model, model.files[0])
    assert first is not None
    return first.parents[len(Path(model.files[0].path).parts) - 1]  # the snapshot's root


def pull(model: HubModel, report: Callable[[str], None] | None = None) -> Path:
    """Fetch every file of ``model`` that is not already verified; return its folder."""
    from huggingface_hub import hf_hub_download

    ensure_writable(cache_dir())
    endpoint = os.environ.get("HF_ENDPOINT") or None
    stamps = _read_stamps()
    for item in model.files:
        if is_verified(model, item):
            continue
        if report:
            report(f"fetching {item.path} ({item.size / 1e6:.0f} MB)")
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
        except Exception as err:  # httpx, hub and Xet errors alike; Ctrl-C still stops it
            raise ModelError(
                f"could not fetch {item.path} of {model.name} ({str(err).splitlines()[0][:160]}); "
                f"run 'im4talkin models pull {model.name}' again to resume"
            ) from None
        real = got.resolve()
        digest = sha256_file(real)
        if digest != item.sha256 or real.stat().st_size != item.size:
            real.unlink(missing_ok=True)
            got.unlink(missing_ok=True)
            raise ModelError(
                f"{item.path} of {model.name} arrived corrupt (SHA-256 {digest[:12]}..., expected "
                f"{item.sha256[:12]}...); it was deleted: run 'im4talkin models pull {model.name}' again"
            )
        stamps[_key(model, item)] = {"sha256": digest, "size": real.stat().st_size}
        _write_stamps(stamps)
    return path(model)


def _write_stamps(stamps: dict) -> None:
    tmp = _stamps().with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(stamps, indent=1))
        os.replace(tmp, _stamps())
    except OSError as err:
        raise StorageError(
            f"cannot write {_stamps()} ({err.strerror or err}); free some disk space"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


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
            blob.unlink(missing_ok=True)
            local.unlink(missing_ok=True)
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
