"""SQLite storage: learners, sessions and turns. A turn is committed as soon as it ends.

Progress tables (enrolment readings, fine-tunes, review cards) are in :mod:`.progress`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import StorageError
from ..messages import TurnResult
from ..paths import db_path, ensure_writable
from . import layout
from .files import sweep_partials
from .migrations import migrate
from .progress import NOW, ProgressStore, stamp


def storage_error(err: sqlite3.Error, path: Path) -> StorageError:
    """One line for a database error: what happened and what to do; nothing saved is lost."""
    text = str(err)
    if "locked" in text or "busy" in text:
        fix = "another im4talkin is writing to it; try again in a moment"
    elif "full" in text or "I/O" in text:
        fix = "free some disk space and try again"
    elif "readonly" in text or "read-only" in text:
        fix = "make the data dir writable or set IM4TALKIN_HOME to a writable folder"
    else:
        fix = "try again; 'im4talkin doctor' checks the data dir"
    return StorageError(
        f"the database {path} failed ({text}); {fix}; what was saved before is kept"
    )


class _Guarded:
    """The connection, with every sqlite error turned into a :class:`StorageError` line."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path

    def execute(self, sql: str, args: Any = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, args)
        except sqlite3.Error as err:
            raise storage_error(err, self._path) from None

    def executemany(self, sql: str, args: Any) -> sqlite3.Cursor:
        try:
            return self._conn.executemany(sql, args)
        except sqlite3.Error as err:
            raise storage_error(err, self._path) from None

    def __enter__(self) -> _Guarded:
        self._conn.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self._conn.__exit__(*exc)
        except sqlite3.Error as err:
            raise storage_error(err, self._path) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@dataclass(frozen=True)
class SessionInfo:
    """What a session was about."""

    topic: str
    level: str
    profile: str
    llm: str


class Store(ProgressStore):
    """One connection to the learner database (WAL, foreign keys on).

    Methods that record something take ``at`` (a datetime) to back-date it, for imports
    and seeded histories; by default it is now.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or db_path()
        ensure_writable(self.path.parent)
        conn = None
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            migrate(conn, self.path.parent)
        except (sqlite3.Error, OSError) as err:
            if conn is not None:
                conn.close()
            why = "another im4talkin is using it; try again in a moment" if (
                "locked" in str(err) or "busy" in str(err)
            ) else "move it aside or set IM4TALKIN_HOME"  # fmt: skip
            raise StorageError(f"cannot use the database {self.path} ({err}); {why}") from None
        self.conn: Any = _Guarded(conn, self.path)
        sweep_partials(self.path.parent)

    def close(self) -> None:
        self.conn.close()

    def learner_id(self, name: str) -> int:
        """The id of learner ``name``, created on first use."""
        return int(self._learner(name)["id"])

    def _learner(self, name: str) -> sqlite3.Row:
        self.conn.execute(
            f"INSERT OR IGNORE INTO learners(name, key) VALUES (?, {layout.NEW_KEY})", (name,)
        )
        return self.conn.execute("SELECT id, key FROM learners WHERE name = ?", (name,)).fetchone()

    def folder(self, learner: str) -> Path:
        """The learner's own folder (:mod:`.layout`), named by their key, never by the name."""
        return layout.learner_home(self.path.parent, self._learner(learner)["key"])

    def start_session(
        self, learner: str, info: SessionInfo, opener: str, at: datetime | None = None
    ) -> int:
        """Record a new session and its opener; return its id."""
        cur = self.conn.execute(
            "INSERT INTO sessions(learner_id, topic, level, profile, llm, opener, started_at) "
            f"VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, {NOW}))",
            (
                self.learner_id(learner),
                *(info.topic, info.level, info.profile, info.llm, opener),
                stamp(at),
            ),
        )
        return int(cur.lastrowid or 0)

    def save_turn(
        self,
        session_id: int,
        result: TurnResult,
        seconds: float = 0.0,
        at: datetime | None = None,
    ) -> int:
        """Commit one finished turn and return its row id; ``seconds``: how long the learner
        spoke (0 when typed). Its audio files are attached after (:meth:`attach_audio`), so a
        file that cannot be written never costs the turn.

        Corrections keep their character spans, so a review can rebuild the fixed sentence.
        """
        data = result.to_json()
        cur = self.conn.execute(
            "INSERT INTO turns(session_id, turn, input, text, corrections, praise, reply, timings,"
            f" recording, reply_audio, seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            f" ?, COALESCE(?, {NOW}))",
            (
                session_id,
                result.turn,
                result.input,
                result.transcript,
                json.dumps([asdict(c) for c in result.feedback.corrections]),
                result.feedback.praise,
                result.reply,
                json.dumps(data["timings_ms"]),
                result.recording,
                result.reply_audio,
                seconds,
                stamp(at),
            ),
        )
        if result.sounds:
            (learner_id,) = self.conn.execute(
                "SELECT learner_id FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            changes = [(s.word, *s.change) for s in result.sounds]
            self.add_sound_errors(learner_id, changes, turn_id=cur.lastrowid, at=at)
        return int(cur.lastrowid or 0)

    def attach_audio(
        self, turn_id: int, recording: str | None = None, reply_audio: str | None = None
    ) -> None:
        """Point a saved turn at its recording and its reply's audio, once they are written."""
        self.conn.execute(
            "UPDATE turns SET recording = COALESCE(?, recording),"
            " reply_audio = COALESCE(?, reply_audio) WHERE id = ?",
            (recording, reply_audio, turn_id),
        )

    def end_session(self, session_id: int, at: datetime | None = None) -> None:
        self.conn.execute(
            f"UPDATE sessions SET ended_at = COALESCE(?, {NOW}) WHERE id = ?",
            (stamp(at), session_id),
        )

    def end_abandoned(self, session_id: int) -> int:
        """End a session whose process died, at its last turn; how many turns it kept."""
        self.conn.execute(
            "UPDATE sessions SET ended_at = COALESCE((SELECT MAX(created_at) FROM turns "
            "WHERE session_id = ?), started_at) WHERE id = ? AND ended_at IS NULL",
            (session_id, session_id),
        )
        row = self.conn.execute(
            "SELECT COUNT(*) AS n FROM turns WHERE session_id = ?", (session_id,)
        ).fetchone()
        return int(row["n"])

    def turns(self, session_id: int) -> list[dict[str, Any]]:
        """The saved turns of a session, in order, with JSON columns decoded."""
        rows = self.conn.execute(
            "SELECT * FROM turns WHERE session_id = ? ORDER BY turn", (session_id,)
        ).fetchall()
        out = []
        for row in rows:
            item = dict(row)
            item["corrections"] = json.loads(item["corrections"])
            item["timings"] = json.loads(item["timings"])
            out.append(item)
        return out

    def sessions(self, learner: str) -> list[dict[str, Any]]:
        """A learner's sessions, oldest first."""
        rows = self.conn.execute(
            "SELECT s.* FROM sessions s JOIN learners l ON l.id = s.learner_id "
            "WHERE l.name = ? ORDER BY s.id",
            (learner,),
        ).fetchall()
        return [dict(r) for r in rows]
