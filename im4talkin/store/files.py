"""The one way im4talkin writes a file: whole or not at all, and never over someone else's.

Every file is first written to a temp file beside it (a unique name, so two threads or two
processes never share one), flushed to disk, then put in place in one step. A crash or a
full disk leaves the old file or nothing, never half a file. ``exclusive=True`` (learner
recordings) refuses to put it where a file already is, so one learner's or one session's
recording can never replace another's.
"""

from __future__ import annotations

import errno
import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from ..errors import StorageError

log = logging.getLogger(__name__)

FIX = "free some disk space or set IM4TALKIN_HOME to a writable folder"

STALE_S = 24 * 3600.0
"""A temp file this old is no write under way (a model's join takes minutes): a process
killed while writing left it (a power cut, ``kill -9``)."""

Content = bytes | str | Callable[[Path], object]
"""What to write: bytes, UTF-8 text, or a function that writes the file at the path given."""


def new_path(folder: Path, suffix: str) -> Path:
    """A name in ``folder`` no file has had: a random UUID and ``suffix`` (``.flac``)."""
    return folder / f"{uuid.uuid4().hex}{suffix}"


def write_file(path: Path, content: Content, *, exclusive: bool = False, fix: str = FIX) -> Path:
    """Write ``content`` to ``path`` atomically; return ``path``.

    Raises:
        StorageError: one line, ``cannot write PATH (why); fix``, when the disk is full, the
            folder read-only, or (``exclusive``) a file is already at ``path``. No temp file
            is left behind.
    """
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        name = path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}.partial"
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # umask applies
        tmp = name
        if isinstance(content, bytes):
            tmp.write_bytes(content)
        elif isinstance(content, str):
            tmp.write_text(content, encoding="utf-8")
        else:
            content(tmp)
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        if exclusive:
            _link(tmp, path)
        else:
            os.replace(tmp, path)
    except FileExistsError:
        raise StorageError(
            f"cannot write {path}: a file is already there; nothing was replaced"
        ) from None
    except OSError as err:
        raise StorageError(f"cannot write {path} ({err.strerror or err}); {fix}") from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return path


def sweep_partials(root: Path, older_than_s: float = STALE_S) -> int:
    """Remove the temp files of :func:`write_file` under ``root`` that a killed process left
    (older than ``older_than_s``: another process may be writing a newer one now); return
    how many. Never fails: a file it cannot remove stays."""
    cutoff = time.time() - older_than_s
    removed = 0
    try:
        found = list(root.rglob(".*.partial"))
    except OSError:
        return 0
    for path in found:
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError as err:
            log.debug("cannot remove %s: %s", path, err)
    if removed:
        log.info("removed %d unfinished temp file(s) under %s", removed, root)
    return removed


def _link(tmp: Path, path: Path) -> None:
    """Give ``tmp``'s file the name ``path`` only if no file has it (FileExistsError)."""
    try:
        os.link(tmp, path)
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        # a file system without hard links: claim the name first, then fill it
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.replace(tmp, path)
