"""Marks of the talk sessions running now, so that one that died is noticed on the next start.

``talk`` writes ``<data dir>/running/<pid>`` before it loads the models, adds the session's
id once the session starts, and deletes the mark when it ends, however it ends in Python
(an error, Ctrl-C). A crash in native code (SIGILL, SIGSEGV) or a kill leaves the mark
behind with a process id that no longer runs: the next ``talk`` ends that session in the
database (its turns were committed one by one) and tells the learner what to run.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..paths import data_dir

log = logging.getLogger(__name__)


def _folder() -> Path:
    return data_dir() / "running"


def mark() -> Path | None:
    """Record that a talk runs in this process; returns the mark for :func:`attach`/`clear`.

    The marks only help the next start say what happened: a data dir that cannot be written
    (full, read-only) costs the mark (None), never the session.
    """
    path = _folder() / str(os.getpid())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    except OSError as err:
        log.warning("cannot mark the running session in %s: %s", path.parent, err)
        return None
    return path


def attach(path: Path | None, session_id: int) -> None:
    """The running talk has started session ``session_id``."""
    try:
        if path is not None:
            path.write_text(str(session_id))
    except OSError as err:
        log.warning("cannot mark the running session in %s: %s", path, err)


def clear(path: Path | None) -> None:
    try:
        if path is not None:
            path.unlink(missing_ok=True)
    except OSError as err:  # the next start finds it and says the last session ended early
        log.warning("cannot clear the running session's mark %s: %s", path, err)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def died() -> list[int | None]:
    """Talks whose process ended without clearing its mark: their session ids (None: the
    talk died before its session started). The marks are removed."""
    folder = _folder()
    if not folder.is_dir():
        return []
    out: list[int | None] = []
    for path in sorted(folder.iterdir()):
        try:
            pid = int(path.name)
            text = path.read_text().strip()
            session = int(text) if text else None
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            continue
        if pid != os.getpid() and not _alive(pid):
            out.append(session)
            path.unlink(missing_ok=True)
    return out


def close_died(store, notice) -> None:
    """End the sessions of talks that died (see :func:`died`) and tell the learner."""
    for lost in died():
        if lost is None:
            notice("im4talkin stopped unexpectedly last time, while it loaded the models")
        else:
            kept = store.end_abandoned(lost)
            notice(f"your last session ended unexpectedly; its {kept} turn(s) are saved")
        notice("if it crashed, 'im4talkin doctor' checks the install and says what to fix")
