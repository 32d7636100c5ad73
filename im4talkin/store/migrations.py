"""Numbered migrations; each runs once, in order, recorded in ``schema_migrations``.

A migration is SQL, or a function of the connection and the data dir that may also move
files (:mod:`.layout`). Each runs in one ``BEGIN IMMEDIATE`` transaction that first checks it
is still to do, so two first runs at once apply it once: the second waits, then skips it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from . import layout

log = logging.getLogger(__name__)

Migration = str | Callable[[sqlite3.Connection, Path], Callable[[], None] | None]
"""SQL, or ``step(conn, home)`` returning what to do once it is committed (or None)."""

MIGRATIONS: tuple[Migration, ...] = (
    # 1: learners, sessions and turns
    """
    CREATE TABLE learners (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        learner_id INTEGER NOT NULL REFERENCES learners(id),
        topic TEXT NOT NULL,
        level TEXT NOT NULL,
        profile TEXT NOT NULL,
        llm TEXT NOT NULL,
        opener TEXT NOT NULL DEFAULT '',
        started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        ended_at TEXT
    );
    CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        turn INTEGER NOT NULL,
        input TEXT NOT NULL,
        text TEXT NOT NULL,
        corrections TEXT NOT NULL,
        praise TEXT NOT NULL,
        reply TEXT NOT NULL,
        timings TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (session_id, turn)
    );
    CREATE INDEX turns_session ON turns(session_id);
    CREATE INDEX sessions_learner ON sessions(learner_id, started_at);
    """,
    # 2: spoken turns keep the learner's recording and the reply's audio file
    """
    ALTER TABLE turns ADD COLUMN recording TEXT;
    ALTER TABLE turns ADD COLUMN reply_audio TEXT;
    """,
    # 3: progress: how long each spoken turn was, enrolment readings, fine-tune runs,
    # review cards over past mistakes and each review answer (see store/progress.py)
    """
    ALTER TABLE turns ADD COLUMN seconds REAL NOT NULL DEFAULT 0;
    CREATE INDEX turns_created ON turns(created_at);
    CREATE TABLE readings (
        id INTEGER PRIMARY KEY,
        learner_id INTEGER NOT NULL REFERENCES learners(id),
        passage TEXT NOT NULL,
        sentence INTEGER NOT NULL,
        reference TEXT NOT NULL,
        transcript TEXT NOT NULL,
        wer REAL NOT NULL,
        score REAL NOT NULL CHECK (score BETWEEN 0 AND 100),
        seconds REAL NOT NULL DEFAULT 0,
        audio TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (learner_id, passage, sentence)
    );
    CREATE TABLE finetunes (
        id INTEGER PRIMARY KEY,
        learner_id INTEGER NOT NULL REFERENCES learners(id),
        profile TEXT NOT NULL,
        asr_model TEXT NOT NULL,
        wer_before REAL NOT NULL,
        wer_after REAL NOT NULL,
        activated INTEGER NOT NULL DEFAULT 0,
        details TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE review_cards (
        id INTEGER PRIMARY KEY,
        learner_id INTEGER NOT NULL REFERENCES learners(id),
        turn_id INTEGER REFERENCES turns(id),
        original TEXT NOT NULL,
        corrected TEXT NOT NULL,
        fixes TEXT NOT NULL DEFAULT '[]',
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        due TEXT NOT NULL,
        last_result TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (learner_id, original)
    );
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        card_id INTEGER NOT NULL REFERENCES review_cards(id),
        answer TEXT NOT NULL,
        input TEXT NOT NULL,
        correct INTEGER NOT NULL,
        rating INTEGER NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX readings_learner ON readings(learner_id, created_at);
    CREATE INDEX finetunes_learner ON finetunes(learner_id, created_at);
    CREATE INDEX cards_due ON review_cards(learner_id, due);
    CREATE INDEX reviews_card ON reviews(card_id, created_at);
    """,
    # 4: sounds said as other sounds (pronunciation), from spoken turns and readings
    """
    CREATE TABLE sound_errors (
        id INTEGER PRIMARY KEY,
        learner_id INTEGER NOT NULL REFERENCES learners(id),
        turn_id INTEGER REFERENCES turns(id),
        reading_id INTEGER REFERENCES readings(id) ON DELETE CASCADE,
        word TEXT NOT NULL,
        expected TEXT NOT NULL,
        heard TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX sound_errors_learner ON sound_errors(learner_id, created_at);
    """,
    # 5: every learner gets a key that names their folder (names like "Анна" or "bob smith"
    # are not safe or unique as folder names; ids restart when the database is moved aside)
    f"""
    ALTER TABLE learners ADD COLUMN key TEXT;
    UPDATE learners SET key = {layout.NEW_KEY};
    CREATE UNIQUE INDEX learners_key ON learners(key);
    """,
    # 6: recordings and adapted models move into each learner's own folder
    layout.own_folders,
)


def migrate(conn: sqlite3.Connection, home: Path) -> int:
    """Apply the migrations this database has not seen; return the schema version.

    ``home``: the data dir whose files the migrations may move.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    (count,) = conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()
    if count >= len(MIGRATIONS):  # the usual start: nothing to do, no write lock taken
        return len(MIGRATIONS)
    for version, step in enumerate(MIGRATIONS, start=1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = conn.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (version,)
            ).fetchone()
            after = None
            if not done:
                if isinstance(step, str):
                    for statement in _statements(step):
                        conn.execute(statement)
                else:
                    after = step(conn, home)
                conn.execute("INSERT INTO schema_migrations(version) VALUES (?)", (version,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if after is not None:
            try:
                after()
            except OSError as err:  # old files left behind cost space, never data
                log.warning("migration %d could not tidy up: %s", version, err)
    return len(MIGRATIONS)


def _statements(sql: str) -> list[str]:
    """The statements of ``sql``, split at the semicolons that end one."""
    out, part = [], ""
    for piece in sql.split(";"):
        part += piece + ";"
        if sqlite3.complete_statement(part):
            if part.strip(" \n;"):
                out.append(part.strip())
            part = ""
    return out
