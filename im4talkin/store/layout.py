"""Where each learner's files live, and the migration from the old layout.

Every learner has one folder, ``<data dir>/learners/<key>/``, named by a random key kept in
the ``learners`` table (never by the name: "Анна", "Иван" and "李明" all made the same
folder name once, and "bob smith" the same as "bob_smith"). Inside it:

- ``enrolment/<uuid>.flac``: the sentences read with ``enroll``;
- ``recordings/<uuid>.flac``: the learner's spoken turns in ``talk``;
- ``asr/``: adapted recognisers (``finetune``), and ``asr/work/`` for a fine-tune under way.

Each recording gets a new UUID name and is created exclusively, so nothing one learner or
one session writes can replace a file of another.

The old layout (before schema version 6) named folders by a sanitised learner name
(``enrolment/<name>/<passage>/NNNN.flac``, ``asr/<name>/``) and session ids
(``recordings/session-N/turn-M.flac``). :func:`own_folders` moves every file the database
points at into its learner's folder. Where two learners' names had made one folder, the
later recording had replaced the earlier one: the file goes to the learner who recorded it
last, and the other reading keeps its text but no audio (it was never theirs any more).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

NEW_KEY = "lower(hex(randomblob(8)))"
"""SQL for a new learner key: 16 random hex digits."""


def learner_home(home: Path, key: str) -> Path:
    """The folder of the learner with ``key`` in data dir ``home``."""
    return home / "learners" / key


def own_folders(conn: sqlite3.Connection, home: Path) -> Callable[[], None]:
    """Migration 6: copy (hard-link) each recording and adapted model into its learner's
    folder and point the database at the copy; once that is committed, the old files go.

    Runs inside the migration's transaction. A kill before the commit leaves the old files
    and rows as they were (the next start runs it again; the copies have the same names);
    a kill after it leaves old files that nothing points at, never a row without its file.
    """
    old: list[Path] = []

    def claim(table: str, column: str, rows: list[sqlite3.Row], sub: str) -> None:
        """Give each file the rows point at to the last row that wrote it."""
        last: dict[str, int] = {}
        for row in rows:  # oldest first: the last one to write a path owns it
            last[_norm(row[column])] = row["id"]
        for row in rows:
            path = Path(row[column])
            if last[_norm(row[column])] != row["id"]:
                conn.execute(f"UPDATE {table} SET {column} = NULL WHERE id = ?", (row["id"],))
                continue
            target = learner_home(home, row["key"]) / sub
            if path.parent == target or not path.is_file():
                continue
            name = uuid.uuid5(uuid.NAMESPACE_URL, f"{table}/{row['id']}/{path}").hex
            new = target / f"{name}{path.suffix}"
            _copy(path, new)
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", (str(new), row["id"]))
            old.append(path)

    readings = conn.execute(
        "SELECT r.id, r.audio, l.key FROM readings r JOIN learners l ON l.id = r.learner_id"
        " WHERE r.audio IS NOT NULL ORDER BY r.created_at, r.id"
    ).fetchall()
    claim("readings", "audio", readings, "enrolment")
    turns = conn.execute(
        "SELECT t.id, t.recording, l.key FROM turns t JOIN sessions s ON s.id = t.session_id"
        " JOIN learners l ON l.id = s.learner_id WHERE t.recording IS NOT NULL"
        " ORDER BY t.created_at, t.id"
    ).fetchall()
    claim("turns", "recording", turns, "recordings")

    folders: list[Path] = []
    runs = conn.execute(
        "SELECT f.id, f.details, l.key FROM finetunes f JOIN learners l ON l.id = f.learner_id"
    ).fetchall()
    for run in runs:
        details = json.loads(run["details"])
        path = Path(details.get("path") or "")
        target = learner_home(home, run["key"]) / "asr"
        if not details.get("path") or path.parent == target or not path.is_dir():
            continue
        new = target / path.name
        if not new.is_dir():
            tmp = target / f".{path.name}.migrating"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(path, tmp, copy_function=_copy_function)
            tmp.rename(new)
        details["path"] = str(new)
        conn.execute(
            "UPDATE finetunes SET details = ? WHERE id = ?", (json.dumps(details), run["id"])
        )
        folders.append(path)

    def tidy() -> None:
        for path in old:
            path.unlink(missing_ok=True)
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        for kind in ("enrolment", "recordings", "asr"):
            top = home / kind
            if top.is_dir():
                for work in top.glob("*/work"):  # fine-tunes under way: restarted, not moved
                    shutil.rmtree(work, ignore_errors=True)
                _prune(top)

    return tidy


def _norm(path: str) -> str:
    return str(Path(path).resolve())


def _copy_function(src: str, dst: str) -> str:
    _copy(Path(src), Path(dst))
    return dst


def _copy(src: Path, dest: Path) -> None:
    """``dest`` as the same file as ``src``: a hard link, or a copy where links do not work."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():  # a run of this migration that was killed made it already
        if dest.stat().st_size == src.stat().st_size:
            return
        dest.unlink()
    try:
        dest.hardlink_to(src)
    except OSError:
        shutil.copy2(src, dest)


def _prune(folder: Path) -> None:
    """Remove the empty folders under ``folder``, and it too when it ends up empty."""
    for sub in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if sub.is_dir():
            try:
                sub.rmdir()
            except OSError:
                pass
    try:
        folder.rmdir()
    except OSError:
        pass
