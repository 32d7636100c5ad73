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
from .migrations import migrate
from .progress import NOW, ProgressStore, stamp


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
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA busy_timeout=5000")
            migrate(self.conn)
        except sqlite3.DatabaseError as err:
            raise StorageError(
                f"cannot use the database {self.path} ({err}); move it aside or set IM4TALKIN_HOME"
            ) from err

    def close(self) -> None:
        self.conn.close()

    def learner_id(self, name: str) -> int:
        """The id of learner ``name``, created on first use."""
        self.conn.execute("INSERT OR IGNORE INTO learners(name) VALUES (?)", (name,))
        row = self.conn.execute("SELECT id FROM learners WHERE name = ?", (name,)).fetchone()
        return int(row["id"])

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
    ) -> None:
        """Commit one finished turn; ``seconds``: how long the learner spoke (0 when typed).

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
