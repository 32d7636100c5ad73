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
