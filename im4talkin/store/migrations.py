"""Numbered schema migrations; each runs once, in order, recorded in ``schema_migrations``."""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
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
)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database has not seen; return the schema version."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    for version, sql in enumerate(MIGRATIONS, start=1):
        if version in done:
            continue
        conn.executescript(
            f"BEGIN; {sql}; INSERT INTO schema_migrations(version) VALUES ({version}); COMMIT;"
        )
    return len(MIGRATIONS)
