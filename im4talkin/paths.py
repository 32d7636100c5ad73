"""Where im4talkin keeps things: the user data dir, model cache, database, shipped data."""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

from .errors import Im4talkinError, StorageError

APP = "im4talkin"


def data_dir() -> Path:
    """The user data dir: ``IM4TALKIN_HOME`` if set, else the platform's user data dir."""
    env = os.environ.get("IM4TALKIN_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def safe_name(name: str) -> str:
    """``name`` as one path component (a learner, a passage): letters, digits, ``._-``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "_"


def models_dir() -> Path:
    """Model files assembled or pulled once: ``IM4TALKIN_MODELS_DIR``, else ``<data dir>/models``."""
    env = os.environ.get("IM4TALKIN_MODELS_DIR")
    return Path(env).expanduser() if env else data_dir() / "models"


def db_path() -> Path:
    """The SQLite database with learners, sessions and turns."""
    return data_dir() / "im4talkin.db"


def ensure_writable(
    path: Path,
    what: str = "the data dir",
    fix: str = "set IM4TALKIN_HOME to a writable folder",
    error: type[Im4talkinError] = StorageError,
) -> Path:
    """Create ``path`` as a directory and check that files can be written in it.

    On failure raise ``error`` saying ``cannot write to {what} {path} (why); {fix}``.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise error(f"cannot write to {what} {path} ({err.strerror or err}); {fix}") from err
    return path


def shipped(kind: str) -> Path:
    """A folder of data that ships with im4talkin: ``configs`` or ``topics``.

    Installed wheels carry it inside the package (``im4talkin/_data``); a source checkout
    (editable install) has it beside the package.
    """
    inside = Path(str(resources.files(APP))) / "_data" / kind
    if inside.is_dir():
        return inside
    return Path(str(resources.files(APP))).parent / kind
