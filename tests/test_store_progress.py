"""The progress tables: readings, fine-tunes, cards; and an old database migrated to them."""

import json
import sqlite3
from datetime import UTC, datetime

from im4talkin.paths import db_path
from im4talkin.progress.history import load_history
from im4talkin.store.db import SessionInfo, Store
from im4talkin.store.migrations import MIGRATIONS, migrate
from im4talkin.store.progress import stamp

from .seed import result

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_a_sentence_read_again_is_stored_once(home):
    store = Store()
    first = store.add_reading("ana", "travel", 3, "I like trains.", "i like trains", 0.0, 90, 2.5)
    again = store.add_reading("ana", "travel", 3, "I like trains.", "i like rain", 0.33, 60, 2.0)
    store.add_reading("ana", "travel", 4, "Hello.", "hello", 0.0, 100, 1.0, "/r/4.flac", at=AT)
    store.add_reading("bob", "travel", 3, "I like trains.", "i like trains", 0.0, 95, 2.0)
    assert first == again
    rows = store.readings("ana")
    assert [(r["sentence"], r["score"], r["transcript"]) for r in rows] == [
        (4, 100, "hello"),  # back-dated, so it sorts first
        (3, 60, "i like rain"),
    ]
    assert rows[0]["audio"] == "/r/4.flac" and rows[0]["created_at"] == "2026-03-01T09:30:00.000Z"
    assert len(store.readings("bob")) == 1


def test_only_one_fine_tune_is_active(home):
    store = Store()
    one = store.add_finetune("ana", "embedded", "whisper-base", 0.3, 0.2, True, {"steps": 10})
    two = store.add_finetune("ana", "embedded", "whisper-base", 0.3, 0.15, activated=False)
    store.add_finetune("bob", "embedded", "whisper-tiny", 0.4, 0.3, True)
    runs = store.finetunes("ana")
    assert [(r["id"], r["activated"]) for r in runs] == [(one, True), (two, False)]
    assert runs[0]["details"] == {"steps": 10}
    store.activate_finetune(two)
    assert [r["activated"] for r in store.finetunes("ana")] == [False, True]
    assert [r["activated"] for r in store.finetunes("bob")] == [True]  # untouched


def test_turns_keep_spans_and_spoken_seconds(home):
    store = Store()
    sid = store.start_session("ana", SessionInfo("travel", "B1", "embedded", "qwen"), "Hi", AT)
    store.save_turn(sid, result(1, "i see a apple", [("a", "an", "article")]), 2.5, AT)
    (turn,) = store.turns(sid)
    assert turn["seconds"] == 2.5 and turn["created_at"] == stamp(AT)
    fix = turn["corrections"][0]
    assert (fix["start"], fix["end"], fix["corrected"]) == (6, 7, "an")


def test_naive_times_are_utc():
    assert stamp(datetime(2026, 1, 2, 3, 4, 5, 678900)) == "2026-01-02T03:04:05.678Z"
    assert stamp(None) is None


def test_a_version_2_database_is_migrated_and_still_reported(home):
    """A database written before progress existed: its turns have no spans or seconds."""
    home.mkdir(parents=True)
    conn = sqlite3.connect(db_path())
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
    for version, sql in enumerate(MIGRATIONS[:2], start=1):
        conn.executescript(sql)
        conn.execute("INSERT INTO schema_migrations(version) VALUES (?)", (version,))
    conn.execute("INSERT INTO learners(name) VALUES ('ana')")
    conn.execute("INSERT INTO sessions(learner_id, topic, level, profile, llm) VALUES (1, 'travel', 'B1', 'embedded', 'qwen')")  # fmt: skip
    old = [{"original": "go", "corrected": "went", "explanation": "x", "kind": "tense", "source": "rules"}]  # fmt: skip
    conn.execute(
        "INSERT INTO turns(session_id, turn, input, text, corrections, praise, reply, timings)"
        " VALUES (1, 1, 'text', 'yesterday i go home', ?, '', 'Oh?', '{}')",
        (json.dumps(old),),
    )
    conn.commit()
    assert migrate(conn, home) == len(MIGRATIONS)
    conn.close()
    store = Store()
    history = load_history(store, "ana")
    (turn,) = history.turns
    assert turn.seconds == 0 and turn.spans == ((-1, -1),) and turn.mistakes[0].corrected == "went"
    from im4talkin.progress.review import fixed_sentence

    assert fixed_sentence(turn) == ("yesterday i went home", ["went"])
